"""--scheduler: search folds and seed runs on a Dask cluster of 2 worker processes (loopback).

One local cluster serves the module (starting one costs seconds); each test
connects its own client to it, as `d2lsoftmax ... --scheduler tcp://HOST:PORT`
does. The worker-killing test runs last: the nanny restarts the worker after it.
"""
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict

import pytest

from conftest import DEAD_HOSTS, REAL_DATA_DIR
from d2lsoftmax import cli, data
from d2lsoftmax.experiments import cluster, search, seeds
from d2lsoftmax.experiments.experiment import Settings
from d2lsoftmax.experiments.search import Spec

distributed = pytest.importorskip('distributed')

SPEC = Spec('3.7', k=2, subset=600, release='2017-08-31')
GRID = search.make_grid('3.7', dict(lr=[0.05, 0.2], wd=[0.0], batch_size=[100], num_epochs=[1]))
# The kill test's folds last about 0.5 s each (batch 10), so one is surely running when the
# first result lands; SPEC's take 0.05 s on a warm worker and could all be done by then.
KILL_SPEC = Spec('3.7', k=2, subset=3000, release='2017-08-31')
KILL_GRID = search.make_grid('3.7', dict(lr=[0.05, 0.2], wd=[0.0], batch_size=[10],
                                         num_epochs=[1]))
TIMING = ('seconds', 'pid')  # the only fields that may differ between two runs of a fold


def _offline_real_data_env(tmp_path_factory):
    """Workers' environment: only the real data, an empty MXNET_HOME, no way online."""
    if REAL_DATA_DIR is None:
        pytest.skip('real Fashion-MNIST not found (see conftest.real_data)')
    return {data.DATA_ENV: REAL_DATA_DIR, data.RELEASE_ENV: '', data.DEBIAN_ENV: data.DEBIAN_DIR,
            'MXNET_HOME': str(tmp_path_factory.mktemp('worker-mxnet-home')),
            **DEAD_HOSTS}


@pytest.fixture(scope='module')
def scheduler(tmp_path_factory):
    """The address of a local cluster of 2 workers that see only the real data, offline."""
    with cluster.start_local(2, _offline_real_data_env(tmp_path_factory)) as local:
        yield local.scheduler_address


@pytest.fixture
def executor(scheduler):
    """A client of the module's cluster, closed after the test."""
    with cluster.connect(scheduler) as connected:
        yield connected


def _run_here(spec, grid, folder):
    """The search's folds run in this process (jobs=1): what the cluster must reproduce."""
    path = str(folder / 'r.jsonl')
    os.environ[data.DATA_ENV] = REAL_DATA_DIR or ''
    try:
        return search.run_search(spec, grid, path, jobs=1, progress=False, log=lambda *a: None)
    finally:
        del os.environ[data.DATA_ENV]


@pytest.fixture(scope='module')
def local_folds(tmp_path_factory):
    """SPEC's folds, run here."""
    return _run_here(SPEC, GRID, tmp_path_factory.mktemp('local'))


@pytest.fixture(scope='module')
def local_kill_folds(tmp_path_factory):
    """KILL_SPEC's folds, run here."""
    return _run_here(KILL_SPEC, KILL_GRID, tmp_path_factory.mktemp('local-kill'))


def _same_folds(got, expected):
    assert got.keys() == expected.keys()
    for key, result in expected.items():
        assert {k: v for k, v in got[key].items() if k not in TIMING} == \
            {k: v for k, v in result.items() if k not in TIMING}


def _lines(path):
    return [json.loads(line) for line in open(path)]


def _closed_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# ------------------------------------------------------------ same results

