"""Downloading from a local HTTP server on 127.0.0.1: each release, bad checksum, deadline,
stall, 404, a full cache, SIGTERM mid-download."""
import glob
import http.server
import os
import signal
import socket
import threading
import time

import pytest

from d2lsoftmax import data
from d2lsoftmax.data import download, places, releases
from d2lsoftmax.data import DataError
from d2lsoftmax.data.releases import BOOK, CURRENT
from support.commands import Command, assert_one_line

ZALANDO_ENV = releases.RELEASES[CURRENT].host_env  # $D2LSOFTMAX_ZALANDO_URL

GLUON_PREFIX = '/gluon/dataset/fashion-mnist/'  # where gluon's repository keeps the files
ALL_GZ = sorted(base + '.gz' for pair in data.FILES.values() for base in pair)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves server.files {url path: bytes}, 404 otherwise; records the paths asked for.

    server.promise {path: n} announces another Content-Length; server.trickle {path: s}
    sends the body one byte every s seconds, or {path: (s, n)} n bytes every s seconds.
    """

    def do_GET(self):
        self.server.requests.append(self.path)
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404, 'File not found')
            return
        promised = self.server.promise.get(self.path, len(body))
        self.send_response(200)
        self.send_header('Content-Length', str(promised))
        self.end_headers()
        pause = self.server.trickle.get(self.path)
        if pause is None:
            self.wfile.write(body)
            return
        pause, size = pause if isinstance(pause, tuple) else (pause, 1)
        for i in range(0, len(body), size):
            if self.server.stopping.wait(pause):
                return
            try:
                self.wfile.write(body[i:i + size])
                self.wfile.flush()
            except OSError:
                return  # the client gave up, as it should

    def log_message(self, *args):
        """Keep the test output quiet."""


@pytest.fixture
def server():
    """A threaded HTTP server on 127.0.0.1 (port 0), shut down after the test."""
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    httpd.daemon_threads = True
    httpd.files, httpd.promise, httpd.trickle, httpd.requests = {}, {}, {}, []
    httpd.stopping = threading.Event()
    httpd.url = f'http://127.0.0.1:{httpd.server_port}'
    thread = threading.Thread(target=httpd.serve_forever, kwargs={'poll_interval': 0.05},
                              daemon=True)
    thread.start()
    yield httpd
    httpd.stopping.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _publish(server, folder, prefix):
    """Serve every .gz file of `folder` under URL path `prefix`."""
    for name in ALL_GZ:
        with open(os.path.join(folder, name), 'rb') as f:
            server.files[prefix + name] = f.read()


@pytest.fixture
def published(tmp_path, fake_data, server):
    """Four fake .gz files of the current release, served under gluon's path."""
    written = fake_data(tmp_path / 'published')
    _publish(server, tmp_path / 'published', GLUON_PREFIX)
    return written


@pytest.fixture
def nowhere_else(tmp_path, monkeypatch):
    """No Debian folder: only the (empty) cache and the download remain."""
    monkeypatch.setenv(data.DEBIAN_ENV, str(tmp_path / 'no-debian'))


