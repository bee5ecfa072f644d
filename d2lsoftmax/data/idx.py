"""The four idx files: their names, finding them in a folder, reading and checking one.

An idx file (gzipped or raw, told by its magic, not its name) is checked for its
header and size before its bytes become a read-only uint8 array. DataError, the
error of every failure of this package, is declared here, at its bottom.
"""
import gzip
import hashlib
import io
import math
import os
import struct
import zlib

import numpy as np

# Base names of the four idx files, as the Fashion-MNIST project publishes them.
FILES = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}
# Labels first: they are small, and they tell a folder's release before 30 MB of images.
SURVEY_ORDER = (FILES['train'][1], FILES['test'][1], FILES['train'][0], FILES['test'][0])
NUM_EXAMPLES = {'train': 60000, 'test': 10000}
GZ_MAGIC = b'\x1f\x8b'


class DataError(RuntimeError):
    """Fashion-MNIST files that are missing, corrupt or not what they claim to be."""


def unreadable(path, e):
    """The DataError of a file open() or read() refuses."""
    return DataError(f'{path}: cannot be read ({e.strerror or e}); fix its permissions '
                     '(chmod a+r) or remove it.')


def read_file(path):
    """The bytes of `path`; a DataError of one line when it cannot be read."""
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError as e:
        raise unreadable(path, e) from None


def _gunzip(raw, chunk=1 << 20):
    """Decompressed content of gzip bytes, grown in place (GzipFile.read() would hold it twice)."""
    content = bytearray()
    with gzip.GzipFile(fileobj=io.BytesIO(raw), mode='rb') as f:
        while True:
            block = f.read(chunk)
            if not block:
                return content
            content += block


def unzipped(raw, path):
    """`raw` gunzipped; a DataError naming `path` when the stream is cut or damaged."""
    try:
        return _gunzip(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f'{path}: not a readable gzip file ({e}); the file is '
                        'truncated or corrupt. Delete it and fetch it again.') from None


def _read_bytes(path):
    """The file's content, gunzipped when it is gzip (by its magic, not its name)."""
    raw = read_file(path)
    return unzipped(raw, path) if raw[:2] == GZ_MAGIC else raw


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
    array.flags.writeable = False  # shared by every loader of the split (see identity's memo)
    return array


def read_idx(path, sha256=None):
    """Read one idx file, gzipped or raw, into a uint8 array of its stated shape."""
    return parse_idx(_read_bytes(path), path, sha256)


def file_in(directory, base):
    """Path of `base` or `base`.gz in `directory`, or None."""
    for name in (base + '.gz', base):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def folder_in(directory, base):
    """Path of a folder named `base` or `base`.gz in `directory` (a file's name), or None."""
    return next((os.path.join(directory, n) for n in (base + '.gz', base)
                 if os.path.isdir(os.path.join(directory, n))), None)


def has_all_files(directory):
    """True when `directory` holds each of the four files (.gz or raw), whatever they are."""
    return all(file_in(directory, base) for pair in FILES.values() for base in pair)
