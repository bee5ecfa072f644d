"""Decompressed copies: a verified .gz is gunzipped once, later reads use the copy, per release."""
import json
import os

import numpy as np

from d2lsoftmax import data
from d2lsoftmax.data import idx
from d2lsoftmax.data.unpacked import unpacked_path
from d2lsoftmax.data.releases import BOOK, CURRENT

TRAIN_IMAGES, TRAIN_LABELS = data.FILES['train']


def _no_gunzip(monkeypatch):
    """Forget what this process verified and make any further gunzip fail loudly, so a
    read that succeeds used the copies."""
    data.clear_caches()

    def fail(raw, *args):
        raise AssertionError('gunzipped again')
    monkeypatch.setattr(idx, '_gunzip', fail)


def _flip_last_byte(path):
    with open(path, 'r+b') as f:  # the header still parses
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 0xFF]))


def _read_again_after_damaging_the_copy(folder, release):
    """Read the training split (which leaves the images' copy), damage that copy, read
    again: (the images read the second time, the copy's path)."""
    data.read_split(str(folder), 'train')
    copy = unpacked_path(TRAIN_IMAGES, release)
    _flip_last_byte(copy)
    data.clear_caches()
    X, _ = data.read_split(str(folder), 'train')
    return X, copy


def test_first_read_leaves_copies_that_the_next_read_uses(tmp_path, fake_data, monkeypatch):
    """The copies hold the decompressed idx bytes, and a second read needs no gunzip."""
    written = fake_data(tmp_path / 'gz')
    data.read_split(str(tmp_path / 'gz'), 'train')
    for base, array in zip(data.FILES['train'], written['train']):
        with open(unpacked_path(base, CURRENT), 'rb') as f:
            np.testing.assert_array_equal(data.parse_idx(f.read()), array)  # raw idx bytes
    assert unpacked_path(TRAIN_IMAGES, CURRENT).startswith(
        os.path.join(data.cache_dir(), 'unpacked', CURRENT) + os.sep)
    _no_gunzip(monkeypatch)
    X, y = data.read_split(str(tmp_path / 'gz'), 'train')
    np.testing.assert_array_equal(X[..., 0], written['train'][0])
    np.testing.assert_array_equal(y, written['train'][1])


def test_a_damaged_copy_is_ignored_and_rewritten(tmp_path, fake_data):
    """A copy that fails its SHA-256 is not used: the .gz is read and the copy replaced."""
    written = fake_data(tmp_path / 'gz')
    X, copy = _read_again_after_damaging_the_copy(tmp_path / 'gz', CURRENT)
    np.testing.assert_array_equal(X[..., 0], written['train'][0])
    with open(copy, 'rb') as f:
        data.parse_idx(f.read(), copy, json.load(open(copy + '.json'))['sha256'])  # repaired


def test_unverified_and_raw_reads_leave_no_copies(tmp_path, fake_data):
    """Only content checked against a known digest is copied, and raw files need no copy."""
    fake_data(tmp_path / 'gz')
    data.read_split(str(tmp_path / 'gz'), 'train', verify=False)
    fake_data(tmp_path / 'raw', gz=False)
    data.read_split(str(tmp_path / 'raw'), 'test')
    assert not os.path.exists(os.path.join(data.cache_dir(), 'unpacked'))


def test_an_unwritable_cache_only_costs_speed(tmp_path, fake_data):
    """When the copies cannot be written the read still succeeds, leaving no temp files."""
    written = fake_data(tmp_path / 'gz')
    os.makedirs(data.cache_dir())
    with open(os.path.join(data.cache_dir(), 'unpacked'), 'w'):
        pass  # a file where the folder of copies should go: makedirs fails
    X, y = data.read_split(str(tmp_path / 'gz'), 'train')
    np.testing.assert_array_equal(y, written['train'][1])
    assert os.listdir(data.cache_dir()) == ['unpacked']


def test_copies_are_shared_by_every_folder_of_the_same_files(tmp_path, fake_data, monkeypatch):
    """Copies are keyed by the .gz's SHA-1, not its folder: a second folder of the same .gz
    files (e.g. root= and the Debian package) reads the copies too."""
    fake_data(tmp_path / 'a')
    data.read_split(str(tmp_path / 'a'), 'test')
    fake_data(tmp_path / 'b')  # same seed: the same bytes
    _no_gunzip(monkeypatch)
    X, _ = data.read_split(str(tmp_path / 'b'), 'test')
    assert X.shape == (5, 28, 28, 1)


def test_a_copy_serves_only_the_gz_it_was_made_from(tmp_path, fake_data):
    """Another .gz of the same name (other content, same release) never reads the copy."""
    fake_data(tmp_path / 'a', seed=0)
    data.read_split(str(tmp_path / 'a'), 'test')
    written = fake_data(tmp_path / 'b', seed=5)  # its digests replace a's in the table
    X, y = data.read_split(str(tmp_path / 'b'), 'test')
    np.testing.assert_array_equal(X[..., 0], written['test'][0])
    np.testing.assert_array_equal(y, written['test'][1])


def test_copies_of_the_two_releases_never_mix(tmp_path, fake_data, monkeypatch):
    """The same file names in the two releases: each release keeps its own copies, and each
    folder reads back its own content, from the copies, with no gunzip."""
    current = fake_data(tmp_path / 'current', seed=0)
    book = fake_data(tmp_path / 'book', seed=7, release=BOOK, by=('gz_sha1',))
    for folder in ('current', 'book'):
        data.read_split(str(tmp_path / folder), 'train')
    copies = {r: unpacked_path(TRAIN_IMAGES, r) for r in (BOOK, CURRENT)}
    assert all(os.path.isfile(c) for c in copies.values())
    record = json.load(open(copies[BOOK] + '.json'))
    assert record['release'] == BOOK and len(record['sources']) == 1
    _no_gunzip(monkeypatch)
    for folder, written, release in (('book', book, BOOK), ('current', current, CURRENT)):
        X, y = data.read_split(str(tmp_path / folder), 'train', release=release)
        np.testing.assert_array_equal(X[..., 0], written['train'][0])
        np.testing.assert_array_equal(y, written['train'][1])


def test_the_book_release_images_copy_is_checked_against_its_recorded_digest(
        tmp_path, fake_data):
    """2017-08-26 images have only gluon's .gz SHA-1: the copy is checked against the SHA-256
    recorded when it was made, and a damaged one is rewritten from the .gz."""
    written = fake_data(tmp_path / 'book', release=BOOK, by=('gz_sha1',))
    X, copy = _read_again_after_damaging_the_copy(tmp_path / 'book', BOOK)
    np.testing.assert_array_equal(X[..., 0], written['train'][0])
    with open(copy, 'rb') as f:
        np.testing.assert_array_equal(data.parse_idx(f.read())[:], written['train'][0])
