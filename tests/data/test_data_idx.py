"""idx files: parsing gz and raw files, read_split, and one clear error per corruption."""
import gzip
import hashlib
import os
import re

import numpy as np
import pytest

from d2lsoftmax import data
from d2lsoftmax.data import DataError
from d2lsoftmax.data.idx import file_in

TRAIN_IMAGES, TRAIN_LABELS = data.FILES['train']


def raises_data_error(*needles):
    """pytest.raises(DataError, match=...) requiring every needle, literally, in the message."""
    return pytest.raises(DataError, match=''.join(f'(?=[\\s\\S]*{re.escape(str(n))})'
                                                  for n in needles))


def _write_bytes(path, content):
    with open(path, 'wb') as f:
        f.write(content)
    return str(path)


def _raw_idx(tmp_path, write_idx, array):
    """The bytes of the raw idx encoding of `array`."""
    with open(write_idx(tmp_path / 'raw-idx', array, gz=False), 'rb') as f:
        return f.read()


# ------------------------------------------------------------- good files

@pytest.mark.parametrize('gz', [True, False])
def test_read_idx_gives_the_written_array(tmp_path, write_idx, gz):
    """gzipped and raw idx files both come back as the same uint8 array and shape."""
    images = np.arange(3 * 28 * 28, dtype=np.uint64).reshape(3, 28, 28).astype(np.uint8)
    path = write_idx(tmp_path / 'imgs', images, gz=gz)
    got = data.read_idx(path)
    assert got.dtype == np.uint8 and got.shape == (3, 28, 28)
    np.testing.assert_array_equal(got, images)
    assert not got.flags.writeable  # load_arrays caches and shares it: nobody may edit it


def test_gzip_is_recognised_by_content_not_name(tmp_path, write_idx):
    """A gzipped file without .gz and a raw file named .gz are both read correctly."""
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    gz_no_suffix = write_idx(tmp_path / 'labels', labels, gz=True)
    raw_gz_suffix = write_idx(tmp_path / 'labels.gz', labels, gz=False)
    np.testing.assert_array_equal(data.read_idx(gz_no_suffix), labels)
    np.testing.assert_array_equal(data.read_idx(raw_gz_suffix), labels)


def test_read_idx_checks_the_digest_of_the_decompressed_content(tmp_path, write_idx):
    """The sha256 is of the idx content, so a gzipped copy verifies against it."""
    content = _raw_idx(tmp_path, write_idx, np.zeros((2, 28, 28), np.uint8))
    path = write_idx(tmp_path / 'x.gz', np.zeros((2, 28, 28), np.uint8), gz=True)
    got = data.read_idx(path, hashlib.sha256(content).hexdigest())
    assert got.shape == (2, 28, 28) and not got.any()


@pytest.mark.parametrize('gz', [True, False])
def test_read_split_on_a_tiny_fake_split(tmp_path, fake_data, gz):
    """read_split gives gluon's layout: (N, 28, 28, 1) uint8 images and (N,) int32 labels."""
    written = fake_data(tmp_path, gz=gz, sizes={'train': 7, 'test': 3})
    for split, (images, labels) in written.items():
        X, y = data.read_split(str(tmp_path), split)
        assert X.dtype == np.uint8 and X.shape == (len(images), 28, 28, 1)
        assert y.dtype == np.int32 and y.shape == (len(images),)
        np.testing.assert_array_equal(X[..., 0], images)
        np.testing.assert_array_equal(y, labels)


def test_read_split_verify_false_skips_the_digest(tmp_path, write_idx):
    """Without the patched digests the fake files fail verification, unless verify=False."""
    images = np.ones((2, 28, 28), np.uint8)
    write_idx(tmp_path / (TRAIN_IMAGES + '.gz'), images)
    write_idx(tmp_path / (TRAIN_LABELS + '.gz'), np.array([0, 9], np.uint8))
    X, y = data.read_split(str(tmp_path), 'train', verify=False)
    assert X.shape == (2, 28, 28, 1) and list(y) == [0, 9]
    with raises_data_error(TRAIN_IMAGES, 'matches neither Fashion-MNIST release',
                           '2017-08-26 by gluon\'s gzip SHA-1', '2017-08-31 by content SHA-256'):
        data.read_split(str(tmp_path), 'train')


