"""Downloading from a local HTTP server on 127.0.0.1: success, bad checksum, timeout, 404."""
import http.server
import os
import socket
import threading
import time

import pytest

from d2lsoftmax import data
from d2lsoftmax.data import DataError

PREFIX = '/gluon/dataset/fashion-mnist/'  # where gluon's repository keeps the files
ALL_GZ = sorted(base + '.gz' for base in data.SHA256)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves server.files {url path: bytes}, 404 otherwise; records the paths asked for."""

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
        self.wfile.write(body)

    def log_message(self, *args):
        """Keep the test output quiet."""


@pytest.fixture
def server():
    """A threaded HTTP server on 127.0.0.1 (port 0), shut down after the test."""
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    httpd.daemon_threads = True
    httpd.files, httpd.promise, httpd.requests = {}, {}, []
    httpd.url = f'http://127.0.0.1:{httpd.server_port}'
    thread = threading.Thread(target=httpd.serve_forever, kwargs={'poll_interval': 0.05},
                              daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def published(tmp_path, fake_data, server):
    """The four fake .gz files served under PREFIX, with data.SHA256 patched to match."""
    written = fake_data(tmp_path / 'published')
    for name in ALL_GZ:
        with open(tmp_path / 'published' / name, 'rb') as f:
            server.files[PREFIX + name] = f.read()
    return written


def _listing(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_download_with_url_argument(tmp_path, server, published):
    """All four files land in the folder, verified, without .part leftovers."""
    target = tmp_path / 'cache'
    data.download_fashion_mnist(str(target), url=server.url + PREFIX, timeout=5)
    assert _listing(target) == ALL_GZ
    assert sorted(server.requests) == [PREFIX + name for name in ALL_GZ]
    images, labels = data.read_split(str(target), 'train')  # verifies the patched digests
    assert (images[..., 0] == published['train'][0]).all()
    assert (labels == published['train'][1]).all()


def test_download_via_mxnet_gluon_repo_into_the_cache(tmp_path, monkeypatch, server,
                                                      published):
    """With nothing found, find_data_dir fetches from $MXNET_GLUON_REPO into the cache."""
    monkeypatch.setattr(data, 'DEBIAN_DIR', str(tmp_path / 'no-debian'))
    monkeypatch.setenv('MXNET_GLUON_REPO', server.url)  # no trailing slash, as users write it
    found = data.find_data_dir(timeout=5)
    assert found == data.cache_dir() == str(tmp_path / 'mxnet-home' / 'datasets' /
                                            'fashion-mnist')
    assert _listing(found) == ALL_GZ
    X, y = data.load_arrays('test')
    assert (X[..., 0] == published['test'][0]).all()


def test_files_already_there_are_not_fetched_again(tmp_path, server, published):
    """A folder holding some of the files only downloads the missing ones."""
    target = tmp_path / 'cache'
    target.mkdir()
    kept = ALL_GZ[0]
    (target / kept).write_bytes(server.files[PREFIX + kept])
    data.download_fashion_mnist(str(target), url=server.url + PREFIX, timeout=5)
    assert sorted(server.requests) == [PREFIX + name for name in ALL_GZ[1:]]
    assert _listing(target) == ALL_GZ


def test_checksum_mismatch(tmp_path, monkeypatch, server, published):
    """A served file with other content: the error names it and nothing is kept."""
    monkeypatch.setitem(data.SHA256, 'train-images-idx3-ubyte', '0' * 64)
    target = tmp_path / 'cache'
    with pytest.raises(DataError) as info:
        data.download_fashion_mnist(str(target), url=server.url + PREFIX, timeout=5)
    message = str(info.value)
    assert 'train-images-idx3-ubyte.gz: downloaded file rejected' in message
    assert 'SHA-256' in message and '0' * 64 in message
    assert _listing(target) == []  # the first file failed: no file, no .part


def test_truncated_download(tmp_path, server, published):
    """A connection that closes before Content-Length is reached leaves nothing behind."""
    name = PREFIX + 'train-images-idx3-ubyte.gz'
    server.promise[name] = len(server.files[name])
    server.files[name] = server.files[name][:100]
    target = tmp_path / 'cache'
    with pytest.raises(DataError, match='train-images-idx3-ubyte.gz: downloaded file rejected'):
        data.download_fashion_mnist(str(target), url=server.url + PREFIX, timeout=5)
    assert _listing(target) == []


def test_404(tmp_path, server, published):
    """A file the server does not have: its URL and the HTTP status in the message."""
    del server.files[PREFIX + 'train-labels-idx1-ubyte.gz']
    target = tmp_path / 'cache'
    with pytest.raises(DataError) as info:
        data.download_fashion_mnist(str(target), url=server.url + PREFIX, timeout=5)
    assert (f'{server.url}{PREFIX}train-labels-idx1-ubyte.gz: HTTP error 404'
            in str(info.value))
    assert not [n for n in _listing(target) if n.endswith('.part') or 'labels' in n]


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
    assert f'http://127.0.0.1:{silent_port}/train-images-idx3-ubyte.gz' in message
    assert 'no answer within 0.5 s' in message
    assert _listing(target) == []


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
