"""Parity with the book's own code: d2lzh.train_ch3 over gluon's DataLoader pipeline.

Under one seed, every training chapter trained by our loop on our in-memory
batches prints exactly the lines the book's loop prints on the book's pipeline.
"""
import io
from contextlib import redirect_stdout

import pytest

from d2lsoftmax import book, runs


def our_lines(section, **overrides):
    out = io.StringIO()
    with redirect_stdout(out):
        runs.train_chapter(section, seed=0, verbose=True, **overrides)
    return out.getvalue().splitlines()


def book_lines(section, **overrides):
    lines, _ = runs.train_chapter(section, seed=0, train=book.train_ch3_lines,
                                  loader=book.load_data_fashion_mnist, **overrides)
    return lines


@pytest.mark.parametrize('section', runs.training_sections())
def test_identical_epoch_lines_to_d2lzh_train_ch3(section):
    ours = our_lines(section)
    assert len(ours) == 5 and ours[0].startswith('epoch 1, loss ')
    assert ours == book_lines(section)


def test_a_different_seed_gives_different_lines():
    """The parity above is not vacuous: the lines depend on the seed."""
    lines, _ = runs.train_chapter('3.6', seed=1, train=book.train_ch3_lines,
                                  loader=book.load_data_fashion_mnist, num_epochs=1)
    assert lines != our_lines('3.6', num_epochs=1)
