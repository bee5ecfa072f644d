"""Grid search: folds, the test set kept out, results file, resume after a kill, ranking."""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from d2lsoftmax import data
from d2lsoftmax.experiments import search
from d2lsoftmax.experiments.search import Spec

TINY = dict(lr=[0.05, 0.2], wd=[0.0], batch_size=[100])  # 2 configurations


# ---------------------------------------------------------------------- folds

@pytest.mark.parametrize('n, k', [(10, 2), (103, 5), (60000, 5), (7, 7)])
def test_folds_are_disjoint_and_cover_the_training_set(n, k):
    folds = search.kfold_indices(n, k, seed=3)
    everything = np.concatenate(folds)
    assert len(folds) == k
    assert np.array_equal(np.sort(everything), np.arange(n))  # each index exactly once
    assert max(map(len, folds)) - min(map(len, folds)) <= 1
    for fold in range(k):
        train_idx, val_idx = search.fold_split(n, k, fold, seed=3)
        assert not set(train_idx) & set(val_idx)
        assert len(train_idx) + len(val_idx) == n


def test_folds_depend_on_the_seed_only():
    a, b, c = (search.kfold_indices(100, 4, s) for s in (0, 0, 1))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


@pytest.mark.parametrize('k', [1, 11])
def test_impossible_k_is_refused(k):
    with pytest.raises(ValueError, match='2 <= k'):
        search.kfold_indices(10, k)


# ----------------------------------------------------------------------- grid

def test_default_grid_keeps_the_axes_the_chapter_has():
    grid = search.make_grid('3.7')
    assert grid == {'lr': [0.01, 0.1, 0.5], 'wd': [1e-4, 1e-3, 1e-2],
                    'batch_size': [64, 128, 256]}
    assert len(search.configurations(grid)) == 27


def test_axis_the_chapter_lacks_is_an_error():
    with pytest.raises(ValueError, match='chapter 3.6 has no num_hiddens'):
        search.make_grid('3.6', {'num_hiddens': [10]})


@pytest.mark.parametrize('axis, values', [('lr', [0.1, -1]), ('batch_size', [2.5]),
                                          ('wd', [-0.1]), ('num_epochs', [])])
def test_bad_values_are_refused(axis, values):
    with pytest.raises(ValueError, match=axis):
        search.make_grid('3.7', {axis: values})


# ---------------------------------------------------------- the test set waits

@pytest.mark.usefixtures('real_data')
def test_the_test_set_never_enters_the_search(tmp_path, monkeypatch):
    real, splits = data.load_arrays, []

    def recording(split, root=None, release=None):
        splits.append(split)
        return real(split, root, release)
    monkeypatch.setattr(data, 'load_arrays', recording)
    monkeypatch.setattr(search, 'load_arrays', recording)
    spec = Spec('3.7', k=3, subset=600)
    results = search.run_search(spec, search.make_grid('3.7', dict(TINY, num_epochs=[1])),
                                str(tmp_path / 'r.jsonl'), jobs=1, progress=False,
                                log=lambda *a: None)
    assert splits and set(splits) == {'train'}
    assert len(results) == 6
    assert all(r['n_train'] == 400 and r['n_val'] == 200 for r in results.values())
    best = search.rank(results)[0]
    trained = search.retrain_best(spec, best['config'], verbose=False)
    assert splits.count('test') == 1  # once, by the best configuration
    assert len(trained.records) == 1


# --------------------------------------------------------------- results file

@pytest.mark.usefixtures('real_data')
def test_resume_skips_folds_already_in_the_file(tmp_path):
    path = str(tmp_path / 'r.jsonl')
    spec, grid = Spec('3.7', k=2, subset=400), search.make_grid('3.7', dict(TINY, num_epochs=[1]))
    first = search.run_search(spec, grid, path, progress=False, log=lambda *a: None)
    lines = open(path).read().splitlines()
    with open(path, 'a') as f:
        f.write(lines[0][:40])  # a half-written line, as a kill leaves it
    logged = []
    again = search.run_search(spec, grid, path, progress=False, log=logged.append)
    assert again == first
    assert '4 already in' in logged[0] and '0 to run' in logged[0]
    assert open(path).read().splitlines() == lines  # nothing redone, the torn line cut


@pytest.mark.usefixtures('real_data')
def test_a_progress_bar_counts_the_folds_on_stderr(tmp_path, capsys):
    spec, grid = Spec('3.7', k=2, subset=400), search.make_grid('3.7', dict(TINY, num_epochs=[1]))
    search.run_search(spec, grid, str(tmp_path / 'r.jsonl'), log=lambda *a: None)
    out, err = capsys.readouterr()
    assert out == '' and 'search: 100%' in err and '4/4 ' in err and 'val_acc=' in err


