"""Ctrl-C stops every command with one line and status 130, never lost inside MXNet; two
searches never share a results file; workers die with their parent.
SIGTERM stops them the same way, with status 143.

Each case starts the real command in a subprocess and sends it SIGINT (SIGTERM, or SIGKILL)
at a chosen point: while it imports, right after the first read of the data, during
training, between seeds, while scoring, between folds.
"""
import glob
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from d2lsoftmax.experiments import checkpoint
from support import REPO
from support.commands import Command, assert_one_line
from d2lsoftmax.util import interrupt
from d2lsoftmax import models, sections
from d2lsoftmax.sections import chapter_args

SEARCH = ['search', '3.7', '--lr', '0.05,0.1', '--wd', '0,0.001', '--batch-size', '50',
          '--num-epochs', '2', '--folds', '2', '--subset', '3000', '--no-progress']


def _maps(pid):
    """The files mapped into process `pid` (empty once it has ended)."""
    try:
        with open(f'/proc/{pid}/maps') as f:
            return f.read()
    except OSError:
        return ''


def _wait_until(condition, timeout=120):
    """Block until condition() holds; fail after `timeout` s."""
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, 'timed out'
        time.sleep(0.005)


def _no_leftovers(*folders):
    """No .part, .tmp or .lock file anywhere under `folders`."""
    found = [p for folder in folders for pattern in ('*.part', '*.tmp', '*.lock')
             for p in glob.glob(os.path.join(str(folder), '**', pattern), recursive=True)]
    assert found == []


# ------------------------------------------------------------ the handler itself

FINALIZER = '''
import os, signal, sys, threading, time
from d2lsoftmax.util import interrupt
class Freed:
    def __del__(self):  # like NDArray.__del__: most of the time is spent in finalizers
        end = time.time() + 0.002
        while time.time() < end:
            pass
if sys.argv[1] == 'ours':
    signal.signal(signal.SIGINT, interrupt.on_sigint)
threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
try:
    end = time.time() + 1.5
    while time.time() < end:
        Freed()
        for _ in range(20):
            pass
    print('lost')
except KeyboardInterrupt:
    print('raised')
'''


@pytest.mark.slow
def test_an_interrupt_arriving_in_a_finalizer_is_never_lost(tmp_path):
    """Python's own handler loses a Ctrl-C that lands in a __del__; ours raises it after."""
    script = tmp_path / 'finalizer.py'
    script.write_text(FINALIZER)
    results = {'ours': [], 'default': []}
    for _ in range(3):
        for handler in results:
            done = subprocess.run([sys.executable, str(script), handler], capture_output=True,
                                  text=True, timeout=60)
            results[handler].append(done.stdout.strip())
    assert results['ours'] == ['raised'] * 3
    assert 'lost' in results['default']  # the failure the handler exists for


def test_the_innermost_note_names_the_interrupt():
    with pytest.raises(KeyboardInterrupt):
        with interrupt.note('outer'), interrupt.note('inner', 'kept this'):
            raise KeyboardInterrupt
    assert interrupt._pending == ['interrupted: inner; kept this']
    interrupt._pending.clear()


def test_the_line_names_what_was_interrupted_and_what_was_kept():
    with interrupt.note('d2lsoftmax run 3.6'):
        assert interrupt.message() == ('interrupted: d2lsoftmax run 3.6; nothing half-written '
                                       'was left behind')
        done = []
        with interrupt.note('seeds', lambda: f'{len(done)} done', 'run it again'):
            done.append(1)
            assert interrupt.message() == 'interrupted: seeds; 1 done; run it again'


def test_workers_ignore_ctrl_c_and_the_handler_is_restored(tmp_path):
    before = signal.getsignal(signal.SIGINT)
    with interrupt.handling():
        assert interrupt.installed()
    assert signal.getsignal(signal.SIGINT) is before