@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_search_on_the_cluster_equals_the_local_search(executor, local_folds, tmp_path):
    path = str(tmp_path / 'r.jsonl')
    logged = []
    folds = search.run_search(SPEC, GRID, path, progress=False, log=logged.append,
                              executor=executor)
    _same_folds(folds, local_folds)
    assert {r['pid'] for r in folds.values()}.isdisjoint({os.getpid()})  # the workers ran them
    assert sorted(r['key'] for r in _lines(path)) == sorted(local_folds)  # each written once
    assert 'on the Dask cluster at tcp://127.0.0.1:' in logged[0]


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_seed_sweep_on_the_cluster_equals_the_local_one(scheduler, capsys):
    argv = ['run', '3.7', '--seeds', '0,1', '--num-epochs', '1']
    assert cli.main(argv) == 0
    here = capsys.readouterr().out.splitlines()
    assert cli.main(argv + ['--scheduler', scheduler]) == 0
    there = capsys.readouterr().out.splitlines()
    seed_lines = sorted(line for line in here if line.startswith('seed '))
    assert len(seed_lines) == 2
    assert sorted(line for line in there if line.startswith('seed ')) == seed_lines
    assert [l for l in there if not l.startswith('seed ')] == \
        [l for l in here if not l.startswith('seed ')]


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_a_search_on_the_cluster_resumes_from_the_results_file(executor, local_folds, tmp_path):
    """Folds already in the results file (here: two run in this process) are not run again."""
    path = str(tmp_path / 'r.jsonl')
    kept = list(local_folds)[:2]
    for key in kept:
        search.append_result(path, local_folds[key])
    logged = []
    folds = search.run_search(SPEC, GRID, path, progress=False, log=logged.append,
                              executor=executor)
    _same_folds(folds, local_folds)
    assert logged[0].startswith(f'{len(local_folds)} folds') and '2 already in' in logged[0]
    assert [folds[key]['pid'] for key in kept] == [os.getpid()] * 2  # kept, not rerun
    assert sorted(r['key'] for r in _lines(path)) == sorted(local_folds)  # the rest, once each


def _comparable(out, folder):
    """A search's printed lines without what may differ: the folder, the table's seconds
    column, and where the folds ran."""
    lines = []
    for line in out.replace(str(folder), 'OUT').splitlines():
        if ' folds (' in line:
            line = line.split(' to run')[0]
        elif re.match(r'\s+\d+\s', line):  # a table row: rank, settings, ..., seconds
            line = line.rsplit(None, 1)[0]
        lines.append(line)
    return lines


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_the_search_command_on_the_cluster_prints_the_local_table_and_retrains_here(
        scheduler, tmp_path, monkeypatch, capsys):
    """`search --scheduler`: the local command's lines but for the seconds column, a progress
    bar; the best configuration is retrained, and the test set used, in this process."""
    argv = ['search', '3.7', '--lr', '0.05,0.2', '--wd', '0', '--batch-size', '100',
            '--num-epochs', '1', '--folds', '2', '--subset', '600']
    assert cli.main(argv + ['--jobs', '1', '--no-progress', '--out', str(tmp_path / 'here')]) == 0
    here = capsys.readouterr().out
    retrained, retrain_best = [], search.retrain_best

    def retrain_here(*args, **kwargs):
        retrained.append(os.getpid())
        return retrain_best(*args, **kwargs)
    monkeypatch.setattr(search, 'retrain_best', retrain_here)
    assert cli.main(argv + ['--scheduler', scheduler, '--out', str(tmp_path / 'there')]) == 0
    there, err = capsys.readouterr()
    assert _comparable(there, tmp_path / 'there') == _comparable(here, tmp_path / 'here')
    assert 'on the Dask cluster at tcp://127.0.0.1:' in there and 'search: 100%' in err
    assert retrained == [os.getpid()]
    folds = _lines(tmp_path / 'there' / 'search_3.7.jsonl')
    assert len(folds) == 4 and os.getpid() not in {r['pid'] for r in folds}


def test_local_n_gives_each_worker_its_share_of_the_cores():
    assert cluster.worker_env(2, cores=8) == dict.fromkeys(cluster.THREAD_VARS, '4')
    assert cluster.worker_env(3, cores=2) == dict.fromkeys(cluster.THREAD_VARS, '1')


def test_dask_workers_start_with_one_openmp_thread_by_default():
    """What makes `dask worker --nworkers N --nthreads 1` one core per worker: distributed's
    nanny sets these before it starts a worker process."""
    import dask
    environ = dask.config.get('distributed.nanny.pre-spawn-environ')
    assert {name: str(environ.get(name)) for name in cluster.THREAD_VARS} == \
        dict.fromkeys(cluster.THREAD_VARS, '1')


