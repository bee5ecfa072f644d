"""The chapters on synthetic data, 3.11 (polynomial fitting) and 3.12 (weight decay).

Each script runs here with the book's settings under seed 0 (seconds: 100 passes
over at most 100 examples) and must print, line for line, the golden block of
this machine's numerics fingerprint (d2lsoftmax/reference/golden/synthetic/), and
numbers that tell the book's story: the cubic's weights found, the straight line
underfitting, two examples overfitting, weight decay shrinking w. The scratch and
concise versions take the same steps under the same headings.
"""
import contextlib
import io
import os
import re
import runpy
import sys

import numpy as np
import pytest

from d2lsoftmax import reference, sections
from d2lsoftmax.util import numerics
from support import REPO

# One pytest-xdist worker (--dist loadgroup) runs every chapter once, for all the tests here.
pytestmark = pytest.mark.xdist_group('synthetic-chapters')
SCRATCH_CONCISE = [('3.11', '3.11-concise'), ('3.12', '3.12-concise')]
FIGURES = {'3.11': ['normal', 'underfitting', 'overfitting'], '3.12': ['lambd_0', 'lambd_3'],
           '3.12-concise': ['wd_0', 'wd_3']}
FIGURES['3.11-concise'] = FIGURES['3.11']
# The book's printed results (d2l-zh 1.x, tests/../shared/reference/book_logs.md): per fit of
# 3.11 the final train and test loss, the weights and the bias.
BOOK_3_11 = {'normal': (0.0069049126, 0.011304694, [1.3224835, -3.3640046, 5.563308], 4.9524603),
             'underfitting': (43.997696, 160.71014, [15.567517], 2.282347),
             'overfitting': (0.4027369, 103.314186, [1.3872364, 1.9376589, 3.5085924], 1.2312856)}
FIT = re.compile(r'final epoch: train loss (\S+) test loss (\S+)\nweight: \[\[([^\]]+)\]\]\n'
                 r'bias: \[(\S+)\]')


def script_file(section):
    return os.path.join(REPO, 'chapters', sections.chapter(section).script + '.py')


@pytest.fixture(scope='session')  # kept when the worker returns to this file later
def runs(tmp_path_factory):
    """{section: (what the script printed, the folder of its figures)}, each run once, in
    this process, as `python chapters/SCRIPT.py --out FOLDER` runs it."""
    found = {}

    def run(section):
        if section not in found:
            out = tmp_path_factory.mktemp(section)
            printed, saved = io.StringIO(), sys.argv
            sys.argv = [script_file(section), '--out', str(out)]
            try:
                with contextlib.redirect_stdout(printed):
                    runpy.run_path(script_file(section), run_name='__main__')
            finally:
                sys.argv = saved
            found[section] = printed.getvalue(), out
        return found[section]
    return run


def fits(printed):
    """{name: (train loss, test loss, weights, bias)} of 3.11's three fits, in order."""
    text = '\n'.join(reference.result_lines(printed))
    found = [(float(train), float(test), [float(w) for w in weights.split()], float(bias))
             for train, test, weights, bias in FIT.findall(text)]
    assert len(found) == 3, printed
    return dict(zip(BOOK_3_11, found))


def l2_norms(printed):
    return [float(v) for v in re.findall(r'^L2 norm of w: (\S+)$', printed, re.M)]


# ------------------------------------------------------------ no MXNet

@pytest.mark.parametrize('section', reference.SYNTHETIC_SECTIONS)
def test_the_synthetic_chapters_are_chapters_with_the_books_settings(section):
    found = sections.chapter(section)
    assert found.kind == ('concise' if section.endswith('-concise') else 'scratch')
    assert found.data == sections.SYNTHETIC and section not in sections.training_sections()
    book = dict(num_epochs=100, lr=0.01, batch_size=10) if section.startswith('3.11') \
        else dict(num_epochs=100, lr=0.003, batch_size=1)
    assert found.defaults == book
    assert os.path.isfile(script_file(section))


@pytest.mark.parametrize('scratch, concise', SCRATCH_CONCISE)
def test_scratch_and_concise_line_up_step_for_step(scratch, concise):
    import jupytext

    def headings(section):
        notebook = jupytext.read(script_file(section), fmt='py:percent')
        return [line for cell in notebook.cells if cell.cell_type == 'markdown'
                for line in cell.source.splitlines() if line.startswith('## ')]
    assert headings(scratch) == headings(concise)
    assert headings(scratch)[:3] == ['## The data', '## The model', '## Training']


def test_the_scratch_chapters_write_the_model_and_the_penalty_by_hand():
    for section in ('3.11', '3.12'):
        with open(script_file(section)) as f:
            text = f.read()
        for name in ('attach_grad()', 'd2l.linreg', 'd2l.squared_loss', 'd2l.sgd(',
                     'd2l.semilogy('):
            assert name in text, (section, name)
        assert 'gluon.Trainer' not in text and 'nn.Dense' not in text
    with open(script_file('3.12')) as f:
        assert 'lambd * l2_penalty(w)' in f.read()
    with open(script_file('3.12-concise')) as f:
        assert "'wd': wd" in f.read()


