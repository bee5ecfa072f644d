"""Decompressed copies: a verified .gz is gunzipped once, later reads use the copy."""
import os

import numpy as np

from d2lsoftmax import data

TRAIN_IMAGES, TRAIN_LABELS = data.FILES['train']


def _no_gunzip(monkeypatch):
    """Make any further gunzip fail loudly, so a read that succeeds used the copies."""
    def fail(path, *args):
        raise AssertionError(f'gunzipped {path} again')
    monkeypatch.setattr(data, '_gunzip', fail)


def test_first_read_leaves_copies_that_the_next_read_uses(tmp_path, fake_data, monkeypatch):
    """The copies hold the decompressed idx bytes, and a second read needs no gunzip."""
    written = fake_data(tmp_path / 'gz')
    data.read_split(str(tmp_path / 'gz'), 'train')
    for base, array in zip(data.FILES['train'], written['train']):
        with open(data.unpacked_path(base), 'rb') as f:
            np.testing.assert_array_equal(data.parse_idx(f.read()), array)  # raw idx bytes
    assert data.unpacked_path(TRAIN_IMAGES).startswith(data.cache_dir() + os.sep)
    _no_gunzip(monkeypatch)
    X, y = data.read_split(str(tmp_path / 'gz'), 'train')
    np.testing.assert_array_equal(X[..., 0], written['train'][0])
    np.testing.assert_array_equal(y, written['train'][1])


def test_a_damaged_copy_is_ignored_and_rewritten(tmp_path, fake_data):
    """A copy that fails its SHA-256 is not used: the .gz is read and the copy replaced."""
    written = fake_data(tmp_path / 'gz')
    data.read_split(str(tmp_path / 'gz'), 'train')
    copy = data.unpacked_path(TRAIN_IMAGES)
    with open(copy, 'r+b') as f:  # flip one pixel: the header still parses
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 0xFF]))
    X, _ = data.read_split(str(tmp_path / 'gz'), 'train')
    np.testing.assert_array_equal(X[..., 0], written['train'][0])
    with open(copy, 'rb') as f:
        data.parse_idx(f.read(), copy, data.SHA256[TRAIN_IMAGES])  # raises if still damaged


def test_unverified_and_raw_reads_leave_no_copies(tmp_path, fake_data):
    """Only content checked against the known digest is copied, and raw files need no copy."""
    fake_data(tmp_path / 'gz')
    data.read_split(str(tmp_path / 'gz'), 'train', verify=False)
    fake_data(tmp_path / 'raw', gz=False)
    data.read_split(str(tmp_path / 'raw'), 'test')
    assert not os.path.exists(os.path.dirname(data.unpacked_path(TRAIN_IMAGES)))


def test_an_unwritable_cache_only_costs_speed(tmp_path, fake_data):
    """When the copies cannot be written the read still succeeds, leaving no temp files."""
    written = fake_data(tmp_path / 'gz')
    os.makedirs(data.cache_dir())
    with open(os.path.dirname(data.unpacked_path(TRAIN_IMAGES)), 'w'):
        pass  # a file where the folder of copies should go: makedirs fails
    X, y = data.read_split(str(tmp_path / 'gz'), 'train')
    np.testing.assert_array_equal(y, written['train'][1])
    assert os.listdir(data.cache_dir()) == ['unpacked']


def test_copies_are_shared_by_every_folder_of_the_same_files(tmp_path, fake_data, monkeypatch):
    """Copies are keyed by the file's known digest, not its folder: a second folder of the
    same .gz files (e.g. root= and the Debian package) reads the copies too."""
    fake_data(tmp_path / 'a')
    data.read_split(str(tmp_path / 'a'), 'test')
    fake_data(tmp_path / 'b')  # same seed: the same content and digests
    _no_gunzip(monkeypatch)
    X, _ = data.read_split(str(tmp_path / 'b'), 'test')
    assert X.shape == (5, 28, 28, 1)
