"""A command started in a subprocess and stopped by a signal, and what its stderr must say."""
import os
import signal
import subprocess
import sys
import threading
import time

from d2lsoftmax.util import interrupt

PROMPT_S = 10  # an interrupted command must be gone this soon after SIGINT


class Command:
    """`python -m d2lsoftmax.cli ARGS` (or `python PROGRAM ARGS`) in a subprocess, its stdout
    read line by line."""

    def __init__(self, args, cwd, env=None, program=None):
        env = {**os.environ, 'MPLBACKEND': 'Agg', 'PYTHONUNBUFFERED': '1', **(env or {})}
        start = [program] if program else ['-m', 'd2lsoftmax.cli']
        self.process = subprocess.Popen([sys.executable, *start, *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, cwd=cwd, env=env)
        self.lines, self.err = [], []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        threading.Thread(target=lambda: self.err.extend(self.process.stderr),
                         daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip('\n'))

    def wait_for(self, predicate, timeout=120):
        """Block until a stdout line satisfies `predicate` (or `predicate()` for a callable
        of no line); False if the command ended first."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(predicate(line) for line in list(self.lines)):
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.01)
        raise AssertionError(f'timed out waiting; output so far: {self.lines[-5:]}')

    def interrupt(self, delay=0.0, sent_signal=signal.SIGINT):
        """SIGINT (or `sent_signal`) after `delay` s; (exit status, stderr lines, seconds
        until it exited)."""
        time.sleep(delay)
        sent = time.time()
        self.process.send_signal(sent_signal)
        code = self.process.wait(timeout=60)
        took = time.time() - sent
        self.reader.join(5)
        time.sleep(0.1)
        return code, [line.rstrip('\n') for line in self.err if line.strip()], took


def assert_one_line(code, err, took, *needles, status=interrupt.EXIT_STATUS):
    assert code == status, err
    assert len(err) == 1 and err[0].startswith('interrupted: '), err
    assert 'Traceback' not in ''.join(err)
    assert took < PROMPT_S, f'{took:.1f} s after SIGINT'
    for needle in needles:
        assert needle in err[0], err
