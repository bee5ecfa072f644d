"""The command line: list, run 3.5, the chapter script itself, and bad arguments."""
import os
import subprocess
import sys

import pytest

from d2lsoftmax import cli
from d2lsoftmax.data import places
from support import REPO

ROOT = REPO
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def _run(*args, headless=True, cwd=None):
    """Run python with `args` in a subprocess; headless: no MPLBACKEND and no DISPLAY."""
    env = dict(os.environ)
    if headless:
        env.pop('MPLBACKEND', None)
        env.pop('DISPLAY', None)
    else:
        env['MPLBACKEND'] = 'Agg'
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          env=env, cwd=cwd or ROOT, timeout=120)


def _error_lines(stderr):
    return [line for line in stderr.splitlines() if 'error:' in line]


def _assert_png(path):
    with open(path, 'rb') as f:
        assert f.read(8) == PNG_SIGNATURE, f'{path} is not a PNG'


# ------------------------------------------------------------------- list

def test_list_in_process(capsys):
    """`d2lsoftmax list` prints one line per chapter, 3.5 among them, in book order."""
    assert cli.main(['list']) == 0
    lines = capsys.readouterr().out.splitlines()
    sections = [line.split()[0] for line in lines]
    assert '3.5' in sections and sections == list(cli.chapters())  # book order
    assert 'Fashion-MNIST' in lines[sections.index('3.5')]


def test_list_as_a_program():
    """`python -m d2lsoftmax.cli list` exits 0 and lists 3.5."""
    result = _run('-m', 'd2lsoftmax.cli', 'list', headless=False)
    assert result.returncode == 0, result.stderr
    assert any(line.startswith('3.5 ') for line in result.stdout.splitlines())


# ------------------------------------------------------------------- run 3.5

@pytest.mark.slow
def test_run_3_5_headless(real_data, tmp_path):
    """`run 3.5 --out TMP` with no display: sizes printed, PNG saved, no '<Figure size'."""
    out = tmp_path / 'figs'
    result = _run('-m', 'd2lsoftmax.cli', 'run', '3.5', '--out', str(out))
    assert result.returncode == 0, result.stderr
    assert 'training examples: 60000' in result.stdout
    assert 'test examples: 10000' in result.stdout
    assert 'X (256, 1, 28, 28)' in result.stdout
    assert '<Figure size' not in result.stdout
    _assert_png(out / '3.5_examples.png')
    assert f'saved {out / "3.5_examples.png"}' in result.stdout


@pytest.mark.slow
def test_chapter_script_runs_directly(real_data, tmp_path):
    """`python chapters/ch3_5_fashion_mnist.py --out TMP` works from another folder."""
    script = os.path.join(ROOT, 'chapters', 'ch3_5_fashion_mnist.py')
    result = _run(script, '--out', str(tmp_path), '--batch-size', '1000', cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert 'training examples: 60000' in result.stdout
    assert 'X (1000, 1, 28, 28)' in result.stdout and '(60 batches)' in result.stdout
    assert '<Figure size' not in result.stdout
    _assert_png(tmp_path / '3.5_examples.png')


# ----------------------------------------------------------- bad arguments

@pytest.mark.parametrize('argv, needle', [
    (['run', '9.9'], "no chapter '9.9'"),
    (['run', '3.5', '--batch-size', '0'], 'must be positive, got 0'),
    (['run', '3.5', '--batch-size', 'abc'], "expected a positive number, got 'abc'"),
    (['run', '3.5', '--no-such-flag'], 'unrecognized arguments: --no-such-flag'),
    ([], 'choose a command: list, run, search, evaluate, notebook or verify'),
    (['frobnicate'], "invalid choice: 'frobnicate'"),
])
def test_bad_arguments(capsys, argv, needle):
    """One line on stderr naming the problem, nothing on stdout, non-zero exit."""
    try:
        code = cli.main(argv)
    except SystemExit as e:  # argparse exits itself
        code = e.code
    captured = capsys.readouterr()
    assert code not in (0, None)
    lines = captured.err.splitlines()
    assert len(lines) == 1 and 'error:' in lines[0] and needle in lines[0], captured.err
    assert captured.out == '' and 'Traceback' not in captured.err


def test_no_command_exit_status_as_a_program():
    """The program itself (not only main()) exits non-zero on a bad command line."""
    result = _run('-m', 'd2lsoftmax.cli', headless=False)
    assert result.returncode == 2
    assert result.stderr == ('d2lsoftmax: error: choose a command: list, run, search, '
                             'evaluate, notebook or verify (see d2lsoftmax --help)\n')


def test_missing_data_is_one_message_and_exit_1(capsys, tmp_path, monkeypatch):
    """With no data anywhere and no network: 'error: Fashion-MNIST not found', exit 1."""
    monkeypatch.setattr(places, 'DEBIAN_DIR', str(tmp_path / 'no-debian'))
    with pytest.raises(SystemExit) as info:
        cli.main(['run', '3.5', '--out', str(tmp_path)])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith('error: Fashion-MNIST not found. Searched:')
    assert 'apt-get install dataset-fashion-mnist' in err and 'Traceback' not in err
    assert not list(tmp_path.glob('*.png'))


@pytest.mark.parametrize('argv, status', [(['run', '--help'], 0), (['run', '-h'], 0),
                                          (['run'], 2)])
def test_run_without_a_section(argv, status, capsys):
    """`run --help` is help (stdout, status 0); a bare `run` is a usage error (stderr, 2)."""
    assert cli.main(argv) == status
    captured = capsys.readouterr()
    asked, other = (captured.out, captured.err) if status == 0 else (captured.err, captured.out)
    assert asked.startswith('usage: d2lsoftmax run SECTION [options]; sections: 3.5, 3.6')
    assert other == ''
