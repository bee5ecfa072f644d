"""Shared fixtures: an isolated environment, tiny fake idx files, the real data set."""
import gzip
import hashlib
import os
import socket
import struct

import numpy as np
import pytest

from d2lsoftmax import data


def _real_data_dir():
    """Folder with the four real files: $D2LSOFTMAX_DATA as given at start-up, else Debian's."""
    for folder in (os.environ.get('D2LSOFTMAX_DATA'), data.DEBIAN_DIR):
        if folder and data._has_all_files(os.path.expanduser(folder)):
            return os.path.expanduser(folder)
    return None


def _closed_port_url():
    """http URL of a 127.0.0.1 port nobody listens on: downloads fail at once, offline."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    return f'http://127.0.0.1:{port}/'


REAL_DATA_DIR = _real_data_dir()  # read before any test changes the environment
DEAD_REPO = _closed_port_url()


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """No test sees the caller's data settings or ~/.mxnet, and none can go online.

    $D2LSOFTMAX_DATA is unset, $MXNET_HOME is an empty folder of the test and
    $MXNET_GLUON_REPO a closed local port; the Debian folder is still searched.
    Tests change them with monkeypatch, which restores them afterwards.
    """
    monkeypatch.delenv('D2LSOFTMAX_DATA', raising=False)
    monkeypatch.setenv('MXNET_HOME', str(tmp_path / 'mxnet-home'))
    monkeypatch.setenv('MXNET_GLUON_REPO', DEAD_REPO)


@pytest.fixture
def real_data(monkeypatch):
    """The folder of the real Fashion-MNIST files, also exported as $D2LSOFTMAX_DATA."""
    if REAL_DATA_DIR is None:
        pytest.skip(f'real Fashion-MNIST not found: install the Debian package '
                    f'dataset-fashion-mnist ({data.DEBIAN_DIR}) or set D2LSOFTMAX_DATA')
    monkeypatch.setenv('D2LSOFTMAX_DATA', REAL_DATA_DIR)
    return REAL_DATA_DIR


# ------------------------------------------------------------ fake idx files

def idx_bytes(array):
    """The idx encoding of a uint8 array: magic 0x0000080N, N big-endian sizes, the data."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + struct.pack('>' + 'I' * array.ndim, *array.shape)
    return header + array.tobytes()


def _write_idx(path, array, gz=True):
    """Write `array` as an idx file at `path`, gzipped or raw; return the path."""
    content = idx_bytes(array)
    with open(path, 'wb') as f:
        f.write(gzip.compress(content, mtime=0) if gz else content)
    return str(path)


@pytest.fixture
def write_idx():
    """write_idx(path, array, gz=True): an idx file of `array`, gzipped or raw."""
    return _write_idx


def fake_split_arrays(n, seed=0):
    """n random 28x28 uint8 images and labels 0-9, as the idx files hold them."""
    rng = np.random.RandomState(seed)
    return (rng.randint(0, 256, size=(n, 28, 28), dtype=np.uint8),
            rng.randint(0, 10, size=n, dtype=np.uint8))


@pytest.fixture
def fake_data(monkeypatch):
    """fake_data(folder, gz=True, sizes=None): the four files with tiny fake content.

    data.SHA256 is patched to the digests of that content, so it verifies; returns
    {split: (images (n, 28, 28), labels (n,))} of what was written.
    """
    digests = dict(data.SHA256)
    monkeypatch.setattr(data, 'SHA256', digests)

    def make(folder, gz=True, sizes=None, seed=0):
        os.makedirs(folder, exist_ok=True)
        written = {}
        for i, (split, (images_base, labels_base)) in enumerate(data.FILES.items()):
            n = (sizes or {}).get(split, {'train': 12, 'test': 5}[split])
            images, labels = fake_split_arrays(n, seed + i)
            for base, array in ((images_base, images), (labels_base, labels)):
                _write_idx(os.path.join(folder, base + ('.gz' if gz else '')), array, gz)
                digests[base] = hashlib.sha256(idx_bytes(array)).hexdigest()
            written[split] = images, labels
        return written
    return make
