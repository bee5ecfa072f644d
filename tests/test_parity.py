"""Parity with the book's own code: d2lzh.train_ch3 over gluon's DataLoader pipeline.

Under one seed, every training chapter trained by our loop on our in-memory
batches prints exactly the lines the book's loop prints on the book's pipeline,
on this machine: both sides round alike, so this holds on every CPU.
"""
import pytest

from chapter_runs import book_lines, seed0_lines, seed0_records
from d2lsoftmax import sections


@pytest.mark.slow
@pytest.mark.parametrize('section', sections.training_sections())
def test_identical_epoch_lines_to_d2lzh_train_ch3(section, real_data):
    ours = seed0_lines(section)
    assert len(ours) == 5 and ours[0].startswith('epoch 1, loss ')
    assert ours == list(book_lines(section))


@pytest.mark.slow
def test_a_different_seed_gives_different_lines(real_data):
    """The parity above is not vacuous: the lines depend on the seed."""
    assert list(book_lines('3.6', seed=1, num_epochs=1)) != seed0_lines('3.6')[:1]
    assert seed0_records('3.6')[0].loss != 0
