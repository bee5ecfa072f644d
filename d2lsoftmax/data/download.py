"""Download a release's files: each verified before it is kept, within a deadline, stalls detected.

A release's files come from its host in the table (see releases): each file is
host + path + name + '.gz', the host overridden by the release's variable.
"""
import http.client
import os
import socket
import time
import urllib.error
import urllib.request
from collections import deque

import d2lsoftmax.data.releases as releases  # the module, not the package (no cycle)
from d2lsoftmax.data.identity import identify
from d2lsoftmax.data.idx import SURVEY_ORDER, DataError, file_in
from d2lsoftmax.data.places import chosen_release
from d2lsoftmax.util import interrupt, outputs

DOWNLOAD_TIMEOUT = 30  # seconds one network read may wait
DOWNLOAD_DEADLINE = 600  # seconds the whole download (four files, 30 MB) may take
# A stall, as curl's --speed-limit 1024 --speed-time 30 sees one: a file that has received
# fewer than STALL_BYTES over the last STALL_WINDOW seconds is given up on then, with its
# own message, instead of at the deadline. A slow link that works (1 KiB in 30 s is 34
# bytes/s) goes on until the deadline.
STALL_BYTES = 1024
STALL_WINDOW = 30
CACHE_HINT = ('free some space there or point $MXNET_HOME elsewhere, or install the data '
              'locally: sudo apt-get install dataset-fashion-mnist')


def _slashed(url):
    return url if url.endswith('/') else url + '/'


def source_url(release, url=None):
    """Base URL the files of `release` come from (a file: base + name + '.gz').

    Its host in the table, or the variable that overrides it ($MXNET_GLUON_REPO for
    gluon's mirror, $D2LSOFTMAX_ZALANDO_URL for Zalando's site), then its path;
    `url` overrides both.
    """
    if not url:
        entry = releases.RELEASES[release]
        url = _slashed(os.environ.get(entry.host_env) or entry.host) + entry.path
    return _slashed(url)


def _why(error, timeout):
    """A download failure in words, without urllib's '<urlopen error ...>' wrapping."""
    if isinstance(error, urllib.error.HTTPError):
        return f'HTTP error {error.code} ({error.reason})'
    reason = getattr(error, 'reason', error)
    if isinstance(reason, socket.timeout):  # TimeoutError since Python 3.10
        return f'no answer within {timeout} s (timed out); offline or the server is down'
    if isinstance(error, http.client.HTTPException):
        return f'the server did not answer in HTTP ({type(error).__name__}: {error})'
    return str(reason)


def _holds(directory, base, release):
    """True when `directory` already has a faithful file `base` of `release`."""
    path = file_in(directory, base)
    try:
        return path is not None and identify(path, base) == release
    except DataError:
        return False  # corrupt or unreadable: fetched again, and replaced


def download_fashion_mnist(directory, release=releases.DEFAULT, url=None,
                           timeout=DOWNLOAD_TIMEOUT, deadline=DOWNLOAD_DEADLINE):
    """Fetch the files of `release` that `directory` lacks; returns the base URL used.

    Each file goes to a temporary file, is verified, then renamed: nothing is left
    behind on failure, nor when interrupted (Ctrl-C, SIGTERM). `timeout` bounds each
    read, `deadline` the whole download; a file receiving fewer than STALL_BYTES in
    STALL_WINDOW seconds has stalled. A file that cannot be written is an
    outputs.WriteError (a full disk), any other failure a DataError.
    """
    release = chosen_release(release or releases.DEFAULT)
    base_url = source_url(release, url)
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as e:
        raise DataError(f'{directory}: cannot create the folder ({e.strerror or e}).') from None
    end = time.monotonic() + deadline
    fetched = []
    with interrupt.note(f'the download of Fashion-MNIST {release} into {directory}',
                        lambda: f'{len(fetched)} whole files were kept, the one in progress '
                        'was removed', 'run it again to fetch the rest'):
        for base in SURVEY_ORDER:
            if not _holds(directory, base, release):
                _fetch_file(base_url + base + '.gz', directory, base, release,
                            timeout, (end, deadline))  # clock: (monotonic end, its seconds)
                fetched.append(base)
    return base_url


