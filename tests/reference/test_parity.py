"""Parity with the book's own code: d2lzh.train_ch3, bit for bit.

Under one seed, every training chapter trained by our loop on our in-memory
batches prints exactly the lines the book's loop (d2lzh.train_ch3) prints on the
same batches; tests/data/test_data_real.py shows each of our batches equals gluon's
DataLoader batch under one seed, and softmax regression is also run end to end on
gluon's DataLoader pipeline itself (the book's ToTensor batches), so the chain
ours == d2lzh on our batches == d2lzh on the book's pipeline is closed on this
machine. Both sides round alike, so this holds on every CPU.
"""
import pytest

from support.chapter_runs import book_lines, seed0_lines, seed0_records
from d2lsoftmax import sections


@pytest.mark.slow
@pytest.mark.parametrize('section', sections.training_sections())
def test_identical_epoch_lines_to_d2lzh_train_ch3(section, real_data):
    ours = seed0_lines(section)
    assert len(ours) == 5 and ours[0].startswith('epoch 1, loss ')
    assert ours == list(book_lines(section))


@pytest.mark.slow
@pytest.mark.parametrize('section', ['3.6'])
def test_identical_epoch_lines_to_d2lzh_on_gluons_dataloader(section, real_data):
    """The book's whole pipeline, DataLoader included (the slow one: once, for 3.6)."""
    assert seed0_lines(section) == list(book_lines(section, pipeline='gluon'))


@pytest.mark.slow
def test_a_different_seed_gives_different_lines(real_data):
    """The parity above is not vacuous: the lines depend on the seed."""
    assert list(book_lines('3.6', seed=1, num_epochs=1)) != seed0_lines('3.6')[:1]
    assert seed0_records('3.6')[0].loss != 0