def _listing(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_download_with_url_argument(tmp_path, server, published):
    """All four files land in the folder, verified, without .part leftovers."""
    target = tmp_path / 'cache'
    used = data.download_fashion_mnist(str(target), CURRENT, url=server.url + GLUON_PREFIX,
                                       timeout=5)
    assert used == server.url + GLUON_PREFIX
    assert _listing(target) == ALL_GZ
    assert sorted(server.requests) == [GLUON_PREFIX + name for name in ALL_GZ]
    images, labels = data.read_split(str(target), 'train', release=CURRENT)
    assert (images[..., 0] == published['train'][0]).all()
    assert (labels == published['train'][1]).all()


def test_the_books_release_from_mxnet_gluon_repo_into_the_cache(tmp_path, monkeypatch, server,
                                                                fake_data, nowhere_else):
    """Nothing local, no release named: the book's release, from $MXNET_GLUON_REPO's gluon
    path, verified by gluon's SHA-1 of each .gz, into gluon's own cache folder."""
    written = fake_data(tmp_path / 'mirror', release=BOOK, by=('gz_sha1',))
    _publish(server, tmp_path / 'mirror', GLUON_PREFIX)
    monkeypatch.setenv('MXNET_GLUON_REPO', server.url)  # no trailing slash, as users write it
    location = data.locate(timeout=5)
    assert location.release == BOOK
    assert location.directory == data.cache_dir() == os.path.join(
        os.environ['MXNET_HOME'], 'datasets', 'fashion-mnist')
    assert location.place == f'downloaded from {server.url}{GLUON_PREFIX}'
    assert _listing(location.directory) == ALL_GZ  # gluon's SHA-1s: no gunzip needed yet
    X, y = data.load_arrays('test')
    assert (X[..., 0] == written['test'][0]).all() and (y == written['test'][1]).all()
    assert 'data: Fashion-MNIST 2017-08-26 (the book\'s release' in data.release_line()


def test_the_current_release_from_zalandos_location(tmp_path, monkeypatch, server, fake_data,
                                                    nowhere_else):
    """release='2017-08-31': fetched from $D2LSOFTMAX_ZALANDO_URL (Zalando's layout: /NAME.gz),
    verified by content SHA-256, into the cache's 2017-08-31 folder."""
    fake_data(tmp_path / 'zalando')
    _publish(server, tmp_path / 'zalando', '/')
    monkeypatch.setenv(ZALANDO_ENV, server.url)
    location = data.locate(release=CURRENT, timeout=5)
    assert (location.release, location.directory) == (CURRENT, places.download_dir(CURRENT))
    assert sorted(server.requests) == ['/' + name for name in ALL_GZ]
    assert _listing(location.directory) == ALL_GZ
    assert not os.path.exists(os.path.join(data.cache_dir(), ALL_GZ[0]))  # gluon's stays empty


def test_the_default_zalando_location_is_zalandos():
    """Without the variable, the current release comes from Zalando's published location."""
    os.environ.pop(ZALANDO_ENV)  # conftest set it; monkeypatch restores it
    assert download.source_url(CURRENT) == \
        'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'


def test_files_already_there_are_not_fetched_again(tmp_path, server, published):
    """A folder holding some of the files only downloads the missing ones."""
    target = tmp_path / 'cache'
    target.mkdir()
    kept = ALL_GZ[0]
    (target / kept).write_bytes(server.files[GLUON_PREFIX + kept])
    data.download_fashion_mnist(str(target), CURRENT, url=server.url + GLUON_PREFIX, timeout=5)
    assert sorted(server.requests) == [GLUON_PREFIX + name for name in ALL_GZ[1:]]
    assert _listing(target) == ALL_GZ


def test_a_corrupt_file_is_replaced(tmp_path, server, published):
    """A file there that fails its check is fetched again and replaced."""
    target = tmp_path / 'cache'
    target.mkdir()
    (target / ALL_GZ[0]).write_bytes(b'<html>captive portal</html>')
    data.download_fashion_mnist(str(target), CURRENT, url=server.url + GLUON_PREFIX, timeout=5)
    assert (target / ALL_GZ[0]).read_bytes() == server.files[GLUON_PREFIX + ALL_GZ[0]]


def test_checksum_mismatch(tmp_path, digests, server, published):
    """A served file with other content: the error names it and nothing is kept."""
    digests[CURRENT]['train-labels-idx1-ubyte'] = {'sha256': '0' * 64}
    target = tmp_path / 'cache'
    with pytest.raises(DataError) as info:
        data.download_fashion_mnist(str(target), CURRENT, url=server.url + GLUON_PREFIX,
                                    timeout=5)
    message = str(info.value)
    assert 'train-labels-idx1-ubyte.gz: downloaded file rejected' in message
    assert 'matches neither Fashion-MNIST release' in message
    assert _listing(target) == []  # the first file failed: no file, no .part


def test_a_file_of_the_other_release_is_rejected(tmp_path, server, published):
    """Asked for the book's release, served the current one's file: rejected, nothing kept."""
    target = tmp_path / 'cache'
    with pytest.raises(DataError, match=f'downloaded file rejected: it is the {CURRENT} '
                                        f'release, not {BOOK}'):
        data.download_fashion_mnist(str(target), BOOK, url=server.url + GLUON_PREFIX, timeout=5)
    assert _listing(target) == []


def test_truncated_download(tmp_path, server, published):
    """A connection that closes before Content-Length is reached leaves nothing behind."""
    name = GLUON_PREFIX + 'train-labels-idx1-ubyte.gz'
    server.promise[name] = len(server.files[name])
    server.files[name] = server.files[name][:10]
    target = tmp_path / 'cache'
    with pytest.raises(DataError, match='train-labels-idx1-ubyte.gz: the connection closed '
                                        f'after 10 of {server.promise[name]} bytes'):
        data.download_fashion_mnist(str(target), CURRENT, url=server.url + GLUON_PREFIX,
                                    timeout=5)
    assert _listing(target) == []


def test_404(tmp_path, server, published):
    """A file the server does not have: its URL and the HTTP status in the message."""
    del server.files[GLUON_PREFIX + 't10k-labels-idx1-ubyte.gz']
    target = tmp_path / 'cache'
    with pytest.raises(DataError) as info:
        data.download_fashion_mnist(str(target), CURRENT, url=server.url + GLUON_PREFIX,
                                    timeout=5)
    assert (f'{server.url}{GLUON_PREFIX}t10k-labels-idx1-ubyte.gz: HTTP error 404'
            in str(info.value))
    assert not [n for n in _listing(target) if n.endswith('.part') or 't10k-labels' in n]


def test_a_trickling_server_is_stopped_by_the_overall_deadline(tmp_path, monkeypatch, server,
                                                               published, nowhere_else):
    """One byte every 0.5 s (each read well within its 5 s timeout): the 1.5 s deadline of the
    whole download stops it, with one clear error, and nothing is left in the cache."""
    server.trickle[GLUON_PREFIX + 'train-labels-idx1-ubyte.gz'] = 0.5
    start = time.monotonic()
    with pytest.raises(DataError) as info:
        data.locate(release=CURRENT, url=server.url + GLUON_PREFIX, timeout=5, deadline=1.5)
    elapsed = time.monotonic() - start
    assert 1.4 < elapsed < 4, elapsed
    message = str(info.value)
    assert 'train-labels-idx1-ubyte.gz: the download did not finish within its 1.5 s ' \
           'deadline (' in message
    assert 'Fashion-MNIST not found' in message
    assert _listing(places.download_dir(CURRENT)) == []
    assert [n for n in _listing(data.cache_dir()) if n != CURRENT] == []


@pytest.fixture
def small_windows(monkeypatch):
    """A stall is under 512 bytes in 0.5 s here (the real window: 1 KiB in 30 s)."""
    monkeypatch.setattr(download, 'STALL_WINDOW', 0.5)
    monkeypatch.setattr(download, 'STALL_BYTES', 512)


@pytest.mark.usefixtures('small_windows', 'nowhere_else')
@pytest.mark.parametrize('trickle', [0.1, 60], ids=['a byte every 0.1 s', 'silent'])
def test_a_stalled_server_is_told_from_a_slow_one(tmp_path, server, published, trickle):
    """Fewer bytes than the window asks for (a byte every 0.1 s, or none after the headers):
    a stall, named with its URL, long before the 60 s deadline; nothing left in the cache."""
    server.trickle[GLUON_PREFIX + 'train-images-idx3-ubyte.gz'] = trickle
    with pytest.raises(DataError) as info:
        data.locate(release=CURRENT, url=server.url + GLUON_PREFIX, timeout=30, deadline=60)
    message = str(info.value)
    assert (f'{server.url}{GLUON_PREFIX}train-images-idx3-ubyte.gz: the download stalled: '
            'under 512 bytes arrived in 0.5 s (') in message
    assert 'Try again later, or install the data locally.' in message
    assert 'deadline' not in message
    assert [n for n in _listing(places.download_dir(CURRENT)) if not n.endswith('.gz')] == []


@pytest.mark.usefixtures('small_windows')
def test_a_slow_but_steady_server_is_waited_for(tmp_path, server, published):
    """256 bytes every 20 ms, 6 KiB a window (each file takes several windows): no stall."""
    for name in ALL_GZ:
        server.trickle[GLUON_PREFIX + name] = (0.02, 256)
    assert len(server.files[GLUON_PREFIX + 'train-images-idx3-ubyte.gz']) > 30 * 256
    target = tmp_path / 'cache'
    data.download_fashion_mnist(str(target), CURRENT, url=server.url + GLUON_PREFIX,
                                timeout=5, deadline=60)
    assert _listing(target) == ALL_GZ


@pytest.fixture
def silent_port():
    """A 127.0.0.1 port that accepts connections (kernel backlog) and never answers."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


def test_timeout(tmp_path, silent_port):
    """A server that never answers: a clear error after `timeout`, no leftovers."""
    target = tmp_path / 'cache'
    start = time.monotonic()
    with pytest.raises(DataError) as info:
        data.download_fashion_mnist(str(target), url=f'http://127.0.0.1:{silent_port}/',
                                    timeout=0.5)
    assert time.monotonic() - start < 5
    message = str(info.value)
    assert f'http://127.0.0.1:{silent_port}/train-labels-idx1-ubyte.gz' in message
    assert 'no answer within 0.5 s' in message
    assert _listing(target) == []


def test_a_silent_server_is_stopped_by_the_deadline_before_the_timeout(tmp_path, silent_port):
    """The deadline also bounds a read that would otherwise wait its whole timeout."""
    start = time.monotonic()
    with pytest.raises(DataError, match='did not finish within its 0.5 s deadline'):
        data.download_fashion_mnist(str(tmp_path / 'cache'),
                                    url=f'http://127.0.0.1:{silent_port}/', timeout=30,
                                    deadline=0.5)
    assert time.monotonic() - start < 3


@pytest.fixture
def not_http_port():
    """A 127.0.0.1 port whose server answers one request with a line that is not HTTP."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(1)
    sock.settimeout(5)

    def answer():
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        with conn:
            conn.recv(4096)
            conn.sendall(b'SSH-2.0-OpenSSH_9.2\r\n')
    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    thread.join(timeout=5)
    sock.close()


def test_a_server_that_does_not_speak_http(tmp_path, not_http_port):
    """A wrong port (here an SSH greeting) gives a DataError, not http.client's BadStatusLine."""
    target = tmp_path / 'cache'
    with pytest.raises(DataError, match='did not answer in HTTP'):
        data.download_fashion_mnist(str(target), url=f'http://127.0.0.1:{not_http_port}/',
                                    timeout=2)
    assert _listing(target) == []


# ------------------------------------------------ the cache: a full disk, SIGTERM

@pytest.fixture
def real_gz(server):
    """The four real .gz files of the current release, served at the server's root."""
    from conftest import REAL_DATA_DIR
    if REAL_DATA_DIR is None or not all(os.path.isfile(os.path.join(REAL_DATA_DIR, n))
                                        for n in ALL_GZ):
        pytest.skip('the real .gz files of Fashion-MNIST are not here (dataset-fashion-mnist)')
    _publish(server, REAL_DATA_DIR, '/')
    return {data.RELEASE_ENV: CURRENT, ZALANDO_ENV: server.url + '/',
            data.DEBIAN_ENV: '/nonexistent'}  # the environment of a command that downloads


@pytest.mark.slow
def test_a_full_cache_is_one_line_and_keeps_the_files_downloaded(tiny_disk, tmp_path,
                                                                  real_gz):
    """$MXNET_HOME on a 64 KiB tmpfs: the two label files land, the training images do not
    fit: one line naming that file, exit 1, the labels kept whole, no temporary file."""
    from conftest import REAL_DATA_DIR
    result = tiny_disk(['run', '3.5', '--out', str(tmp_path / 'figures')],
                       env={**real_gz, 'MXNET_HOME': str(tmp_path / 'disk')})  # the tmpfs
    assert result.code == 1 and len(result.err) == 1, result.err
    assert result.err[0].startswith('error: ') and result.err[0].endswith(
        '2017-08-31/train-images-idx3-ubyte.gz: cannot be written (no space left on device); '
        'nothing half-written was left and files written before are kept; free some space '
        'there or point $MXNET_HOME elsewhere, or install the data locally: sudo apt-get '
        'install dataset-fashion-mnist'), result.err
    folder = os.path.join('datasets', 'fashion-mnist', CURRENT)
    kept = {os.path.basename(n): c for n, c in result.files.items()
            if os.path.dirname(n) == folder}
    assert sorted(kept) == ['t10k-labels-idx1-ubyte.gz', 'train-labels-idx1-ubyte.gz']
    for name, content in kept.items():
        with open(os.path.join(REAL_DATA_DIR, name), 'rb') as f:
            assert content == f.read(), name
    assert not [n for n in result.files if n.endswith(('.tmp', '.part'))]


@pytest.mark.slow
def test_sigterm_during_a_download_leaves_no_part_file(tmp_path, server, real_gz):
    """SIGTERM while the training images trickle in: one line, exit 143, the files already
    fetched kept and no temporary file in the cache."""
    server.trickle['/train-images-idx3-ubyte.gz'] = (0.05, 4096)
    command = Command(['run', '3.5', '--out', str(tmp_path / 'figures')], tmp_path, real_gz)
    folder = places.download_dir(CURRENT)
    deadline = time.time() + 120
    while not glob.glob(os.path.join(folder, 'train-images-idx3-ubyte.gz.*.tmp')):
        assert time.time() < deadline and command.process.poll() is None, command.err
        time.sleep(0.05)
    code, err, took = command.interrupt(0.2, signal.SIGTERM)
    assert_one_line(code, err, took, f'the download of Fashion-MNIST {CURRENT} into {folder}',
                     '2 whole files were kept, the one in progress was removed',
                     status=128 + signal.SIGTERM)
    assert _listing(folder) == ['t10k-labels-idx1-ubyte.gz', 'train-labels-idx1-ubyte.gz']
