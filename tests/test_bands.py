"""The final epoch of every training chapter lands in the band of the book's published run.

Book figures are parsed from ../shared/reference/book_logs.md (Source A); every
run shuffles differently, so the checks are bands, not golden values.
"""
import os
import re

import pytest

from chapter_runs import seed0_records
from d2lsoftmax import runs

BOOK_LOGS = os.environ.get('D2LSOFTMAX_BOOK_LOGS', os.path.join(
    os.path.dirname(__file__), '..', '..', 'shared', 'reference', 'book_logs.md'))
LINE = re.compile(r'epoch (\d+), loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)')
# section: (loss within, train acc within or None, test acc at least), from the issues.
BANDS = {'3.6': (0.01, 0.005, 0.82), '3.7': (0.01, 0.005, 0.82),
         '3.9': (0.02, None, 0.85), '3.10': (0.02, None, 0.85)}


def book_final_epochs(path=BOOK_LOGS):
    """{section: (loss, train acc, test acc)} of the last epoch of each '### 3.x' log."""
    with open(path) as f:
        text = f.read()
    finals = {}
    for section, body in re.findall(r'^### (\d+\.\d+) .*?\n```\n(.*?)```', text, re.M | re.S):
        rows = LINE.findall(body)
        finals.setdefault(section, tuple(float(v) for v in rows[-1][1:]))  # Source A first
    return finals


@pytest.fixture(scope='module')
def book():
    if not os.path.exists(BOOK_LOGS):
        pytest.skip(f'book logs not found at {BOOK_LOGS} (set D2LSOFTMAX_BOOK_LOGS)')
    return book_final_epochs()


def test_book_logs_parse(book):
    assert book['3.6'] == (0.4895, 0.835, 0.840)
    assert book['3.10'] == (0.3763, 0.860, 0.872)


@pytest.mark.parametrize('section', [s for s in runs.training_sections() if s in BANDS])
def test_final_epoch_within_book_band(section, book):
    loss_tol, train_tol, min_test = BANDS[section]
    book_loss, book_train, _ = book[section]
    records = seed0_records(section)
    final = records[-1]
    assert abs(final.loss - book_loss) <= loss_tol, final
    if train_tol is not None:
        assert abs(final.train_acc - book_train) <= train_tol, final
    assert final.test_acc >= min_test, final