@pytest.mark.usefixtures('real_data')
def test_damaged_lines_are_counted_once_on_resume(tmp_path, capsys):
    """A garbage line, bytes that are not UTF-8, a line of JSON that is no result and a cut last
    line: one warning line on stderr, naming the file and the 4 lines ignored."""
    path = str(tmp_path / 'r.jsonl')
    spec, grid = Spec('3.7', k=2, subset=400), search.make_grid('3.7', dict(TINY, num_epochs=[1]))
    first = search.run_search(spec, grid, path, progress=False, log=lambda *a: None)
    assert capsys.readouterr().err == ''  # a clean file: no warning
    lines = open(path, 'rb').read().splitlines(keepends=True)
    damaged = [b'garbage{\n', b'\xff\xfe\x00 not text\n', b'[1, 2]\n', lines[0][:40]]
    with open(path, 'wb') as f:
        f.write(b''.join(lines[:2] + damaged[:3] + lines[2:] + damaged[3:]))
    logged = []
    assert search.run_search(spec, grid, path, progress=False, log=logged.append) == first
    assert capsys.readouterr().err.splitlines() == [
        f'warning: {path}: 4 lines could not be read (cut short or damaged) and were ignored; '
        'the folds they held are run again']
    assert '4 already in' in logged[0] and '0 to run' in logged[0]


@pytest.mark.usefixtures('real_data')
def test_a_different_search_does_not_reuse_results(tmp_path):
    path = str(tmp_path / 'r.jsonl')
    grid = search.make_grid('3.7', dict(lr=[0.1], wd=[0.0], batch_size=[100], num_epochs=[1]))
    search.run_search(Spec('3.7', k=2, subset=400), grid, path, progress=False,
                      log=lambda *a: None)
    logged = []
    search.run_search(Spec('3.7', k=2, subset=400, seed=1), grid, path, progress=False,
                      log=logged.append)
    assert '0 already in' in logged[0]


def _complete_lines(path):
    if not os.path.exists(path):
        return []
    return [json.loads(line) for line in open(path).read().split('\n')[:-1]]


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_killed_search_resumes_without_redoing_finished_folds(tmp_path):
    """Kill a real search process after its first fold lands; the rerun does the rest only."""
    results = str(tmp_path / 'r.jsonl')
    command = [sys.executable, '-m', 'd2lsoftmax.cli', 'search', '3.7', '--lr', '0.05,0.1',
               '--wd', '0,0.001', '--batch-size', '20', '--num-epochs', '1', '--folds', '2',
               '--subset', '4000', '--jobs', '1', '--results', results,
               '--out', str(tmp_path), '--no-progress']
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while not _complete_lines(results) and process.poll() is None \
                and time.time() < deadline:
            time.sleep(0.01)
    finally:
        process.kill()
        process.communicate()
    before = _complete_lines(results)
    assert 1 <= len(before) < 8, 'the kill came too late to test a resume'

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f'{len(before)} already in' in rerun.stdout
    after = _complete_lines(results)
    keys = [r['key'] for r in after]
    assert len(keys) == len(set(keys)) == 8  # every fold once
    assert after[:len(before)] == before  # the finished folds kept, not redone
    assert {r['pid'] for r in after[len(before):]} == {rerun_pid(after, before)}
    assert 'test acc' in rerun.stdout
    assert (tmp_path / 'search_3.7_cv.png').exists() and (tmp_path / 'search_3.7_best.png').exists()


def rerun_pid(after, before):
    """The one process id of the folds the rerun added (jobs=1 runs them in-process)."""
    pids = {r['pid'] for r in after[len(before):]}
    assert len(pids) == 1 and pids.isdisjoint({r['pid'] for r in before})
    return pids.pop()


# ------------------------------------------------------------------- parallel

@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_parallel_workers_give_the_serial_results(tmp_path):
    spec = Spec('3.7', k=2, subset=600)
    grid = search.make_grid('3.7', dict(TINY, num_epochs=[1]))
    serial = search.run_search(spec, grid, str(tmp_path / 's.jsonl'), jobs=1,
                               progress=False, log=lambda *a: None)
    parallel = search.run_search(spec, grid, str(tmp_path / 'p.jsonl'), jobs=2,
                                 progress=False, log=lambda *a: None)
    assert {r['pid'] for r in parallel.values()}.isdisjoint({os.getpid()})
    for key in serial:
        assert parallel[key]['val_acc'] == pytest.approx(serial[key]['val_acc'], abs=1e-6)


# -------------------------------------------------------------------- ranking

def _result(lr, fold, val_acc):
    return {'config': {'lr': lr}, 'fold': fold, 'val_acc': val_acc, 'train_acc': 0.5,
            'seconds': 1.0, 'records': [[1, 1.0, 0.5, val_acc]]}


def test_rank_orders_by_mean_cv_accuracy():
    results = {i: r for i, r in enumerate([
        _result(0.1, 0, 0.80), _result(0.1, 1, 0.84),
        _result(0.5, 0, 0.85), _result(0.5, 1, 0.87)])}
    rows = search.rank(results)
    assert [row['config']['lr'] for row in rows] == [0.5, 0.1]
    assert rows[0]['mean'] == pytest.approx(0.86)
    assert rows[0]['std'] == pytest.approx(np.std([0.85, 0.87], ddof=1))
    table = search.format_table(rows, ['lr'])
    assert table[1].split()[:3] == ['1', '0.5', '0.8600']