def test_a_worker_whose_parent_died_before_it_started_exits_at_once():
    """A worker told its parent's pid exits when that process is already gone, instead of
    watching the process it was left to."""
    gone = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                          capture_output=True, text=True, check=True).stdout.strip()
    program = ('import time; from d2lsoftmax.util import interrupt; '
               f'interrupt.worker_init({gone}); time.sleep(30)')
    start = time.time()
    done = subprocess.run([sys.executable, '-c', program], capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stderr) == (1, '') and time.time() - start < 15


LEAVES_THE_POOL = '''
import os, time
from d2lsoftmax.experiments import parallel
for _ in parallel.imap(time.sleep, [0.2, 3, 3], jobs=2):
    os._exit(130)  # what interrupt.handling(final=True) does after the one line
'''


def test_leaving_a_pool_at_once_adds_nothing_to_stderr(tmp_path):
    """An interrupted command exits before loky unregisters its semaphores; loky's resource
    tracker cleans them up later without a warning on our stderr (a second line)."""
    shm = set(os.listdir('/dev/shm')) if os.path.isdir('/dev/shm') else set()
    done = subprocess.run([sys.executable, '-c', LEAVES_THE_POOL], cwd=tmp_path,
                          stderr=subprocess.PIPE, text=True, timeout=60)  # waits for stderr's
    assert done.returncode == 130                                          # last holder
    assert done.stderr == ''
    if shm:
        left = {name for name in set(os.listdir('/dev/shm')) - shm if 'joblib' in name}
        assert left == set()


# ------------------------------------------------------------ run, at many points

