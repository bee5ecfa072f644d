"""Fashion-MNIST: find, verify and read the idx files, then serve batches from memory.

The book's pipeline (gluon ``FashionMNIST`` + ``DataLoader`` + ``ToTensor``) is
reproduced batch for batch, but without per-sample transforms or worker
processes: the images stay in memory as uint8 and each batch is converted once.
"""
import contextlib
import gzip
import hashlib
import http.client
import math
import os
import shutil
import socket
import struct
import tempfile
import urllib.error
import urllib.request
import zlib
from functools import lru_cache

import numpy as np
from mxnet import nd

# Base names of the four idx files, as the Fashion-MNIST project publishes them.
FILES = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}
NUM_EXAMPLES = {'train': 60000, 'test': 10000}
# SHA-256 of the *decompressed* idx files: any faithful copy passes, however it
# was gzipped (Debian's copies are recompressed, so gluon's sha1 of the .gz fails).
SHA256 = {
    'train-images-idx3-ubyte':
        'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
    'train-labels-idx1-ubyte':
        'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
    't10k-images-idx3-ubyte':
        '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
    't10k-labels-idx1-ubyte':
        '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
}
TEXT_LABELS = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat',
               'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']
DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
# Where gluon's FashionMNIST downloads from ($MXNET_GLUON_REPO overrides the host).
DEFAULT_REPO = 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/'
HOW_TO_FIX = (
    'To fix it, do one of:\n'
    '  - install the Debian/Ubuntu package: sudo apt-get install dataset-fashion-mnist\n'
    '  - put the four idx files (.gz or raw) in a folder and set D2LSOFTMAX_DATA=/that/folder\n'
    '    (or pass root=... to load_data_fashion_mnist)\n'
    '  - go online once: the files are then downloaded into the cache folder above')


class DataError(RuntimeError):
    """Fashion-MNIST files that are missing, corrupt or not what they claim to be."""


# ---------------------------------------------------------------- idx files

def _is_gzip(path):
    """True when the file starts with gzip's magic bytes (whatever its name says)."""
    with open(path, 'rb') as f:
        return f.read(2) == b'\x1f\x8b'


def _read_bytes(path, gz=None):
    """The file's content, gunzipped when it is gzip (by its magic, not its name).

    `gz` is what the caller already knows of the magic (None: look at the file).
    """
    if not (_is_gzip(path) if gz is None else gz):
        with open(path, 'rb') as f:
            return f.read()
    try:
        return _gunzip(path)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f'{path}: not a readable gzip file ({e}); the file is '
                        'truncated or corrupt. Delete it and fetch it again.') from None


def _gunzip(path, chunk=1 << 20):
    """Decompressed content, grown in place: GzipFile.read() would briefly hold it twice."""
    content = bytearray()
    with gzip.open(path, 'rb') as f:
        while True:
            block = f.read(chunk)
            if not block:
                return content
            content += block


def parse_idx(content, path='<bytes>', sha256=None):
    """Check an idx file's header, size and (optionally) SHA-256; return its uint8 array."""
    if len(content) < 4:
        raise DataError(f'{path}: only {len(content)} bytes, too short to be an idx file.')
    magic, = struct.unpack('>I', content[:4])
    ndim = content[3]
    if content[:3] != b'\x00\x00\x08' or not 1 <= ndim <= 4:
        raise DataError(f'{path}: bad magic number 0x{magic:08x}; an idx file of uint8 '
                        'starts with 0x0000080N (N = number of dimensions). '
                        'This is not a Fashion-MNIST idx file.')
    header = 4 + 4 * ndim
    if len(content) < header:
        raise DataError(f'{path}: truncated inside the header ({len(content)} bytes, '
                        f'header needs {header}).')
    dims = struct.unpack('>' + 'I' * ndim, content[4:header])
    expected = math.prod(dims)
    actual = len(content) - header
    if actual != expected:
        what = 'truncated' if actual < expected else 'too long'
        raise DataError(f'{path}: {what}: the header promises {expected} bytes of data '
                        f'(shape {dims}) but the file holds {actual}.')
    if sha256 is not None:
        digest = hashlib.sha256(content).hexdigest()
        if digest != sha256:
            raise DataError(f'{path}: content SHA-256 {digest} does not match the known '
                            f'Fashion-MNIST digest {sha256}; the file is corrupt or is '
                            'not Fashion-MNIST. Delete it and fetch it again.')
    array = np.frombuffer(content, dtype=np.uint8, offset=header).reshape(dims)
    array.flags.writeable = False  # shared by every loader of the split (lru_cache)
    return array


