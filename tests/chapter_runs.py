"""Seed-0 default runs of the training chapters, made once per test session and shared."""
from functools import lru_cache

from d2lsoftmax import runs


@lru_cache(maxsize=None)
def seed0_records(section):
    """The EpochRecords of `section` trained with its defaults under seed 0."""
    records, _ = runs.train_chapter(section, seed=0)
    return tuple(records)