def test_load_arrays_reads_the_folder_it_finds(tmp_path, fake_data):
    """load_arrays finds a root= folder and returns its verified arrays."""
    written = fake_data(tmp_path / 'root', sizes={'test': 4})
    X, y = data.load_arrays('test', root=tmp_path / 'root')
    np.testing.assert_array_equal(X[..., 0], written['test'][0])
    np.testing.assert_array_equal(y, written['test'][1])


def test_load_arrays_rejects_an_unknown_split():
    """Only 'train' and 'test' exist; anything else is a ValueError naming the value."""
    with pytest.raises(ValueError, match="'valid'"):
        data.load_arrays('valid')


def test_text_labels_of_ints_and_floats():
    """Numeric labels, ints or floats (as NDArray.asnumpy gives), map to the book's names."""
    assert data.get_fashion_mnist_labels([0, 9, 5.0, np.float32(6)]) == \
        ['t-shirt', 'ankle boot', 'sandal', 'shirt']


# ------------------------------------------------------------ corruptions

def test_bad_magic(tmp_path, write_idx):
    """A file that is not idx (here: idx of int32, magic 0x00000c03) is named and refused."""
    path = write_idx(tmp_path / 'x-idx3-ubyte', np.zeros((1, 28, 28), np.uint8), gz=False)
    with open(path, 'r+b') as f:
        f.write(b'\x00\x00\x0c\x03')
    with raises_data_error(path, 'bad magic number 0x00000c03'):
        data.read_idx(path)


def test_html_page_instead_of_idx(tmp_path):
    """What a captive portal returns is not mistaken for data."""
    path = _write_bytes(tmp_path / 'page.gz', b'<html><body>Sign in</body></html>')
    with raises_data_error(path, 'bad magic number', 'not a Fashion-MNIST idx file'):
        data.read_idx(path)


def test_too_short_for_a_magic_number(tmp_path):
    """An empty or 3-byte file is refused with its size."""
    path = _write_bytes(tmp_path / 'tiny', b'\x00\x00\x08')
    with raises_data_error(path, 'only 3 bytes'):
        data.read_idx(path)


def test_truncated_header(tmp_path, write_idx):
    """An idx3 file cut inside its 16-byte header says so."""
    full = write_idx(tmp_path / 'full', np.zeros((2, 28, 28), np.uint8), gz=False)
    with open(full, 'rb') as f:
        path = _write_bytes(tmp_path / 'cut', f.read()[:10])
    with raises_data_error(path, 'truncated inside the header', '10 bytes', 'needs 16'):
        data.read_idx(path)


@pytest.mark.parametrize('gz', [True, False])
def test_truncated_data(tmp_path, write_idx, gz):
    """Fewer data bytes than the header promises: truncated, with both sizes."""
    content = _raw_idx(tmp_path, write_idx, np.zeros((2, 28, 28), np.uint8))[:-100]
    path = _write_bytes(tmp_path / 'cut', gzip.compress(content) if gz else content)
    with raises_data_error(path, 'truncated', 'promises 1568 bytes', 'holds 1468'):
        data.read_idx(path)


def test_trailing_garbage(tmp_path, write_idx):
    """More data bytes than the header promises is refused too."""
    content = _raw_idx(tmp_path, write_idx, np.zeros(5, np.uint8))
    path = _write_bytes(tmp_path / 'long', content + b'\x00')
    with raises_data_error(path, 'too long', 'promises 5 bytes', 'holds 6'):
        data.read_idx(path)


def test_corrupt_gzip(tmp_path, write_idx):
    """Flipped bytes inside the compressed stream: not a readable gzip file."""
    path = write_idx(tmp_path / 'bad.gz', np.arange(2 * 28 * 28).reshape(2, 28, 28) % 251)
    with open(path, 'r+b') as f:
        content = bytearray(f.read())
        content[20:40] = bytes(255 - b for b in content[20:40])
        f.seek(0)
        f.write(content)
    with raises_data_error(path, 'not a readable gzip file', 'corrupt'):
        data.read_idx(path)


