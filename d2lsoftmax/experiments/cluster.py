"""Run search folds and seed runs as tasks on a Dask distributed cluster (`--scheduler`).

`connect(address)` gives an Executor on the scheduler at `address`, or on a new
local cluster of N worker processes for 'local:N'; parallel.imap hands it the
tasks. Each task is one client.submit, results come back through
distributed.as_completed as they finish, and the scheduler retries a task whose
worker died; nothing here queues, pools or retries by itself.

Workers load the data themselves (each task names the client's release, so a
worker holding the other one fails with the data layer's message) and train one
task at a time per process, with OpenMP/BLAS threads set before the process
starts (distributed's `distributed.nanny.pre-spawn-environ`). `distributed` is
imported only here, and only when a cluster is asked for.
"""
import asyncio
import concurrent.futures
import contextlib
import logging
import os
import signal
import socket
import threading
import uuid

LOCAL_PREFIX = 'local:'
INSTALL_HINT = "pip install 'd2lsoftmax[cluster]'"
CONNECT_TIMEOUT = 4  # seconds to reach a scheduler before giving up
WORKERS_TIMEOUT = 60  # seconds to wait for a first worker on a scheduler that has none
THREAD_VARS = ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS')
_ONE_TRAINING = threading.Lock()  # a worker process trains one task at a time


class ClusterError(RuntimeError):
    """A cluster that cannot be used: distributed missing, a bad address, no scheduler there."""


def import_distributed():
    """The `distributed` module, or a ClusterError saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise ClusterError("--scheduler needs Dask's distributed package, which is not "
                           f"installed: {INSTALL_HINT}") from None
    return distributed


def local_workers(address):
    """N of 'local:N' (a local cluster of N processes), None for a scheduler's address."""
    if not address.startswith(LOCAL_PREFIX):
        return None
    n = address[len(LOCAL_PREFIX):]
    if not n.isdigit() or int(n) < 1:
        raise ClusterError(f'--scheduler {address}: write local:N with N >= 1 worker '
                           'processes (e.g. local:2), or a scheduler address such as '
                           'tcp://HOST:8786')
    return int(n)


