"""Seed-0 default runs of the training chapters, made once per test session and shared.

The golden, band, parity, chapter-script and notebook tests all compare against
these, so each chapter is trained once by the library and (for parity) once by
the book's own loop. Under pytest-xdist the workers of one session share them
too: the first worker that needs a chapter trains it, under a lock, and leaves
its records in pytest's folder of that session; the others read them.
"""
import json
import os
from functools import lru_cache

from d2lsoftmax.reference import book
from d2lsoftmax.util import outputs
from d2lsoftmax.experiments import runs
from d2lsoftmax.training import EPOCH_LINE, EpochRecord


SHARED_FOLDER = None  # set by conftest.py under pytest-xdist: a folder all workers share


def _session_folder():
    """The folder the xdist workers of this session share, or None without xdist."""
    return SHARED_FOLDER


def _shared(name, make):
    """make()'s JSON-able result, computed once per session across xdist workers (one
    trains under the lock, the others wait for it)."""
    folder = _session_folder()
    if folder is None:
        return make()
    path = os.path.join(folder, name + '.json')
    with outputs.flock(path + '.lock'):
        if os.path.isfile(path):
            with open(path) as f:
                return json.load(f)
        value = make()
        outputs.write_bytes(path, json.dumps(value).encode())
        return value


@lru_cache(maxsize=None)
def seed0_records(section):
    """The EpochRecords of `section` trained with its defaults under seed 0."""
    def train():
        records, _ = runs.train_chapter(section, seed=0)
        return [list(r) for r in records]
    return tuple(EpochRecord(*r) for r in _shared(f'seed0-{section}', train))


def seed0_lines(section):
    """The book's epoch lines of seed0_records(section), as train_ch3 prints them."""
    return [EPOCH_LINE % r for r in seed0_records(section)]


@lru_cache(maxsize=None)
def book_lines(section, seed=0, pipeline='ours', **overrides):
    """The lines d2lzh.train_ch3 prints for `section` under `seed`.

    pipeline='ours': over our in-memory batches (tests/data/test_data_real.py shows each
    equals gluon's DataLoader batch under one seed); pipeline='gluon': over gluon's
    DataLoader pipeline itself, the book's ToTensor batches transformed once per
    session (book.load_data_fashion_mnist(eager=True)): the same values as per pass.
    """
    def loader(batch_size):
        return book.load_data_fashion_mnist(batch_size, eager=True)
    kwargs = {'loader': loader} if pipeline == 'gluon' else {}
    lines, _ = runs.train_chapter(section, seed=seed, train=book.train_ch3_lines,
                                  **kwargs, **overrides)
    return tuple(lines)