@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
@pytest.mark.parametrize('when', ['importing', 'first read', 'training', 'epoch 2'])
def test_ctrl_c_during_a_run(when, tmp_path):
    command = Command(['run', '3.7', '--out', str(tmp_path / 'out')], tmp_path)
    if when == 'importing':  # MXNet's library is being loaded (main handles Ctrl-C by then)
        _wait_until(lambda: 'libmxnet' in _maps(command.process.pid))
    elif when == 'first read':  # 3.5 prints the release, then reads the data
        command.process.kill()
        command = Command(['run', '3.5', '--out', str(tmp_path / 'out')], tmp_path)
        assert command.wait_for(lambda line: line.startswith('data: '))
    elif when == 'training':
        assert command.wait_for(lambda line: line.startswith('data: '))
    else:
        assert command.wait_for(lambda line: line.startswith('epoch 1,'))
    code, err, took = command.interrupt(0.05 if when == 'training' else 0)
    assert_one_line(code, err, took, 'd2lsoftmax run 3.')
    assert not [line for line in command.lines if line.startswith('epoch 5,')]
    _no_leftovers(tmp_path, os.environ['MXNET_HOME'])


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_ctrl_c_during_a_chapter_script_run_directly(tmp_path):
    """`python chapters/ch3_7_softmax_concise.py`, interrupted after its first epoch."""
    script = os.path.join(REPO, 'chapters', sections.chapter('3.7').script + '.py')
    command = Command(['--out', str(tmp_path / 'out')], tmp_path, program=script)
    assert command.wait_for(lambda line: line.startswith('epoch 1,'))
    code, err, took = command.interrupt()
    assert_one_line(code, err, took, 'run 3.7')
    assert not [line for line in command.lines if line.startswith('epoch 5,')]
    _no_leftovers(tmp_path)


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_ctrl_c_at_random_moments_of_training_never_runs_on(tmp_path):
    """Four interrupts at random moments of 3.10's training: each one stops it (the
    interrupts lost in NDArray.__del__ ran on to exit 0 before)."""
    import random
    rng = random.Random(3)
    for _ in range(4):
        command = Command(['run', '3.10', '--out', str(tmp_path)], tmp_path)
        assert command.wait_for(lambda line: line.startswith('data: '))
        code, err, took = command.interrupt(rng.uniform(0, 2.5))
        assert_one_line(code, err, took)


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_ctrl_c_during_a_run_that_saves_parameters(tmp_path):
    command = Command(['run', '3.7', '--wd', '0.001', '--save-params', str(tmp_path / 'm.params'),
                      '--out', str(tmp_path)], tmp_path)
    assert command.wait_for(lambda line: line.startswith('epoch 1,'))
    code, err, took = command.interrupt()
    assert_one_line(code, err, took, 'm.params was not written')
    assert not (tmp_path / 'm.params').exists()
    _no_leftovers(tmp_path)


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
@pytest.mark.parametrize('jobs', [1, 2])
def test_ctrl_c_between_seeds(jobs, tmp_path):
    command = Command(['run', '3.7', '--seeds', '0-5', '--num-epochs', '1', '--jobs',
                       str(jobs)], tmp_path)
    assert command.wait_for(lambda line: line.startswith('seed '))
    code, err, took = command.interrupt()
    assert_one_line(code, err, took, '--seeds 0-5', 'of 6 seeds had finished')


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_ctrl_c_during_evaluate(tmp_path):
    args = chapter_args('3.10')
    model = models.build('3.10', args)
    from mxnet import nd
    model.net(nd.zeros((1, 1, 28, 28)))
    path = checkpoint.save(str(tmp_path / 'm.params'), model, '3.10', args,
                           release='2017-08-31')
    before = open(path, 'rb').read()
    command = Command(['evaluate', '--params', path, '--out', str(tmp_path)], tmp_path)
    assert command.wait_for(lambda line: 'chapter 3.10 concise model' in line)
    code, err, took = command.interrupt()
    assert_one_line(code, err, took, 'evaluate', 'm.params is unchanged')
    assert open(path, 'rb').read() == before
    _no_leftovers(tmp_path, os.environ['MXNET_HOME'])


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
@pytest.mark.parametrize('jobs', [1, 2])
def test_ctrl_c_during_a_search_keeps_the_finished_folds(jobs, tmp_path):
    results = tmp_path / 'r.jsonl'
    command = Command(SEARCH + ['--jobs', str(jobs), '--results', str(results),
                                '--out', str(tmp_path)], tmp_path)
    assert command.wait_for(lambda line: 'to run' in line)
    deadline = time.time() + 120
    while not (results.exists() and results.read_text().count('\n')) and time.time() < deadline:
        time.sleep(0.02)
    code, err, took = command.interrupt()
    done = results.read_text().count('\n')
    assert_one_line(code, err, took, f'{done} finished folds are in {results}', 'resume')
    _no_leftovers(tmp_path)


# ------------------------------------------------------------ SIGTERM: as Ctrl-C

TERMINATED = 128 + signal.SIGTERM  # 143: what a shell reports for a program stopped so


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
@pytest.mark.parametrize('how', ['command', 'script'])
def test_sigterm_during_a_run_is_one_line_and_143(how, tmp_path):
    """`kill -TERM` of `d2lsoftmax run 3.7`, or of the chapter run as a program, mid-training."""
    if how == 'command':
        command = Command(['run', '3.7', '--out', str(tmp_path)], tmp_path)
    else:
        command = Command(['--out', str(tmp_path)], tmp_path,
                          program=os.path.join(REPO, 'chapters', 'ch3_7_softmax_concise.py'))
    assert command.wait_for(lambda line: line.startswith('epoch 1,'))
    code, err, took = command.interrupt(0.05, signal.SIGTERM)
    assert_one_line(code, err, took, 'd2lsoftmax run 3.7', status=TERMINATED)
    assert not [line for line in command.lines if line.startswith('epoch 5,')]
    _no_leftovers(tmp_path, os.environ['MXNET_HOME'])


