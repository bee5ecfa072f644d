"""Golden epoch logs: every training chapter, rerun under seed 0, reproduces tests/golden/.

Where this machine's numerics fingerprint has a block in the golden file, the five
lines must be identical, character for character. Elsewhere they must lie in the
band the recorded fingerprints span, widened by the margins measured in
tests/golden/README.md. The band is also checked without this machine's own
block, which is what a machine with unseen numerics faces.
"""
import os
import re
import sys

import pytest

from chapter_runs import seed0_lines
from d2lsoftmax import data, sections

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'golden'))
import numerics  # noqa: E402
from regenerate import golden_path, read_blocks  # noqa: E402

LINE = re.compile(r'epoch (\d+), loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)$')
COLUMNS = ('loss', 'train_acc', 'test_acc')
# How far outside the recorded fingerprints' range a line may fall, per chapter:
# twice the largest leave-one-out excess over the 10 fingerprints recorded here
# (`python tests/golden/regenerate.py --spread`; tests/golden/README.md), rounded up,
# and at least two printed digits. Softmax regression gave identical lines under all
# 10; the MLPs at lr 0.5 amplify last-bit differences, dropout most.
QUANTA = dict(loss=0.0002, train_acc=0.002, test_acc=0.002)
MARGIN = {
    '3.6': QUANTA, '3.7': QUANTA,
    '3.9': dict(loss=0.005, train_acc=0.002, test_acc=0.014),
    '3.10': dict(loss=0.017, train_acc=0.006, test_acc=0.020),
    '3.13': dict(loss=0.045, train_acc=0.010, test_acc=0.028),
    '3.13-concise': dict(loss=0.057, train_acc=0.022, test_acc=0.014),
}


def parse(lines):
    """[(epoch, loss, train_acc, test_acc)] of epoch lines in the book's format."""
    rows = [LINE.match(line) for line in lines]
    assert all(rows), f'a line is not in the book\'s epoch format: {lines}'
    return [(int(m[1]), float(m[2]), float(m[3]), float(m[4])) for m in rows]


def band_problems(ours, blocks, margin):
    """Lines saying where `ours` leaves the band of `blocks` (empty: inside it)."""
    ours, others = parse(ours), [parse(lines) for lines in blocks.values()]
    problems = []
    for i, row in enumerate(ours):
        for j, column in enumerate(COLUMNS, start=1):
            values = [other[i][j] for other in others]
            low, high = min(values) - margin[column], max(values) + margin[column]
            if not low <= row[j] <= high:
                problems.append(f'epoch {row[0]} {column} {row[j]} outside '
                                f'[{low:.4f}, {high:.4f}]')
    return problems


@pytest.fixture
def release(real_data):
    return data.locate().release


def test_every_training_chapter_has_a_golden_log():
    for section in sections.training_sections():
        assert read_blocks(golden_path('2017-08-31', section)), section


def test_golden_blocks_are_five_epochs_of_distinct_fingerprints():
    for section in sections.training_sections():
        blocks = read_blocks(golden_path('2017-08-31', section))
        assert len(blocks) >= 2, f'{section}: one fingerprint gives no band'
        for fp, lines in blocks.items():
            assert [row[0] for row in parse(lines)] == [1, 2, 3, 4, 5], (section, fp)
            assert numerics.parse_fingerprint(fp)['release'] == '2017-08-31'


def _golden(section, release):
    """(this machine's fingerprint line, the golden blocks of `section`) or a skip."""
    blocks = read_blocks(golden_path(release, section))
    if not blocks:
        pytest.skip(f'no golden log for release {release} (only 2017-08-31 can be made '
                    'offline); test_bands checks it against the book')
    return numerics.format_fingerprint(numerics.fingerprint(release)), blocks


def _assert_in_band(section, fp, blocks):
    problems = band_problems(seed0_lines(section), blocks, MARGIN[section])
    assert not problems, f'{section} ({fp}), band of {len(blocks)} fingerprints:\n' + \
        '\n'.join(problems)


@pytest.mark.slow
@pytest.mark.parametrize('section', sections.training_sections())
def test_rerun_matches_golden_log(section, release):
    """Identical lines where this fingerprint was recorded, else inside the band."""
    fp, blocks = _golden(section, release)
    if fp in blocks:
        assert seed0_lines(section) == blocks[fp], f'{section} on {fp}'
    else:
        _assert_in_band(section, fp, blocks)


@pytest.mark.slow
@pytest.mark.parametrize('section', sections.training_sections())
def test_rerun_lies_in_the_band_of_the_other_fingerprints(section, release):
    """What a machine with unseen numerics faces: the band without this machine's block."""
    fp, blocks = _golden(section, release)
    _assert_in_band(section, fp, {k: v for k, v in blocks.items() if k != fp})
