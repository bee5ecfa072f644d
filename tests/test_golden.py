"""Golden epoch logs: every training chapter, rerun under seed 0, reproduces tests/golden/.

Same-seed runs are bit-identical on one machine; the tolerance below only absorbs
the last-digit drift another CPU's float rounding can cause. Regenerate with
`python tests/golden/regenerate.py SECTION` after a deliberate change.
"""
import glob
import os
import re

import pytest

from chapter_runs import seed0_records
from d2lsoftmax import runs

GOLDEN_DIR = os.path.join(os.path.dirname(__file__), 'golden')
LINE = re.compile(r'epoch (\d+), loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)$')
# Stated tolerance: 5e-4 in loss, 2e-3 in accuracy (12 training / 20 test images).
TOLERANCE = dict(loss=5e-4, train_acc=2e-3, test_acc=2e-3)


def read_golden(path):
    """(header lines, [(epoch, loss, train_acc, test_acc)]) of a golden log."""
    with open(path) as f:
        lines = f.read().splitlines()
    header = [l for l in lines if l.startswith('#')]
    rows = [LINE.match(l) for l in lines if not l.startswith('#')]
    assert all(rows), f'{path}: a line is not in the book\'s epoch format'
    return header, [(int(m[1]), float(m[2]), float(m[3]), float(m[4])) for m in rows]


GOLDEN = sorted(glob.glob(os.path.join(GOLDEN_DIR, '*.log')))


def test_every_training_chapter_has_a_golden_log():
    sections = {os.path.basename(p)[:-len('.log')] for p in GOLDEN}
    assert set(runs.training_sections()) <= sections


@pytest.mark.parametrize('path', GOLDEN, ids=lambda p: os.path.basename(p))
def test_rerun_matches_golden_log(path):
    section = os.path.basename(path)[:-len('.log')]
    header, golden = read_golden(path)
    assert 'seed 0' in header[0] and len(golden) == 5
    records = seed0_records(section)
    assert [r.epoch for r in records] == [g[0] for g in golden]
    for record, (epoch, loss, train_acc, test_acc) in zip(records, golden):
        assert record.loss == pytest.approx(loss, abs=TOLERANCE['loss']), f'epoch {epoch}'
        assert record.train_acc == pytest.approx(train_acc, abs=TOLERANCE['train_acc'])
        assert record.test_acc == pytest.approx(test_acc, abs=TOLERANCE['test_acc'])