def _search_terminated(command, results, tmp_path):
    """SIGTERM once the first fold is in `results`: one line naming the folds kept, 143."""
    assert command.wait_for(lambda line: 'to run' in line)
    deadline = time.time() + 120
    while not (results.exists() and results.read_text().count('\n')) and time.time() < deadline:
        time.sleep(0.02)
    everyone = _children(command.process.pid)
    code, err, took = command.interrupt(0, signal.SIGTERM)
    done = results.read_text().count('\n')
    assert_one_line(code, err, took, f'{done} finished folds are in {results}', 'resume',
                     status=TERMINATED)
    assert done >= 1
    _no_leftovers(tmp_path)
    _assert_gone_soon(everyone)


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_sigterm_during_a_search_with_workers_keeps_the_finished_folds(tmp_path):
    results = tmp_path / 'r.jsonl'
    command = Command(SEARCH + ['--jobs', '2', '--results', str(results), '--out',
                                str(tmp_path)], tmp_path)
    _search_terminated(command, results, tmp_path)


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_sigterm_during_a_search_on_a_dask_cluster_keeps_the_finished_folds(tmp_path):
    pytest.importorskip('distributed')
    results = tmp_path / 'r.jsonl'
    command = Command(SEARCH + ['--scheduler', 'local:2', '--results', str(results), '--out',
                                str(tmp_path)], tmp_path)
    _search_terminated(command, results, tmp_path)


# ------------------------------ concurrency: results files, workers and their parent

def _children(pid):
    """Process ids of `pid`'s children (Linux /proc)."""
    found = []
    for task in glob.glob(f'/proc/{pid}/task/*/children'):
        try:
            found += [int(c) for c in open(task).read().split()]
        except OSError:
            pass
    return found


def _alive(pid):
    """True while `pid` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        return open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def _assert_gone_soon(pids, seconds=15):
    """Every process of `pids` (the workers of a stopped parent) exits within `seconds`."""
    deadline = time.time() + seconds
    while any(_alive(pid) for pid in pids) and time.time() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in pids if _alive(pid)], 'workers outlived their parent'


def _cpu_seconds(pid):
    try:
        fields = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except OSError:
        return 0.0


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_workers_exit_soon_after_the_search_is_killed(tmp_path):
    if not os.path.isdir('/proc/self/task'):
        pytest.skip('needs Linux /proc to find the worker processes')
    command = Command(SEARCH + ['--jobs', '2', '--results', str(tmp_path / 'r.jsonl'),
                                '--out', str(tmp_path)], tmp_path)
    deadline = time.time() + 120
    workers = []
    while time.time() < deadline:  # two workers busy training a fold
        workers = [c for c in _children(command.process.pid) if _cpu_seconds(c) > 1.5]
        if len(workers) >= 2:
            break
        time.sleep(0.1)
    assert len(workers) >= 2, 'the workers never started'
    everyone = _children(command.process.pid)
    command.process.kill()
    command.process.wait()
    _assert_gone_soon(everyone)


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_a_second_search_on_the_same_results_file_is_refused(tmp_path):
    results = tmp_path / 'r.jsonl'
    slower = [a if a != '3000' else '8000' for a in SEARCH] + ['--num-epochs', '3']
    args = slower + ['--jobs', '1', '--results', str(results), '--out', str(tmp_path)]
    first = Command(args, tmp_path)
    assert first.wait_for(lambda line: 'to run' in line)
    second = subprocess.run([sys.executable, '-m', 'd2lsoftmax.cli', *args], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert first.process.poll() is None, 'the first search ended too soon to test the lock'
    assert second.returncode == 1, second.stdout
    assert second.stderr.strip().splitlines() == [
        f'd2lsoftmax: error: {results} is being written by another search (process '
        f'{first.process.pid}); wait for it to end, or give this one another file (--results)']
    code, err, took = first.interrupt()  # it trains on; no need to wait for its 8 folds
    assert_one_line(code, err, took, 'finished folds are in')
    keys = [json.loads(line)['key'] for line in results.read_text().splitlines()]
    assert len(keys) == len(set(keys))  # no fold twice
    _no_leftovers(tmp_path)