def worker_env(n_workers, cores=None):
    """OpenMP/BLAS thread counts for `n_workers` processes sharing this host's cores."""
    threads = str(max(1, (cores or os.cpu_count() or 1) // n_workers))
    return {name: threads for name in THREAD_VARS}


# ------------------------------------------------------------------ worker side

def run_one(fn, task):
    """Worker: fn(task), one per process at a time (runs seed the global RNGs)."""
    with _ONE_TRAINING:
        try:
            return fn(task)
        except Exception as e:
            _name_worker(e)
            raise


def dask_setup(worker):
    """Preload of a local cluster's workers: leave Ctrl-C to the client, which closes them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _name_worker(error):
    """Prefix a one-message error with this worker's host and pid, for the client's line."""
    if len(error.args) == 1 and isinstance(error.args[0], str):
        error.args = (f'on Dask worker {socket.gethostname()} (pid {os.getpid()}): '
                      f'{error.args[0]}',)


# ------------------------------------------------------------------ client side

class Executor:
    """Runs fn(task) for each task as futures on a Dask client; results as they finish."""

    def __init__(self, client, address):
        self.client, self.address = client, address

    def __str__(self):
        return f'the Dask cluster at {self.address} ({len(self.client.nthreads())} workers)'

    def imap(self, fn, tasks):
        """Yield fn(task) for every task as each finishes; an error cancels the rest."""
        distributed = import_distributed()
        futures = [self.client.submit(run_one, fn, task, pure=False,
                                      key=f'{fn.__name__}-{uuid.uuid4().hex}')
                   for task in tasks]
        seen = set()
        try:
            for future, result in self._completed(distributed, futures):
                if future.key not in seen:  # each task's result is yielded once
                    seen.add(future.key)
                    yield result
        finally:
            if self.client.status == 'running':
                self.client.cancel([f for f in futures if f.key not in seen])

    def _completed(self, distributed, futures):
        """(future, result) as each finishes; a lost scheduler or a deadly task: ClusterError."""
        try:
            for future, result in distributed.as_completed(futures, with_results=True,
                                                             loop=self.client.loop):
                if future.status == 'cancelled':
                    raise ClusterError(f'the Dask scheduler at {self.address} dropped the '
                                       'unfinished tasks (did it stop?); check it, then run '
                                       'the same command again (a search resumes)')
                yield future, result
        except distributed.KilledWorker as e:
            raise ClusterError(f'a task killed every Dask worker that ran it '
                               f'({_first_line(e)}); see the workers\' logs (out of '
                               'memory?)') from None


@contextlib.contextmanager
def connect(address, timeout=CONNECT_TIMEOUT, env=None):
    """An Executor on the scheduler at `address`, or on a new local cluster ('local:N').

    `env` (local clusters only) adds environment variables to the workers.
    """
    distributed = import_distributed()
    n = local_workers(address)
    with contextlib.ExitStack() as stack:
        quiet = getattr(distributed.utils, 'silence_logging_cmgr', None)  # 2023.4 and later
        if quiet:  # distributed's own tracebacks (e.g. reconnecting): ClusterError says it
            stack.enter_context(quiet(logging.CRITICAL))
        if n is not None:
            address = stack.enter_context(start_local(n, env)).scheduler_address
        client = stack.enter_context(open_client(distributed, address, timeout))
        yield Executor(client, address)


def open_client(distributed, address, timeout=CONNECT_TIMEOUT):
    """A Client of the scheduler at `address`; a one-line ClusterError if it cannot be used."""
    try:
        probe(distributed, address, timeout)
        client = distributed.Client(address, timeout=timeout, set_as_default=False)
    except ValueError as e:
        raise ClusterError(f'--scheduler {address}: {_first_line(e)}; write tcp://HOST:PORT '
                           'or local:N') from None
    except (OSError, TimeoutError) as e:
        raise ClusterError(f'cannot reach a Dask scheduler at {address} within {timeout} s '
                           f'({_first_line(e)}); start one there (dask scheduler) or fix '
                           '--scheduler') from None
    except Exception as e:  # something answered, but not as a Dask scheduler
        raise ClusterError(f'{address} does not answer as a Dask scheduler '
                           f'({type(e).__name__}: {_first_line(e)}); check --scheduler') from None
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
    except (OSError, TimeoutError):
        client.close()
        raise ClusterError(f'the Dask scheduler at {address} has no workers after '
                           f'{WORKERS_TIMEOUT} s; start some: dask worker {address} '
                           '--nworkers N --nthreads 1') from None
    return client


def probe(distributed, address, timeout=CONNECT_TIMEOUT):
    """Connect to `address` once (distributed's handshake) and close: fail before any Client.

    A Client whose constructor failed lingers and stalls the interpreter's exit for 10 s;
    this runs in a thread of its own, so it works under a running event loop (Jupyter) too.
    """
    async def handshake():
        comm = await distributed.comm.connect(address, timeout=timeout)
        await comm.close()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, handshake()).result()


def _first_line(error):
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _close(cluster):
    """Close a local cluster. Dask's teardown can race with a nanny restarting a worker it
    has just lost ("can only join a started process"); the work is over by then, so that is
    not the user's error: the daemonic worker processes end with this one anyway."""
    try:
        cluster.close()
    except Exception:  # noqa: BLE001 (a teardown race inside distributed)
        pass


@contextlib.contextmanager
def start_local(n, env=None, threads=None):
    """A LocalCluster of `n` one-task worker processes on 127.0.0.1, cores shared out.

    Each worker gets `threads` OpenMP/BLAS threads (default: cores // n, at least 1)
    and `env` added to its environment; its logs are silenced, so a task's error is
    shown once, by the client.

    The thread counts go into distributed.nanny.pre-spawn-environ, which the
    nanny puts in the environment before it starts each worker (and restarts a
    dead one), so MXNet reads them as it loads; this process's environment is
    put back afterwards.
    """
    import dask
    distributed = import_distributed()
    threads = worker_env(n) if threads is None else worker_env(1, threads)
    spawn_env = {**dask.config.get('distributed.nanny.pre-spawn-environ', {}), **threads}
    saved = {k: os.environ.get(k) for k in [*spawn_env, 'PYTHONHASHSEED']}
    try:
        with dask.config.set({'distributed.nanny.pre-spawn-environ': spawn_env}):
            cluster = distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, host='127.0.0.1',
                dashboard_address=None, silence_logs=logging.CRITICAL,
                scheduler_kwargs={'dashboard_address': '127.0.0.1:0'},  # health routes only
                preload=[__name__],  # dask_setup: no KeyboardInterrupt tracebacks on Ctrl-C
                env={**threads, **(env or {})})
        try:
            yield cluster
        finally:
            _close(cluster)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
