"""The book's chapter 3 runs with one changed line: `import d2lsoftmax as d2l` for d2lzh.

Every section of chapter 3 that has code (3.1, 3.2, 3.3, 3.5, 3.6, 3.7, 3.8, 3.9,
3.10, 3.11, 3.12, 3.13, 3.16) is represented by a short program in book_programs/
beside this file, written the way the book uses d2lzh: the same names, positional
signatures and return values (our reconstruction of the calls, not the book's text).
Each runs twice in this process on the same tiny data, 1 epoch: once with d2lsoftmax
and once with d2lzh itself, and must print the same lines. Two shims let d2lzh run
here at all: IPython 9 removed the `set_matplotlib_formats` its plotting calls, and
gluon's mirror is offline, so its Fashion-MNIST loader is ours (whose batches equal
gluon's: tests/data/). The 3.6 and 3.7 programs also run once as a fresh process on
the real data, against the library's epoch lines.
"""
import os
import subprocess
import sys

import pytest

from support.chapter_runs import seed0_records
from d2lsoftmax.training import EPOCH_LINE

SEEDING = ('import random, numpy, mxnet\n'
           'random.seed(0); numpy.random.seed(0); mxnet.random.seed(0)\n')

BOOK_PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'book_programs')
CHAPTER_3 = {  # section: its program in book_programs/, as a reader would type it
    '3.1': '3_1_vectorization.py',
    '3.2': '3_2_linear_regression_scratch.py',
    '3.3': '3_3_linear_regression_gluon.py',
    '3.5': '3_5_fashion_mnist.py',
    '3.6': '3_6_softmax_regression_scratch.py',
    '3.7': '3_7_softmax_regression_gluon.py',
    '3.8': '3_8_mlp_activations.py',
    '3.9': '3_9_mlp_scratch.py',
    '3.10': '3_10_mlp_gluon.py',
    '3.11': '3_11_underfit_overfit.py',
    '3.12': '3_12_weight_decay.py',
    '3.13': '3_13_dropout.py',
    '3.16': '3_16_kaggle_house_prices.py',
}
EPOCH_SECTIONS = {'3.2', '3.3', '3.6', '3.7', '3.9', '3.10', '3.13'}  # print epoch lines


def book_program(section):
    """The text of the book's program of `section` (it imports d2lzh)."""
    with open(os.path.join(BOOK_PROGRAMS, CHAPTER_3[section]), encoding='utf-8') as f:
        return f.read()


def as_ours(code):
    """The program with its one import line changed, as a reader would change it."""
    assert code.count('import d2lzh as d2l') == 1
    return code.replace('import d2lzh as d2l', 'import d2lsoftmax as d2l')


def comparable(out):
    """The printed lines, minus those that time something (they differ run to run)."""
    return [line for line in out.splitlines() if ' sec' not in line]


@pytest.fixture
def tiny_fashion_mnist(fake_data, tmp_path, monkeypatch):
    """A 600 / 200 image Fashion-MNIST in $D2LSOFTMAX_DATA: three batches of 256 and a test pass."""
    folder = tmp_path / 'tiny-fashion-mnist'
    fake_data(str(folder), sizes={'train': 600, 'test': 200})
    monkeypatch.setenv('D2LSOFTMAX_DATA', str(folder))
    return folder


@pytest.fixture
def d2lzh_runs_here(monkeypatch):
    """Let d2lzh run in this process: the IPython 9 plotting call, the offline data loader."""
    import d2lzh
    import IPython.display
    import d2lsoftmax
    # removed in IPython 9; in a terminal the figure format does not matter
    monkeypatch.setattr(IPython.display, 'set_matplotlib_formats', lambda *a, **k: None,
                        raising=False)
    monkeypatch.setattr(d2lzh, 'load_data_fashion_mnist', d2lsoftmax.load_data_fashion_mnist)
    return d2lzh


def run_in_process(code, capsys, name='<book program>'):
    """exec a seeded program in a fresh namespace; returns what it printed."""
    from d2lsoftmax.training import plotting
    capsys.readouterr()
    namespace = {'__name__': '__book__'}
    exec(SEEDING, namespace)
    exec(compile(code, name, 'exec'), namespace)  # tracebacks name the program's file
    plotting.plt.close('all')  # d2lzh leaves its figures open
    return capsys.readouterr().out


SLOWER = {'3.11', '3.12', '3.16'}  # they train for many epochs (1 to 2 s each, twice)


@pytest.mark.parametrize('section', [pytest.param(s, marks=pytest.mark.slow) if s in SLOWER
                                     else s for s in CHAPTER_3])
def test_chapter_3_runs_with_only_the_import_changed_and_prints_what_d2lzh_prints(
        section, tiny_fashion_mnist, d2lzh_runs_here, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # 3.16 writes submission.csv
    path = os.path.join(BOOK_PROGRAMS, CHAPTER_3[section])
    ours = run_in_process(as_ours(book_program(section)), capsys, path)
    theirs = run_in_process(book_program(section), capsys, path)
    assert '<Figure' not in ours
    assert comparable(ours) == comparable(theirs)
    if section in EPOCH_SECTIONS:
        assert any(line.startswith('epoch ') for line in ours.splitlines())


def test_the_d2lzh_names_of_chapter_3_are_all_there():
    import d2lsoftmax as d2l
    for name in ('data_iter', 'linreg', 'squared_loss', 'sgd', 'semilogy', 'set_figsize',
                 'use_svg_display', 'plt', 'show_fashion_mnist', 'show_images',
                 'get_fashion_mnist_labels', 'load_data_fashion_mnist', 'evaluate_accuracy',
                 'train_ch3'):
        assert callable(getattr(d2l, name)) or name == 'plt', name


# ------------------------------------------- a fresh process on the real data

def run_book_code(code, tmp_path):
    """Run `code` with its import line changed in a fresh Python process; return stdout."""
    script = tmp_path / 'book.py'
    script.write_text(SEEDING + as_ours(code))
    env = {k: v for k, v in os.environ.items() if k != 'DISPLAY'}
    env['MPLBACKEND'] = 'Agg'
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert '<Figure' not in done.stdout
    return done.stdout.splitlines()


@pytest.mark.slow
@pytest.mark.parametrize('section', ['3.6', '3.7'])
def test_book_code_in_a_fresh_process_prints_the_librarys_first_epoch(section, real_data,
                                                                     tmp_path):
    lines = run_book_code(book_program(section), tmp_path)
    # Same seed, same data order, same model: the book's loop prints our first epoch.
    assert lines[0] == EPOCH_LINE % seed0_records(section)[0]
    if section == '3.6':
        test_acc = seed0_records(section)[0].test_acc
        assert lines[1] == 'library evaluate_accuracy %.4f' % test_acc
