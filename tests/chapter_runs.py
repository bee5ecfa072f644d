"""Seed-0 default runs of the training chapters, made once per test session and shared.

The golden, band, parity, chapter-script and notebook tests all compare against
these, so each chapter is trained once by the library and (for parity) once by
the book's own loop over gluon's DataLoader.
"""
from functools import lru_cache

from d2lsoftmax import book, runs
from d2lsoftmax.training import EPOCH_LINE


@lru_cache(maxsize=None)
def seed0_records(section):
    """The EpochRecords of `section` trained with its defaults under seed 0."""
    records, _ = runs.train_chapter(section, seed=0)
    return tuple(records)


def seed0_lines(section):
    """The book's epoch lines of seed0_records(section), as train_ch3 prints them."""
    return [EPOCH_LINE % r for r in seed0_records(section)]


@lru_cache(maxsize=None)
def book_lines(section, seed=0, **overrides):
    """The lines d2lzh.train_ch3 prints for `section` over gluon's DataLoader pipeline.

    The DataLoader serves the book's ToTensor batches, transformed once per session
    (book.load_data_fashion_mnist(eager=True)): the same values as per pass.
    """
    def loader(batch_size):
        return book.load_data_fashion_mnist(batch_size, eager=True)
    lines, _ = runs.train_chapter(section, seed=seed, train=book.train_ch3_lines,
                                  loader=loader, **overrides)
    return tuple(lines)
