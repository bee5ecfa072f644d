"""Run independent jobs (search folds, seeds) in worker processes, via joblib's loky backend.

loky starts fresh interpreters rather than forking: a forked child of a process
that already runs MXNet's engine threads can deadlock. Each worker gets
cores // jobs OpenMP threads (OMP_NUM_THREADS, read by MXNet as it loads), so
two workers on two cores do not fight over them.
"""
import functools
import os
import sys
import warnings

from joblib import Parallel, delayed, parallel_config

from d2lsoftmax.util import interrupt

# After Ctrl-C a command exits at once (interrupt.handling), before loky has unregistered its
# semaphores and memmapping folders. loky's resource tracker, a process of its own started with
# this process's -W options, then removes them, and would warn about each on our stderr after
# the one line that says what was interrupted.
QUIET_TRACKER = 'ignore:resource_tracker:UserWarning'


@functools.lru_cache(maxsize=None)
def _worker_init(parent):
    """loky's initializer for workers of process `parent`; the same object for every pool
    of this process, so loky reuses its workers from one pool to the next."""
    return functools.partial(interrupt.worker_init, parent)


def default_jobs():
    """One worker per core."""
    return os.cpu_count() or 1


def imap(fn, tasks, jobs=1, executor=None):
    """Yield fn(task) for every task as each finishes (any order when jobs > 1).

    jobs=1 runs in this process, in order; fn must be a module-level function
    and tasks picklable when jobs > 1. An executor (cluster.Executor: a Dask
    cluster) runs them instead, and jobs is ignored.
    """
    tasks = list(tasks)
    if executor is not None:
        yield from executor.imap(fn, tasks)
        return
    jobs = max(1, min(jobs, len(tasks)))
    if jobs == 1:
        yield from (fn(task) for task in tasks)
        return
    threads = max(1, default_jobs() // jobs)
    if QUIET_TRACKER not in sys.warnoptions:  # read when loky starts its tracker
        sys.warnoptions.append(QUIET_TRACKER)
    # worker_init: workers ignore Ctrl-C (this process stops the pool) and exit when this
    # process dies, even of SIGKILL, instead of training on for minutes.
    with parallel_config(backend='loky', inner_max_num_threads=threads,
                         initializer=_worker_init(os.getpid())), \
            warnings.catch_warnings():
        # Stopped early (Ctrl-C, an error): joblib's warning about the cancelled tasks
        # would add lines to the one that says what was interrupted.
        warnings.filterwarnings('ignore', message=r'.*(still being processed|successfully '
                                r'executed)', category=UserWarning)
        yield from Parallel(n_jobs=jobs, return_as='generator_unordered', batch_size=1)(
            delayed(fn)(task) for task in tasks)
