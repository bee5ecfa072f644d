"""Ctrl-C and SIGTERM: stop promptly with one line and exit status 130 (143 for SIGTERM),
and never lose the interrupt.

Python raises KeyboardInterrupt wherever the main thread is when SIGINT arrives; our
handler does the same for SIGTERM (what `kill`, `timeout`, batch systems, systemd and
containers send), so both stop the same way: every write cleans up in its `finally`,
finished work is kept, and the process exits with 128 + the signal's number.
Inside a finalizer, such as MXNet's NDArray.__del__ (run for every array freed,
thousands of times an epoch), the exception cannot propagate: Python prints
"Exception ignored in ..." and carries on, so about one Ctrl-C in three was lost and
the training ran on to exit 0. Our handler looks at the frames it interrupted: in a
finalizer it does not raise there, but at the next instruction of the frame that called
the finalizer (a trace function on that frame only), and sends the signal again 10 ms
later in case that frame never runs another. It is a leaf utility (no MXNet, nothing of the
package): the command line installs it around each command (`handling`) and chapter
scripts run as programs install it themselves (`install_for_program`).

`note(what, kept, resume)` says what the process is doing, so that `report` can print
the one line: what was interrupted, what was kept, how to resume.

Worker processes (`worker_init`, joblib's loky initializer) ignore SIGINT and SIGTERM,
since the parent stops the pool (a terminal's Ctrl-C and `timeout` signal the whole
process group), and exit within half a second when their parent dies, even of SIGKILL,
instead of training on for minutes.
"""
import _thread
import contextlib
import os
import signal
import sys
import threading
import time

EXIT_STATUS = 130  # 128 + SIGINT: what a shell reports for a program stopped by Ctrl-C
SIGNALS = (signal.SIGINT, signal.SIGTERM)  # both stop a command the same way
RETRY_S = 0.01  # how soon an interrupt that arrived inside a finalizer is raised again
PARENT_POLL_S = 0.5  # how often a worker looks whether its parent is still there
_notes = []  # what the process is doing, outermost first: dicts of what, kept, resume
_reported = []  # one entry per interruption reported (so `handling` knows one happened)
_pending = []  # the line of an interrupt on its way out, taken where the notes still stood
_waiting = []  # (frame, previous trace function) while an interrupt waits to be raised
_received = []  # the signals that interrupted this process, in order


def _outermost_finalizer(frame):
    """The outermost __del__ frame `frame` runs in (where an exception would be swallowed),
    or None when it runs in none."""
    found = None
    while frame is not None:
        if frame.f_code.co_name == '__del__':
            found = frame
        frame = frame.f_back
    return found


def on_sigint(signum, frame):
    """The SIGINT and SIGTERM handler: KeyboardInterrupt now, or as soon as the finalizer it
    hit is left."""
    if not _waiting:
        _received.append(signum)
    finalizer = _outermost_finalizer(frame)
    if finalizer is None:
        _stop_waiting()
        raise KeyboardInterrupt
    _raise_after(finalizer.f_back, signum)


def exit_status():
    """128 + the number of the signal that interrupted the process: 130 for Ctrl-C, 143 for
    SIGTERM (130 when none did: a KeyboardInterrupt raised by hand)."""
    return 128 + (_received[-1] if _received else signal.SIGINT)


def _raise_after(caller, signum):
    """Raise KeyboardInterrupt at the next instruction of `caller`, the frame whose work
    called the finalizer (a trace function on that frame alone); and, in case that frame
    never runs another instruction, send `signum` again RETRY_S later."""
    if caller is not None and not _waiting:
        previous = sys.gettrace()

        def trace(frame, event, arg):
            if event in ('line', 'opcode'):
                _stop_waiting()
                raise KeyboardInterrupt
            return trace
        _waiting.append((caller, previous))
        caller.f_trace, caller.f_trace_opcodes = trace, True
        sys.settrace(previous or _trace_nothing)  # per-frame traces run only while tracing
    _thread.start_new_thread(_resend, (signum,))


def _trace_nothing(frame, event, arg):
    """The global trace function while one frame is traced: trace no other frame."""
    return None