def read_idx(path, sha256=None):
    """Read one idx file, gzipped or raw, into a uint8 array of its stated shape."""
    return parse_idx(_read_bytes(path), path, sha256)


def _file_in(directory, base):
    """Path of `base` or `base`.gz in `directory`, or None."""
    for name in (base + '.gz', base):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def read_split(directory, split, verify=True):
    """Images (N, 28, 28, 1) uint8 and labels (N,) int32 of `split` read from `directory`."""
    images_base, labels_base = FILES[split]
    images_path = _file_in(directory, images_base)
    labels_path = _file_in(directory, labels_base)
    for base, path in ((images_base, images_path), (labels_base, labels_path)):
        if path is None:
            raise DataError(f'{directory}: {base}[.gz] is missing.')
    if verify:
        images = _read_known(images_path, images_base)
        labels = _read_known(labels_path, labels_base)
    else:
        images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f'{images_path}: images of shape {images.shape[1:]}, '
                        'expected 28x28 (an idx3 file).')
    if labels.ndim != 1:
        raise DataError(f'{labels_path}: labels of shape {labels.shape}, expected 1-D (idx1).')
    if len(images) != len(labels):
        raise DataError(f'count mismatch: {images_path} holds {len(images)} images but '
                        f'{labels_path} holds {len(labels)} labels.')
    if len(labels) and labels.max() >= len(TEXT_LABELS):
        raise DataError(f'{labels_path}: label {labels.max()} out of range 0-9.')
    # The layout gluon's FashionMNIST gives: (N, H, W, C) uint8, int32 labels.
    return images.reshape(-1, 28, 28, 1), labels.astype(np.int32)


# ------------------------------------------------------- decompressed copies

def unpacked_path(base):
    """Where the verified, decompressed copy of `base` is kept, beside gluon's downloads."""
    return os.path.join(cache_dir(), 'unpacked', base)


def _read_known(path, base):
    """One of the four Fashion-MNIST files, verified; a .gz is decompressed only once.

    Gunzipping the training images takes 0.2 s, most of a run's reading time, so
    the first read of a .gz leaves a decompressed copy in the cache folder. Later
    reads use the copy; it is checked against the same SHA-256 each time, and one
    that fails is ignored and rewritten.
    """
    if not _is_gzip(path):
        return read_idx(path, SHA256[base])
    copy = unpacked_path(base)
    if os.path.isfile(copy):
        try:
            return read_idx(copy, SHA256[base])
        except (DataError, OSError):
            pass  # damaged, stale or unreadable: the .gz below is the source of truth
    content = _read_bytes(path, gz=True)  # the magic was read above
    array = parse_idx(content, path, SHA256[base])
    _write_quietly(copy, content)
    return array


def _write_quietly(path, content):
    """Write `path` atomically (temp file, rename); a read-only or full disk only costs speed."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + '.', suffix='.part',
                                   dir=os.path.dirname(path))
    except OSError:
        return
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(content)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; it is public data
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(tmp)


# ---------------------------------------------------------- where the data is

def cache_dir():
    """Where the book's loader caches Fashion-MNIST: $MXNET_HOME/datasets/fashion-mnist."""
    mxnet_home = os.environ.get('MXNET_HOME', os.path.join('~', '.mxnet'))
    return os.path.join(os.path.expanduser(mxnet_home), 'datasets', 'fashion-mnist')


def candidate_dirs(root=None):
    """(description, folder) pairs in the order they are searched."""
    places = []
    if root is not None:
        places.append(('root= argument', os.path.expanduser(str(root))))
    if os.environ.get('D2LSOFTMAX_DATA'):
        places.append(('$D2LSOFTMAX_DATA', os.path.expanduser(os.environ['D2LSOFTMAX_DATA'])))
    places.append(('MXNet cache ($MXNET_HOME/datasets/fashion-mnist)', cache_dir()))
    places.append(('Debian package dataset-fashion-mnist', DEBIAN_DIR))
    return places


def _has_all_files(directory):
    return all(_file_in(directory, base) for pair in FILES.values() for base in pair)


def find_data_dir(root=None, download=True, url=None, timeout=30):
    """The first searched folder holding all four files; else download into the cache."""
    places = candidate_dirs(root)
    for _, directory in places:
        if _has_all_files(directory):
            return directory
    target = os.path.expanduser(str(root)) if root is not None else cache_dir()
    searched = '\n'.join(f'  - {d}  ({what})' for what, d in places)
    if not download:
        raise DataError(f'Fashion-MNIST not found. Searched:\n{searched}\n{HOW_TO_FIX}')
    try:
        download_fashion_mnist(target, url=url, timeout=timeout)
    except DataError as e:
        raise DataError(f'Fashion-MNIST not found. Searched:\n{searched}\n'
                        f'Then the download into {target} failed: {e}\n{HOW_TO_FIX}') from None
    return target


