"""Ctrl-C: stop promptly with one line and exit status 130, and never lose the interrupt.

Python raises KeyboardInterrupt wherever the main thread is when SIGINT arrives.
Inside a finalizer, such as MXNet's NDArray.__del__ (run for every array freed,
thousands of times an epoch), the exception cannot propagate: Python prints
"Exception ignored in ..." and carries on, so about one Ctrl-C in three was lost and
the training ran on to exit 0. Our handler looks at the frames it interrupted: in a
finalizer it sends SIGINT again 10 ms later instead of raising, so KeyboardInterrupt is
raised at the first point outside one. It is a leaf utility (no MXNet, nothing of the
package): the command line installs it around each command (`handling`) and chapter
scripts run as programs install it themselves (`install_for_program`).

`note(what, kept, resume)` says what the process is doing, so that `report` can print
the one line: what was interrupted, what was kept, how to resume.

Worker processes (`worker_init`, joblib's loky initializer) ignore SIGINT, since the
parent stops the pool, and exit within half a second when their parent dies, even of
SIGKILL, instead of training on for minutes.
"""
import _thread
import contextlib
import os
import signal
import sys
import threading
import time

EXIT_STATUS = 130  # 128 + SIGINT: what a shell reports for a program stopped by Ctrl-C
RETRY_S = 0.01  # how soon an interrupt that arrived inside a finalizer is raised again
PARENT_POLL_S = 0.5  # how often a worker looks whether its parent is still there
_notes = []  # what the process is doing, outermost first: dicts of what, kept, resume


def _in_finalizer(frame):
    """True when `frame` runs inside a __del__, where an exception would be swallowed."""
    while frame is not None:
        if frame.f_code.co_name == '__del__':
            return True
        frame = frame.f_back
    return False


def _resend():
    """Send SIGINT to this process again after RETRY_S (a raw thread: takes no lock)."""
    time.sleep(RETRY_S)
    os.kill(os.getpid(), signal.SIGINT)


def on_sigint(signum, frame):
    """The SIGINT handler: KeyboardInterrupt now, or RETRY_S later when inside a finalizer."""
    if _in_finalizer(frame):
        _thread.start_new_thread(_resend, ())
        return
    raise KeyboardInterrupt


def _exit_now(signum, frame):
    """A second Ctrl-C while exiting after the first: exit at once, quietly."""
    os._exit(EXIT_STATUS)


def _can_install():
    """Signal handlers can only be set from the main thread."""
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def handling(final=False):
    """Install `on_sigint` for the duration; restore the previous handler after.

    final=True (the process ends right after, e.g. the console command): after an
    interrupt, a second Ctrl-C exits at once instead of the previous handler's traceback.
    """
    if not _can_install():
        yield
        return
    previous = signal.signal(signal.SIGINT, on_sigint)
    interrupted = False
    try:
        yield
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        signal.signal(signal.SIGINT, _exit_now if final and interrupted else previous)


def installed():
    """True while `on_sigint` is this process's SIGINT handler."""
    return signal.getsignal(signal.SIGINT) is on_sigint


# ------------------------------------------------------------ the one line

@contextlib.contextmanager
def note(what, kept=None, resume=None):
    """Say what runs inside the block, for `report`; kept/resume may be callables (read late).

    Yields the note (a dict) so the block can update it as it goes.
    """
    entry = {'what': what, 'kept': kept, 'resume': resume}
    _notes.append(entry)
    try:
        yield entry
    finally:
        _notes.remove(entry)


def message():
    """'interrupted: WHAT; KEPT; RESUME' from the innermost notes (outer ones fill gaps)."""
    merged = {'what': None, 'kept': None, 'resume': None}
    for entry in _notes:
        merged.update({k: v for k, v in entry.items() if v is not None})
    parts = [merged['what'] or 'd2lsoftmax',
             merged['kept'] or 'nothing half-written was left behind', merged['resume']]
    parts = [part() if callable(part) else part for part in parts]
    return 'interrupted: ' + '; '.join(p for p in parts if p)


def report(line=None):
    """Print the interruption's one line (or `line`) on stderr; returns EXIT_STATUS (130)."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    print(line or message(), file=sys.stderr, flush=True)
    return EXIT_STATUS


def _program_excepthook(previous):
    """sys.excepthook for a chapter run as a program: Ctrl-C is one line and status 130."""
    def hook(kind, value, traceback):
        if issubclass(kind, KeyboardInterrupt):
            report()
            os._exit(EXIT_STATUS)  # the interpreter's own exit would print nothing more
        previous(kind, value, traceback)
    return hook


def install_for_program(what):
    """For a script run as a program (python chapters/x.py): the handler, and the one line.

    No-op when a command already handles interrupts (`d2lsoftmax run`) or off the main thread.
    """
    if not _can_install() or installed():
        return
    signal.signal(signal.SIGINT, on_sigint)
    _notes.append({'what': what, 'kept': None, 'resume': 'run it again to start over'})
    sys.excepthook = _program_excepthook(sys.excepthook)


# ------------------------------------------------------------ worker processes

def _watch_parent(parent):
    """Exit this process as soon as its parent `parent` is gone (we were re-parented)."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def worker_init():
    """Initializer of a worker process: ignore Ctrl-C, and die with the parent process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _thread.start_new_thread(_watch_parent, (os.getppid(),))