@pytest.mark.slow
def test_the_local_clusters_workers_run_with_their_share_of_openmp_threads(executor):
    """The module's `local:2`-style cluster: one task thread and cores // 2 OpenMP/BLAS
    threads in every worker's environment, set before the worker started."""
    share = str(max(1, (os.cpu_count() or 1) // 2))
    assert list(executor.client.nthreads().values()) == [1, 1]
    found = executor.client.run(lambda: [os.environ.get(v) for v in cluster.THREAD_VARS])
    assert list(found.values()) == [[share] * len(cluster.THREAD_VARS)] * 2


@pytest.mark.slow
def test_a_scheduler_without_workers_is_waited_for_then_one_line(monkeypatch):
    """A worker that joins while the client waits is used; none at all: a ClusterError
    that says how to start one. (The wait is cluster.WORKERS_TIMEOUT, 60 s; 30 s and 1 s
    here, on a scheduler of this process.)"""
    monkeypatch.setattr(cluster, 'WORKERS_TIMEOUT', 30)
    with distributed.LocalCluster(n_workers=0, processes=False, protocol='tcp://',
                                  host='127.0.0.1', dashboard_address=None,
                                  silence_logs=logging.CRITICAL,
                                  scheduler_kwargs={'dashboard_address': '127.0.0.1:0'}) as local:
        address = local.scheduler_address
        threading.Timer(0.5, local.scale, [1]).start()  # a worker arrives after the client
        with cluster.connect(address) as connected:
            assert list(connected.imap(abs, [-1, -2])) in ([1, 2], [2, 1])
        local.scale(0)
        monkeypatch.setattr(cluster, 'WORKERS_TIMEOUT', 1)
        deadline = time.time() + 30
        while local.scheduler_info['workers'] and time.time() < deadline:
            time.sleep(0.05)
        with pytest.raises(cluster.ClusterError) as caught:
            with cluster.connect(address):
                pass
    assert str(caught.value) == (f'the Dask scheduler at {address} has no workers after 1 s; '
                                 f'start some: dask worker {address} --nworkers N --nthreads 1')


# ------------------------------------------------------------------ threads

WORKER_THREADS = 4


@pytest.fixture
def threaded_scheduler(tmp_path_factory):
    """The address of a cluster of 1 worker process with WORKER_THREADS threads, as
    `dask worker --nthreads 4` starts it (loopback, offline, one OpenMP thread)."""
    env = {**_offline_real_data_env(tmp_path_factory), **cluster.worker_env(1, 1)}
    with distributed.LocalCluster(n_workers=1, threads_per_worker=WORKER_THREADS,
                                  processes=True, host='127.0.0.1', dashboard_address=None,
                                  silence_logs=logging.CRITICAL, env=env) as local:
        yield local.scheduler_address


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_a_worker_with_several_threads_trains_one_task_at_a_time(threaded_scheduler):
    """WORKER_THREADS seed runs handed to one worker at once give the serial results, and
    their trainings never overlap in time: the runs seed process-wide RNGs."""
    run_seeds = list(range(WORKER_THREADS))
    serial = seeds.run_seeds('3.7', run_seeds, num_epochs=1)

    def timed(task):  # in the worker, inside cluster.run_one: when it trained, where
        start = time.monotonic()
        result = seeds.train_seed(task)
        return result, (start, time.monotonic(), os.getpid(), threading.get_ident())

    tasks = [('3.7', seed, asdict(Settings()), {'num_epochs': 1}, data.locate().release)
             for seed in run_seeds]
    with cluster.connect(threaded_scheduler) as executor:
        assert list(executor.client.nthreads().values()) == [WORKER_THREADS]
        done = list(executor.imap(timed, tasks))
    assert dict(result for result, _ in done) == serial  # every epoch record of every seed
    spans = sorted(span for _, span in done)
    assert len({pid for *_, pid, _ in spans}) == 1 and spans[0][2] != os.getpid()
    assert len({thread for *_, thread in spans}) > 1  # the worker ran them on several threads
    for (_, end, *_), (next_start, *_) in zip(spans, spans[1:]):
        assert end <= next_start, f'two trainings overlapped in one worker: {spans}'


# ------------------------------------------------------------------ faults

@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_line_quickly(capsys):
    start = time.perf_counter()
    status = cli.main(['search', '3.7', '--lr', '0.1', '--folds', '2', '--subset', '600',
                       '--scheduler', f'tcp://127.0.0.1:{_closed_port()}'])
    assert status == 1 and time.perf_counter() - start < 10
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and 'cannot reach a Dask scheduler at tcp://127.0.0.1:' in err


def test_without_distributed_the_message_says_how_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, 'distributed', None)  # `import distributed` fails
    assert cli.main(['search', '3.7', '--lr', '0.1', '--scheduler', 'local:2']) == 1
    assert "pip install 'd2lsoftmax[cluster]'" in capsys.readouterr().err


@pytest.mark.parametrize('address', ['local:0', 'local:x'])
def test_a_bad_local_cluster_size_is_refused(address):
    with pytest.raises(cluster.ClusterError, match='local:N with N >= 1'):
        cluster.local_workers(address)


def test_jobs_and_a_scheduler_do_not_mix(capsys):
    assert cli.main(['search', '3.7', '--jobs', '2', '--scheduler', 'local:2']) == 1
    assert 'drop --jobs' in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_workers_without_the_clients_release_fail_once_and_stop(executor, tmp_path):
    """Workers hold 2017-08-31 only; a search on 2017-08-26 fails with the data layer's
    message, named once, and leaves nothing running on the cluster."""
    other = Spec('3.7', k=2, subset=600, release='2017-08-26')
    with pytest.raises(data.DataError) as caught:
        search.run_search(other, GRID, str(tmp_path / 'r.jsonl'), progress=False,
                          log=lambda *a: None, executor=executor)
    message = str(caught.value)
    assert message.startswith('on Dask worker ') and message.count('on Dask worker') == 1
    assert 'not the 2017-08-26 asked for' in message
    deadline = time.time() + 5
    while any(executor.client.processing().values()) and time.time() < deadline:
        time.sleep(0.05)
    assert not any(executor.client.processing().values())
    assert not (tmp_path / 'r.jsonl').exists() or _lines(str(tmp_path / 'r.jsonl')) == []


@pytest.mark.slow
def test_plain_runs_never_import_distributed():
    code = ('import sys; from d2lsoftmax import cli; from d2lsoftmax.experiments import cluster, parallel, search, seeds; '
            'list(parallel.imap(abs, [-1, -2], 2)); print("distributed" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == 'False', out.stderr


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_a_worker_killed_mid_search_loses_and_duplicates_no_fold(
        executor, local_kill_folds, tmp_path, monkeypatch):
    """After the first fold lands, SIGKILL a worker that is running one: it is retried."""
    killed, append = [], search.append_result

    def append_then_kill(path, result):
        append(path, result)
        if not killed:
            pids = executor.client.run(os.getpid)
            busy = [a for a, keys in executor.client.processing().items() if keys]
            victim = pids[(busy or list(pids))[0]]
            os.kill(victim, signal.SIGKILL)
            killed.append((victim, bool(busy)))
    monkeypatch.setattr(search, 'append_result', append_then_kill)
    path = str(tmp_path / 'r.jsonl')
    folds = search.run_search(KILL_SPEC, KILL_GRID, path, progress=False, log=lambda *a: None,
                              executor=executor)
    assert killed and killed[0][1], 'no worker was running a fold when one was killed'
    _same_folds(folds, local_kill_folds)
    keys = [r['key'] for r in _lines(path)]
    assert len(keys) == len(set(keys)) == len(local_kill_folds)  # none lost, none twice


@pytest.mark.slow
def test_a_task_that_kills_every_worker_that_runs_it_is_one_error():
    """A task that takes its worker down (here os._exit; out of memory in real life) is retried
    until Dask gives up (KilledWorker): then one ClusterError, not distributed's traceback."""
    import dask
    with dask.config.set({'distributed.scheduler.allowed-failures': 1}):
        with cluster.connect('local:1') as connected:
            with pytest.raises(cluster.ClusterError, match='killed every Dask worker that ran it'):
                list(connected.imap(os._exit, [3]))