def repo_url():
    """Base URL of gluon's dataset repository, as gluon itself computes it."""
    url = os.environ.get('MXNET_GLUON_REPO', DEFAULT_REPO)
    return url if url.endswith('/') else url + '/'


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


def download_fashion_mnist(directory, url=None, timeout=30):
    """Fetch the missing .gz files into `directory`: temp file, verify, then rename."""
    url = url or repo_url() + 'gluon/dataset/fashion-mnist/'
    os.makedirs(directory, exist_ok=True)
    for base, digest in SHA256.items():
        if _file_in(directory, base):
            continue
        source = url.rstrip('/') + '/' + base + '.gz'
        fd, tmp = tempfile.mkstemp(prefix=base + '.', suffix='.part', dir=directory)
        try:
            with os.fdopen(fd, 'wb') as out, urllib.request.urlopen(source, timeout=timeout) as r:
                shutil.copyfileobj(r, out)
            read_idx(tmp, digest)  # never keep a file that fails its checksum
            os.replace(tmp, os.path.join(directory, base + '.gz'))
        except DataError as e:
            raise DataError(f'{source}: downloaded file rejected: {e}') from None
        except (OSError, ValueError, http.client.HTTPException) as e:
            # URLError, HTTPError, timeouts, refused connections, non-HTTP answers
            raise DataError(f'{source}: {_why(e, timeout)}') from None
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)


@lru_cache(maxsize=4)
def _load_split_cached(directory, split):
    return read_split(directory, split)


def load_arrays(split, root=None):
    """Images (N, 28, 28, 1) uint8 and labels (N,) int32 of 'train' or 'test'."""
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return _load_split_cached(find_data_dir(root), split)


# ---------------------------------------------------------------- batches

class FashionMNISTIter:
    """Mini-batches (X, y) like gluon's DataLoader(dataset.transform_first(ToTensor())).

    X is float32 (b, 1, 28, 28) in [0, 1], y int32 (b,). With shuffle=True each pass
    draws its order with numpy's global RNG exactly as gluon's RandomSampler does.
    The images stay uint8 in memory; each batch is gathered and converted by numpy
    (about 10x faster than MXNet's to_tensor kernel, same float32 division) and
    handed to MXNet without a copy, so making a batch never waits for the engine.
    """

    def __init__(self, images, labels, batch_size, shuffle=False, resize=None):
        self.images, self.labels = images, labels  # (N, 28, 28, 1) uint8, (N,) int32
        self.batch_size, self.shuffle, self.resize = batch_size, shuffle, resize

    def __len__(self):
        return math.ceil(len(self.labels) / self.batch_size)  # last partial batch kept

    def __iter__(self):
        n, b = len(self.labels), self.batch_size
        indices = np.arange(n)
        if self.shuffle:
            np.random.shuffle(indices)  # the call RandomSampler makes, once per pass
        for start in range(0, n, b):
            idx = indices[start:start + b] if self.shuffle else slice(start, start + b)
            yield self._batch(self.images[idx], self.labels[idx])

    def _batch(self, images, labels):
        y = nd.from_numpy(np.array(labels))  # (b,) int32, an own copy: the cache stays intact
        if self.resize:  # what transforms.Resize then ToTensor do, on the whole batch
            X = nd.from_numpy(np.ascontiguousarray(images))  # (b, 28, 28, 1) uint8
            return nd.image.to_tensor(nd.image.resize(X, self.resize)), y
        # ToTensor: float32(pixel) / 255, and with one channel HWC -> CHW is a reshape.
        X = (images.astype(np.float32) / np.float32(255)).reshape(-1, 1, *images.shape[1:3])
        return nd.from_numpy(X), y  # (b, 1, 28, 28) float32, zero-copy


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size <= 0:
        raise ValueError(f'batch_size must be a positive integer, got {batch_size!r}')


def load_data_fashion_mnist(batch_size, resize=None, root=None):
    """The book's (train_iter, test_iter): train shuffled each pass, test in order."""
    _check_batch_size(batch_size)
    train_iter = FashionMNISTIter(*load_arrays('train', root), batch_size,
                                  shuffle=True, resize=resize)
    test_iter = FashionMNISTIter(*load_arrays('test', root), batch_size, resize=resize)
    return train_iter, test_iter


def get_fashion_mnist_labels(labels):
    """Text labels of numeric Fashion-MNIST labels (any iterable of ints or floats)."""
    return [TEXT_LABELS[int(i)] for i in labels]
