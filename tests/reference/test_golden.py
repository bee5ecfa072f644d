"""Golden epoch logs: every training chapter, rerun under seed 0, reproduces the reference.

The reference ships in the package (d2lsoftmax/golden/, read by d2lsoftmax.reference).
Where this machine's numerics fingerprint has a block in the golden file, the five
lines must be identical, character for character. Elsewhere they must lie in the
band the recorded fingerprints span, widened by the chapters' margins (their records' `margin`)
measured in tests/golden/README.md. The band is also checked without this machine's
own block, which is what a machine with unseen numerics faces.
"""
import pytest

from support.chapter_runs import seed0_lines
from d2lsoftmax import data, sections
from d2lsoftmax.util import numerics
from d2lsoftmax.reference import band_problems, golden_path, margin, parse, read_blocks


@pytest.fixture
def release(real_data):
    return data.locate().release


def test_every_training_chapter_has_a_golden_log():
    for section in sections.golden_sections():
        assert read_blocks(golden_path('2017-08-31', section)), section


def test_every_training_chapter_has_its_margins():
    """The library's training chapters all have a golden band, a margin for each column."""
    assert set(sections.training_sections()) <= set(sections.golden_sections())
    for section in sections.golden_sections():
        assert set(margin(section)) == {'loss', 'train_acc', 'test_acc'}, section


def test_golden_blocks_are_five_epochs_of_distinct_fingerprints():
    for section in sections.golden_sections():
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
    problems = band_problems(seed0_lines(section), blocks, margin(section))
    assert not problems, f'{section} ({fp}), band of {len(blocks)} fingerprints:\n' + \
        '\n'.join(problems)


@pytest.mark.slow
@pytest.mark.parametrize('section', sections.golden_sections())
def test_rerun_matches_golden_log(section, release):
    """Identical lines where this fingerprint was recorded, else inside the band."""
    fp, blocks = _golden(section, release)
    if fp in blocks:
        assert seed0_lines(section) == blocks[fp], f'{section} on {fp}'
    else:
        _assert_in_band(section, fp, blocks)


@pytest.mark.slow
@pytest.mark.parametrize('section', sections.golden_sections())
def test_rerun_lies_in_the_band_of_the_other_fingerprints(section, release):
    """What a machine with unseen numerics faces: the band without this machine's block."""
    fp, blocks = _golden(section, release)
    _assert_in_band(section, fp, {k: v for k, v in blocks.items() if k != fp})
