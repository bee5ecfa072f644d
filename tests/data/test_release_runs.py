"""Every command names the Fashion-MNIST release it uses, once, and records it with the run."""
import json
import os
import re
import subprocess
import sys

import pytest

from d2lsoftmax import cli, data
from d2lsoftmax.data.releases import BOOK, CURRENT

EPOCH = re.compile(r'^epoch \d+, loss \d+\.\d{4}, train acc \d\.\d{3}, test acc \d\.\d{3}$')
pytestmark = pytest.mark.usefixtures('real_data')


def _run(*args, cwd):
    """`python -m d2lsoftmax.cli ARGS` in a subprocess, headless; its CompletedProcess."""
    env = {**os.environ, 'MPLBACKEND': 'Agg'}
    return subprocess.run([sys.executable, '-m', 'd2lsoftmax.cli', *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def _release_lines(stdout):
    return [line for line in stdout.splitlines() if line.startswith('data: Fashion-MNIST ')]


def _the_line():
    return data.release_line()  # what the subprocess finds: real_data's folder


@pytest.mark.slow
def test_run_3_5_names_the_release_first(tmp_path):
    """`run 3.5`: the release line once, before the sizes."""
    result = _run('run', '3.5', '--out', str(tmp_path), '--batch-size', '1000', cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert _release_lines(result.stdout) == [_the_line()] == [lines[0]]
    assert lines[0].startswith(f'data: Fashion-MNIST {CURRENT} (current release; Debian')


@pytest.mark.slow
def test_run_3_6_names_the_release_before_the_epoch_lines(tmp_path):
    """`run 3.6 --num-epochs 1`: the release line once, then the book's epoch line unchanged."""
    result = _run('run', '3.6', '--num-epochs', '1', '--out', str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    epochs = [i for i, line in enumerate(lines) if line.startswith('epoch ')]
    assert _release_lines(result.stdout) == [_the_line()]
    assert len(epochs) == 1 and EPOCH.match(lines[epochs[0]])
    assert lines.index(_the_line()) < epochs[0]


@pytest.mark.slow
def test_saved_parameters_record_their_release_and_evaluate_warns_across(tmp_path, capsys):
    """--save-params writes the release into FILE.json; `evaluate` names the release it scores
    on, and warns on stderr when the model was trained on the other one."""
    params = tmp_path / 'm.npz'
    result = _run('run', '3.6', '--num-epochs', '1', '--save-params', str(params),
                  '--out', str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert _release_lines(result.stdout) == [_the_line()]
    record = json.loads((tmp_path / 'm.npz.json').read_text())
    assert record['release'] == CURRENT
    assert cli.main(['evaluate', '--params', str(params), '--out', str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert _release_lines(out) == [_the_line()] and 'warning' not in err
    record['release'] = BOOK
    (tmp_path / 'm.npz.json').write_text(json.dumps(record))
    assert cli.main(['evaluate', '--params', str(params), '--out', str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert f'warning: {params} was trained on Fashion-MNIST {BOOK} and is scored on ' \
           f'{CURRENT}' in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_search_names_the_release_and_records_it_with_every_fold(tmp_path):
    """`search`: the release line once; each result line carries the release."""
    result = _run('search', '3.6', '--lr', '0.1', '--wd', '0', '--batch-size', '256',
                  '--num-epochs', '1', '--folds', '2', '--subset', '600', '--jobs', '1',
                  '--no-progress', '--out', str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert _release_lines(result.stdout) == [_the_line()]
    with open(tmp_path / 'search_3.6.jsonl') as f:
        folds = [json.loads(line) for line in f]
    assert len(folds) == 2 and {r['release'] for r in folds} == {CURRENT}
    assert all(json.loads(r['key'])['release'] == CURRENT for r in folds)