def _stop_waiting():
    """Undo `_raise_after`'s trace, if any."""
    while _waiting:
        caller, previous = _waiting.pop()
        caller.f_trace, caller.f_trace_opcodes = None, False
        sys.settrace(previous)


def _resend(signum):
    """Send `signum` to this process again after RETRY_S, if it is still to be raised (a raw
    thread: it takes no lock the interrupted code might hold)."""
    time.sleep(RETRY_S)
    if _waiting:
        os.kill(os.getpid(), signum)


def _flush():
    """Flush stdout and stderr, ignoring a closed pipe."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def _exit_now(signum, frame):
    """A second Ctrl-C or SIGTERM while exiting after the first: exit at once, quietly."""
    os._exit(exit_status())


def _set_handlers(handler):
    """Make `handler` the handler of SIGINT and SIGTERM; returns the previous ones."""
    return [signal.signal(number, handler) for number in SIGNALS]


def _restore_handlers(previous):
    """Put back the handlers `_set_handlers` returned."""
    for number, handler in zip(SIGNALS, previous):
        signal.signal(number, handler)


def _can_install():
    """Signal handlers can only be set from the main thread."""
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def handling(final=False):
    """Install `on_sigint` for SIGINT and SIGTERM for the duration; restore the previous
    handlers after.

    final=True (the process ends right after: the console command): after an interrupt
    the process exits 130 (143 for SIGTERM) at once, once stdout and stderr are flushed.
    The interpreter's own exit would run MXNet's C++ teardown with operations still queued
    in its engine, which aborts ("terminate called without an active exception", 134).
    Everything to keep is on disk by then: each write cleans up in its `finally`.
    """
    if not _can_install():
        yield
        return
    previous = _set_handlers(on_sigint)
    _pending.clear()
    _received.clear()
    reported = len(_reported)
    interrupted = False
    try:
        yield
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        interrupted = interrupted or len(_reported) > reported
        if final and interrupted:
            _set_handlers(_exit_now)
            _flush()
            os._exit(exit_status())
        _restore_handlers(previous)


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
    except KeyboardInterrupt:
        if not _pending:  # the innermost note is left first: it knows the most
            _pending.append(message())
        raise
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
    """Print the interruption's one line (or `line`) on stderr; returns the exit status
    (130 after Ctrl-C, 143 after SIGTERM)."""
    _reported.append(True)
    line = line or (_pending[0] if _pending else message())
    _pending.clear()
    _flush()
    print(line, file=sys.stderr, flush=True)
    return exit_status()


def _program_excepthook(previous, what, user_errors):
    """sys.excepthook for a chapter run as a program: Ctrl-C or SIGTERM is one line and status
    130 or 143; a user's error (`user_errors()`: bad data, a full disk...) one line and 1."""
    def hook(kind, value, traceback):
        if issubclass(kind, KeyboardInterrupt):
            report()
            _flush()
            os._exit(exit_status())  # not the interpreter's exit: see `handling`
        if user_errors is not None and issubclass(kind, user_errors()):
            _flush()
            print(f'{what}: error: {value}', file=sys.stderr, flush=True)
            os._exit(1)
        previous(kind, value, traceback)
    return hook


def install_for_program(what, user_errors=None):
    """For a script run as a program (python chapters/x.py): the handlers, and the one line.

    `user_errors`, called when an exception ends the script, gives the exception types
    that are said in one line (exit status 1) instead of a traceback. No-op when a command
    already handles interrupts (`d2lsoftmax run`) or off the main thread.
    """
    if not _can_install() or installed():
        return
    _set_handlers(on_sigint)
    _notes.append({'what': what, 'kept': None, 'resume': 'run it again to start over'})
    sys.excepthook = _program_excepthook(sys.excepthook, what, user_errors)


# ------------------------------------------------------------ worker processes

def _watch_parent(parent):
    """Exit this process as soon as its parent `parent` is gone (we were re-parented)."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def worker_init(parent=None):
    """Initializer of a worker process: ignore Ctrl-C and SIGTERM (the parent stops the pool),
    and die with the parent process, `parent` (its pid, given by the parent: a worker that
    starts after its parent has died would otherwise watch the process it was left to)."""
    _set_handlers(signal.SIG_IGN)
    _thread.start_new_thread(_watch_parent, (parent or os.getppid(),))