def _fetch_file(source, directory, base, release, timeout, clock):
    """Download `source` into directory/base.gz: temp file, verify against `release`, rename."""
    target = os.path.join(directory, base + '.gz')
    with outputs.replacing(target, hint=CACHE_HINT) as tmp:
        try:
            with open(tmp, 'wb') as out:
                _fetch(source, _disk_writer(out, target), timeout, clock)
            try:
                found = identify(tmp, base)  # never keep a file that fails its checksum
            except DataError as e:
                raise DataError(f'{source}: downloaded file rejected: {e}') from None
            if found != release:
                raise DataError(f'{source}: downloaded file rejected: it is the {found} '
                                f'release, not {release}.')
        except outputs.WriteError:
            raise  # the disk, not the network
        except (OSError, ValueError, http.client.HTTPException) as e:
            # URLError, HTTPError, timeouts, refused connections, non-HTTP answers
            if time.monotonic() >= clock[0]:
                raise _late(source, clock[1], None) from None
            raise DataError(f'{source}: {_why(e, timeout)}') from None


def _disk_writer(out, target):
    """out.write, whose OSError (a full disk) is a WriteError naming `target`, not a network
    error."""
    def write(block):
        try:
            out.write(block)
        except OSError as e:
            raise outputs.write_error(target, e, CACHE_HINT) from None
    return write


def _late(source, seconds, got, total=None):
    """The DataError of a download still running at its deadline."""
    arrived = '' if got is None else f' ({got}{f" of {total}" if total else ""} bytes arrived)'
    return DataError(f'{source}: the download did not finish within its {seconds:g} s '
                     f'deadline{arrived}; the connection is too slow or the server stalls. '
                     'Try again later, or install the data locally.')


def _stalled(source, got, total):
    """The DataError of a download that received under STALL_BYTES in STALL_WINDOW s."""
    return DataError(f'{source}: the download stalled: under {STALL_BYTES} bytes arrived in '
                     f'{STALL_WINDOW:g} s ({got}{f" of {total}" if total else ""} bytes in '
                     'all); the server or the connection stalls. Try again later, or install '
                     'the data locally.')


class _Progress:
    """Bytes received over time, to tell a stall (under STALL_BYTES in the last
    STALL_WINDOW s) from a slow link."""

    def __init__(self):
        self.got = 0
        self.marks = deque([(time.monotonic(), 0)])  # (when, bytes then), oldest first

    def add(self, count):
        """Count `count` more bytes; True when the last STALL_WINDOW s brought too few."""
        now = time.monotonic()
        self.got += count
        self.marks.append((now, self.got))
        while len(self.marks) > 1 and self.marks[1][0] <= now - STALL_WINDOW:
            self.marks.popleft()  # marks[0]: the last mark at least a window old
        since, before = self.marks[0]
        return since <= now - STALL_WINDOW and self.got - before < STALL_BYTES


def _socket_of(response):
    """The socket under a urllib response, so each read can be bounded; None if hidden."""
    return getattr(getattr(getattr(response, 'fp', None), 'raw', None), '_sock', None)


def _fetch(source, write, timeout, clock):
    """Copy `source` into write(block), each read within `timeout` (and STALL_WINDOW), all by
    clock = (end, s); a stall ends it too."""
    end, seconds = clock
    progress, total = _Progress(), None

    def left():
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise _late(source, seconds, progress.got, total)
        return min(timeout, remaining)
    with urllib.request.urlopen(source, timeout=left()) as response:
        total, sock = response.length, _socket_of(response)  # Content-Length or None
        progress = _Progress()  # the window starts with the answer
        while True:
            wait = left()
            if sock is not None and sock.fileno() != -1:  # -1: closed, the body is all here
                sock.settimeout(min(wait, STALL_WINDOW))  # a silent window is a stall too
            try:
                block = response.read1(1 << 16)  # one recv: a trickle cannot outlast the deadline
            except OSError:  # socket.timeout: the deadline's, the window's or the read's own
                if time.monotonic() >= end:
                    raise _late(source, seconds, progress.got, total) from None
                if progress.add(0):
                    raise _stalled(source, progress.got, total) from None
                raise
            if not block:
                break
            write(block)
            if progress.add(len(block)):
                raise _stalled(source, progress.got, total)
    if total is not None and progress.got < total:
        raise DataError(f'{source}: the connection closed after {progress.got} of {total} '
                        'bytes; try again.')