def test_every_synthetic_chapter_has_a_golden_log_apart_from_the_releases():
    assert reference.SYNTHETIC not in reference.releases()
    for section in reference.SYNTHETIC_SECTIONS:
        blocks = reference.blocks(reference.SYNTHETIC, section)
        assert blocks, section
        for fp, lines in blocks.items():
            assert numerics.parse_fingerprint(fp)['release'] == reference.SYNTHETIC
            assert not any(line.startswith('saved ') or line != line.rstrip() for line in lines)


def test_result_lines_drop_the_saved_files_and_trailing_spaces():
    printed = 'final epoch: train loss 1 test loss 2\nsaved out/3.11_normal.png\nweight: [[1.]] \n'
    assert reference.result_lines(printed) == ['final epoch: train loss 1 test loss 2',
                                               'weight: [[1.]]']


# ------------------------------------------------------------ the runs

@pytest.mark.slow
@pytest.mark.parametrize('section', reference.SYNTHETIC_SECTIONS)
def test_chapter_prints_its_golden_block(section, runs):
    """Identical lines where this machine's fingerprint was recorded."""
    fp = numerics.format_fingerprint(numerics.fingerprint(reference.SYNTHETIC))
    blocks = reference.blocks(reference.SYNTHETIC, section)
    if fp not in blocks:
        pytest.skip(f'no golden block of {section} for {fp}: record it with '
                    'python tests/golden/regenerate.py --synthetic (the book checks still run)')
    printed, _ = runs(section)
    assert reference.result_lines(printed) == blocks[fp]


@pytest.mark.slow
@pytest.mark.parametrize('section', reference.SYNTHETIC_SECTIONS)
def test_chapter_saves_each_figure_as_png(section, runs):
    printed, out = runs(section)
    for name in FIGURES[section]:
        path = out / f'{section}_{name}.png'
        assert f'saved {path}' in printed
        with open(path, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    assert '<Figure' not in printed


@pytest.mark.slow
@pytest.mark.parametrize('section', ['3.11', '3.11-concise'])
def test_3_11_prints_the_books_first_examples(section, runs):
    """Seed 0 draws the very x and y the book printed (its MXNet's first draws)."""
    printed, _ = runs(section)
    assert printed.startswith('features [2.2122064 0.7740038]\n')
    assert 'labels [51.674885   6.3585763]' in printed


@pytest.mark.slow
@pytest.mark.parametrize('section', ['3.11', '3.11-concise'])
def test_3_11_finds_the_cubic_underfits_a_line_and_overfits_two_examples(section, runs):
    found = fits(runs(section)[0])
    train, test, w, b = found['normal']
    assert np.allclose(w, [1.2, -3.4, 5.6], atol=0.15) and abs(b - 5) < 0.1
    assert train < 0.01 and test < 0.02  # the noise's level: 0.1 ** 2 / 2 = 0.005
    train, test, w, b = found['underfitting']
    assert len(w) == 1 and train > 10 and test > train
    train, test, w, b = found['overfitting']
    assert train < 1 and test > 50 * train


@pytest.mark.slow
@pytest.mark.parametrize('section', ['3.11', '3.11-concise'])
def test_3_11_is_close_to_the_books_printed_numbers(section, runs):
    """Within a few percent of what the book printed, fit for fit (another seed there)."""
    for name, (train, test, w, b) in fits(runs(section)[0]).items():
        book_train, book_test, book_w, book_b = BOOK_3_11[name]
        assert train == pytest.approx(book_train, rel=0.1), name
        assert test == pytest.approx(book_test, rel=0.1), name
        assert np.allclose(w, book_w, atol=0.05, rtol=0.01), name
        assert b == pytest.approx(book_b, abs=0.05), name


@pytest.mark.slow
@pytest.mark.parametrize('section', ['3.12', '3.12-concise'])
def test_3_12_weight_decay_shrinks_w(section, runs):
    """The book's L2 norms: 11.6 (13.3 in its Gluon run) without decay, 0.04 (0.03) with 3."""
    without, with_decay = l2_norms(runs(section)[0])
    assert without > 5 and with_decay < 0.1
    assert without == pytest.approx(11.611941, rel=0.2)  # the book's scratch lambd=0
    assert 0.02 < with_decay < 0.06  # the book's 0.042 and 0.033


@pytest.mark.slow
def test_3_12_scratch_penalty_and_gluon_wd_agree(runs):
    """lambd * l2_penalty(w) in the loss and a Trainer's wd are the same step: on the same data
    and initial weights both print the same norms, to float32 rounding."""
    scratch, concise = l2_norms(runs('3.12')[0]), l2_norms(runs('3.12-concise')[0])
    assert np.allclose(scratch, concise, rtol=1e-5)