def test_truncated_gzip(tmp_path, write_idx):
    """A download cut short leaves a gzip stream without its end: refused, not misread."""
    path = write_idx(tmp_path / 'cut.gz', np.arange(2 * 28 * 28).reshape(2, 28, 28) % 251)
    with open(path, 'rb') as f:
        content = f.read()
    _write_bytes(path, content[:len(content) // 2])
    with raises_data_error(path, 'not a readable gzip file', 'truncated'):
        data.read_idx(path)


def test_wrong_digest(tmp_path, write_idx):
    """A well-formed file whose content is not the known one is named with both digests."""
    path = write_idx(tmp_path / 'x', np.zeros(3, np.uint8))
    with raises_data_error(path, 'SHA-256', 'does not match', 'f' * 64):
        data.read_idx(path, sha256='f' * 64)


def test_count_mismatch(tmp_path, write_idx):
    """Images and labels of different counts: both files and both counts in the message."""
    images = write_idx(tmp_path / (TRAIN_IMAGES + '.gz'), np.zeros((4, 28, 28), np.uint8))
    labels = write_idx(tmp_path / (TRAIN_LABELS + '.gz'), np.zeros(3, np.uint8))
    with raises_data_error('count mismatch', images, '4 images', labels, '3 labels'):
        data.read_split(str(tmp_path), 'train', verify=False)


def test_label_out_of_range(tmp_path, write_idx):
    """A label of 10 or more does not belong to the ten classes."""
    write_idx(tmp_path / (TRAIN_IMAGES + '.gz'), np.zeros((3, 28, 28), np.uint8))
    labels = write_idx(tmp_path / (TRAIN_LABELS + '.gz'), np.array([0, 12, 9], np.uint8))
    with raises_data_error(labels, 'label 12 out of range 0-9'):
        data.read_split(str(tmp_path), 'train', verify=False)


def test_images_of_the_wrong_size(tmp_path, write_idx):
    """idx3 images that are not 28x28 (e.g. MNIST-like 32x32) are refused."""
    images = write_idx(tmp_path / (TRAIN_IMAGES + '.gz'), np.zeros((2, 32, 32), np.uint8))
    write_idx(tmp_path / (TRAIN_LABELS + '.gz'), np.zeros(2, np.uint8))
    with raises_data_error(images, '(32, 32)', 'expected 28x28'):
        data.read_split(str(tmp_path), 'train', verify=False)


def test_labels_that_are_not_1d(tmp_path, write_idx):
    """A labels file holding a 2-D array is refused."""
    write_idx(tmp_path / (TRAIN_IMAGES + '.gz'), np.zeros((2, 28, 28), np.uint8))
    labels = write_idx(tmp_path / (TRAIN_LABELS + '.gz'), np.zeros((2, 2), np.uint8))
    with raises_data_error(labels, 'expected 1-D'):
        data.read_split(str(tmp_path), 'train', verify=False)


def test_missing_labels_file(tmp_path, write_idx):
    """A split with only its images file names the missing one."""
    write_idx(tmp_path / (TRAIN_IMAGES + '.gz'), np.zeros((2, 28, 28), np.uint8))
    with raises_data_error(str(tmp_path), TRAIN_LABELS + '[.gz] is missing'):
        data.read_split(str(tmp_path), 'train', verify=False)


def test_raw_file_is_used_when_no_gz(tmp_path, write_idx):
    """_file_in finds the raw name when there is no .gz, and prefers .gz when both exist."""
    raw = write_idx(tmp_path / TRAIN_LABELS, np.zeros(1, np.uint8), gz=False)
    assert file_in(str(tmp_path), TRAIN_LABELS) == raw
    gz = write_idx(tmp_path / (TRAIN_LABELS + '.gz'), np.zeros(1, np.uint8))
    assert file_in(str(tmp_path), TRAIN_LABELS) == gz
    os.remove(gz)
    assert file_in(str(tmp_path), TRAIN_IMAGES) is None
