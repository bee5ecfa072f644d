"""The two releases of Fashion-MNIST: each one verified, never mixed, named by every load."""
import copy
import gzip
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import REAL_DATA_DIR, REPO, SHARED, _write_idx, register

import d2lsoftmax
from d2lsoftmax.reference import book_figures
from d2lsoftmax import data
from d2lsoftmax.data import idx, places, releases
from d2lsoftmax.data import DataError
from d2lsoftmax.data.releases import BOOK, CURRENT

TRAIN_IMAGES, TRAIN_LABELS = data.FILES['train']
TEST_IMAGES, TEST_LABELS = data.FILES['test']
# What each release's real label files start with (the book's 3.5 prints label 2; its 3.6
# prediction figure starts t-shirt, trouser, pullover, pullover, dress).
FIRST_LABELS = {BOOK: {'train': [2], 'test': [0, 1, 2, 2, 3, 2, 8, 6, 5, 0]},
                CURRENT: {'train': [9], 'test': [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]}}
BY = {BOOK: ('gz_sha1',), CURRENT: ('sha256',)}  # how each release knows its image files
# The digests the package ships, read before any test patches the table (conftest.digests).
SHIPPED = {name: copy.deepcopy(r.digests) for name, r in releases.RELEASES.items()}


def _images_for(labels):
    """Fake (n, 28, 28) images of the labels' count, each filled with 25 x its label."""
    return np.repeat((labels.astype(np.uint8) * 25), 28 * 28).reshape(-1, 28, 28)


def _set_with_real_labels(folder, labels_dir, release, digests, splits=('train', 'test')):
    """Copy the real label .gz files of `release` into `folder`, beside fake image files
    entered in the digest table the way that release knows its images."""
    os.makedirs(folder, exist_ok=True)
    for split in splits:
        images_base, labels_base = data.FILES[split]
        labels_path = shutil.copy(os.path.join(labels_dir, labels_base + '.gz'), folder)
        labels = data.read_idx(labels_path)
        path = _write_idx(os.path.join(folder, images_base + '.gz'), _images_for(labels))
        register(digests, release, images_base, path, BY[release])


@pytest.fixture
def current_labels():
    """The folder of the real 2017-08-31 files (Debian's), for their two label files."""
    if REAL_DATA_DIR is None:
        pytest.skip('the 2017-08-31 files are not here: install dataset-fashion-mnist')
    if data.identify(idx.file_in(REAL_DATA_DIR, TEST_LABELS), TEST_LABELS) != CURRENT:
        pytest.skip(f'{REAL_DATA_DIR} holds another release than {CURRENT}')
    return REAL_DATA_DIR


# ---------------------------------------------------- verification, per release

@pytest.mark.slow
def test_the_books_release_is_recognised_by_gluons_sha1(tmp_path, book_labels, digests,
                                                        monkeypatch):
    """The real 2017-08-26 label files (gluon's .gz, byte for byte) need no gunzip to be
    known, and a set of them loads as the book's release, its labels the book's."""
    _set_with_real_labels(tmp_path / 'book', book_labels, BOOK, digests)
    for base in (TRAIN_LABELS, TEST_LABELS):
        assert digests[BOOK][base]['gz_sha1'] == SHIPPED[BOOK][base]['gz_sha1']
    real_gunzip = idx._gunzip
    monkeypatch.setattr(idx, '_gunzip', None)  # any gunzip would fail
    assert data.identify(str(tmp_path / 'book' / (TEST_LABELS + '.gz')), TEST_LABELS) == BOOK
    monkeypatch.setattr(idx, '_gunzip', real_gunzip)
    location = data.locate(tmp_path / 'book')
    assert (location.release, location.place) == (BOOK, places.ROOT_PLACE)
    for split, first in FIRST_LABELS[BOOK].items():
        images, labels = data.load_arrays(split, root=tmp_path / 'book')
        assert list(labels[:len(first)]) == first and len(labels) == data.NUM_EXAMPLES[split]
        assert (images[:, 0, 0, 0] == labels * 25).all()  # images and labels stay paired


@pytest.mark.parametrize('form', ['raw', 'recompressed'])
def test_the_books_labels_are_recognised_by_content_sha256(tmp_path, book_labels, form):
    """Decompressed, or gzipped anew (so gluon's sha1 no longer matches): the content's
    SHA-256 still names the release."""
    for base in (TRAIN_LABELS, TEST_LABELS):
        with gzip.open(os.path.join(book_labels, base + '.gz')) as f:
            content = f.read()
        path = tmp_path / (base + ('.gz' if form == 'recompressed' else ''))
        path.write_bytes(gzip.compress(content, compresslevel=1) if form == 'recompressed'
                         else content)
        assert data.identify(str(path), base) == BOOK


@pytest.mark.slow
def test_the_current_release_on_debians_labels(tmp_path, current_labels, digests):
    """Debian's label files (recompressed: no gluon sha1) verify by content SHA-256."""
    _set_with_real_labels(tmp_path / 'current', current_labels, CURRENT, digests)
    train_iter, test_iter = d2lsoftmax.load_data_fashion_mnist(1000, root=tmp_path / 'current')
    assert train_iter.release == test_iter.release == CURRENT
    assert list(test_iter.labels[:10]) == FIRST_LABELS[CURRENT]['test']
    assert list(train_iter.labels[:1]) == FIRST_LABELS[CURRENT]['train']


def test_a_file_of_neither_release_says_which_were_tried(tmp_path, write_idx):
    """A well-formed labels file that neither release knows: named, with both releases."""
    path = write_idx(tmp_path / (TEST_LABELS + '.gz'), np.arange(10000, dtype=np.uint8) % 10)
    with pytest.raises(DataError) as info:
        data.identify(path, TEST_LABELS)
    message = str(info.value)
    assert message.startswith(f'{path}: matches neither Fashion-MNIST release')
    assert f"{BOOK} by gluon's gzip SHA-1 or content SHA-256" in message
    assert f'{CURRENT} by content SHA-256' in message


def test_the_second_release_labels_most_positions_otherwise(book_labels, current_labels):
    """2017-08-31 reshuffled everything: its labels differ from 2017-08-26's at 54,046 of
    60,000 training and 8,962 of 10,000 test positions."""
    for base, n, differ in ((TRAIN_LABELS, 60000, 54046), (TEST_LABELS, 10000, 8962)):
        book = data.read_idx(os.path.join(book_labels, base + '.gz'))
        current = data.read_idx(idx.file_in(current_labels, base))
        assert len(book) == len(current) == n
        assert int((book != current).sum()) == differ


def test_the_two_releases_share_no_digest():
    """No file of one release could pass as the other's."""
    values = {r: {v for table in SHIPPED[r].values() for v in table.values()} for r in SHIPPED}
    assert not values[BOOK] & values[CURRENT]
    assert set(SHIPPED[BOOK]) == set(SHIPPED[CURRENT]) == {
        base for pair in data.FILES.values() for base in pair}


# ------------------------------------------------------- one release per load

def test_a_mixed_set_is_refused(tmp_path, fake_data):
    """Train from one release, test from the other, in one folder: refused, never loaded."""
    fake_data(tmp_path / 'book', release=BOOK, by=('gz_sha1',))
    fake_data(tmp_path / 'mixed', seed=3)
    for base in data.FILES['train']:
        shutil.copy(tmp_path / 'book' / (base + '.gz'), tmp_path / 'mixed')
    with pytest.raises(DataError, match=f'^root={tmp_path / "mixed"}: mixed releases: '):
        d2lsoftmax.load_data_fashion_mnist(8, root=tmp_path / 'mixed')


def test_images_and_labels_of_different_releases_are_refused(tmp_path, fake_data):
    """Within one split too: read_split says which file is which release."""
    fake_data(tmp_path / 'book', release=BOOK, by=('gz_sha1',))
    fake_data(tmp_path / 'mixed', seed=3)
    shutil.copy(tmp_path / 'book' / (TRAIN_LABELS + '.gz'), tmp_path / 'mixed')
    with pytest.raises(DataError, match=f'{TRAIN_IMAGES}.gz is {CURRENT}, {TRAIN_LABELS}.gz is '
                                        f'{BOOK}; one load takes every file from one release'):
        data.read_split(str(tmp_path / 'mixed'), 'train')


@pytest.mark.slow
def test_the_gluon_cache_is_used_as_is(tmp_path, book_labels, digests, fake_data, monkeypatch):
    """$MXNET_HOME/datasets/fashion-mnist as d2lzh left it (gluon's four .gz files) is the
    book's release: used before Debian's, and left as it was (copies go to unpacked/)."""
    cache = data.cache_dir()
    _set_with_real_labels(cache, book_labels, BOOK, digests)
    fake_data(tmp_path / 'debian')  # a current-release Debian folder after it
    monkeypatch.setenv(data.DEBIAN_ENV, str(tmp_path / 'debian'))
    before = {n: os.path.getmtime(os.path.join(cache, n)) for n in os.listdir(cache)}
    train_iter, _ = d2lsoftmax.load_data_fashion_mnist(256)
    assert train_iter.release == BOOK and data.locate().directory == cache
    assert {n: os.path.getmtime(os.path.join(cache, n)) for n in os.listdir(cache)
            if n != 'unpacked'} == before
    assert data.locate(release=CURRENT).directory == str(tmp_path / 'debian')


def test_a_named_release_skips_sets_of_the_other(tmp_path, fake_data, monkeypatch):
    """release= and $D2LSOFTMAX_RELEASE pass over a complete set of the other release."""
    fake_data(data.cache_dir(), release=BOOK, by=('gz_sha1',))
    fake_data(tmp_path / 'debian', seed=2)
    monkeypatch.setenv(data.DEBIAN_ENV, str(tmp_path / 'debian'))
    assert data.locate().release == BOOK
    assert data.locate(release=CURRENT).directory == str(tmp_path / 'debian')
    monkeypatch.setenv(data.RELEASE_ENV, CURRENT)
    assert data.load_data_fashion_mnist(4)[0].release == CURRENT
    assert data.locate(release=BOOK).directory == data.cache_dir()  # the argument wins


def test_an_unknown_release_name_is_refused(monkeypatch):
    """A typo in release= or $D2LSOFTMAX_RELEASE: one DataError naming it and the choices."""
    with pytest.raises(DataError, match=r"unknown Fashion-MNIST release '2017' \(from release="):
        data.locate(release='2017')
    monkeypatch.setenv(data.RELEASE_ENV, 'book')
    with pytest.raises(DataError, match=f"'book' \\(from \\$D2LSOFTMAX_RELEASE\\); choose {BOOK}"):
        data.locate()


def test_the_release_line(tmp_path, fake_data):
    """release_line names the release, who serves it, and the folder."""
    fake_data(tmp_path / 'a')
    assert data.release_line(tmp_path / 'a') == (
        f'data: Fashion-MNIST 2017-08-31 (current release; Debian, torchvision, TFDS) '
        f'from {tmp_path / "a"}')
    fake_data(tmp_path / 'b', release=BOOK, by=('gz_sha1',))
    location = data.locate(tmp_path / 'b')
    assert data.release_line(location=location) == (
        "data: Fashion-MNIST 2017-08-26 (the book's release; MXNet's gluon mirror, d2lzh) "
        f'from {tmp_path / "b"}')


@pytest.mark.slow
def test_the_light_modules_import_neither_mxnet_nor_matplotlib():
    """releases and book_figures are plain data; the data package and every module of it
    load without MXNet (a batch imports it when made) and never load matplotlib."""
    code = ('import sys; import d2lsoftmax.data.releases, d2lsoftmax.reference.book_figures; '
            "assert 'mxnet' not in sys.modules, 'mxnet'; import d2lsoftmax.data; "
            'import d2lsoftmax.data.batches, d2lsoftmax.data.download; '
            "assert 'mxnet' not in sys.modules, 'mxnet by the data package'; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib'")
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------- the shipped figures

BOOK_LOGS = os.path.join(SHARED, 'reference', 'book_logs.md')
_EPOCH = re.compile(r'^epoch (\d+), loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)$')


def _book_logs_text():
    if not os.path.isfile(BOOK_LOGS):
        pytest.skip(f'{BOOK_LOGS} is not here: ../shared exists only beside this '
                    "repository's CI")
    with open(BOOK_LOGS, encoding='utf-8') as f:
        return f.read()


def _epoch_logs(text):
    """{heading: [(epoch, loss, train acc, test acc)]} of every '### ' section of Source A."""
    logs, heading = {}, None
    for line in text.splitlines():
        if line.startswith('### '):
            heading = line[4:]
        elif _EPOCH.match(line) and heading:
            e, *values = _EPOCH.match(line).groups()
            logs.setdefault(heading, []).append((int(e), *map(float, values)))
    return logs


def test_the_shipped_epoch_logs_equal_book_logs_md():
    """Every Source A log in book_logs.md, both 3.13 ones included, is shipped unchanged."""
    logs = _epoch_logs(_book_logs_text())
    key = {'3.13 dropout from scratch': '3.13', '3.13 dropout with Gluon': '3.13-concise'}
    shipped = {}
    for heading, lines in logs.items():
        section = next((k for h, k in key.items() if heading.startswith(h)), heading.split()[0])
        shipped[section] = lines
    assert set(shipped) == set(book_figures.EPOCH_LOGS) == {
        '3.6', '3.7', '3.9', '3.10', '3.13', '3.13-concise'}
    for section, lines in shipped.items():
        assert list(book_figures.EPOCH_LOGS[section]) == lines, section


def test_the_shipped_reruns_equal_book_logs_md():
    """The re-run table's cells, by chapter and source; '—' cells are absent."""
    rows = [[c.strip() for c in line.strip().strip('|').split('|')]
            for line in _book_logs_text().splitlines() if line.startswith('| ')]
    header, body = rows[0], [r for r in rows[1:] if r[0][:1].isdigit()]
    table = {}
    for cells in body:
        for source, cell in zip(header[1:], cells[1:]):
            if cell != '—':
                table.setdefault(cells[0].split()[0], {})[source] = tuple(
                    float(v) for v in cell.split(' / '))
    assert table == book_figures.RERUNS


def test_every_shipped_figure_names_its_source_and_release():
    """The book's figures ran on 2017-08-26; the measured spread of 3.6 on 2017-08-31 is the
    one book_logs.md quotes (0.8267 +- 0.0015 over 10 seeds)."""
    for section in book_figures.EPOCH_LOGS:
        for figure in book_figures.figures(section):
            assert figure.release == BOOK and figure.source in book_figures.SOURCES
    assert [f.source for f in book_figures.at_epoch('3.6', 5)] == [
        'Source A', 're-run 1 (d2l-zh 1.2 copy)', 're-run 2 (gluonbook copy)']
    spread = book_figures.measured('3.6', CURRENT)
    assert spread.seeds == 10  # the book_logs.md figure, measured again: the same to 4 digits
    assert [round(v, 4) for v in spread.loss + spread.test_acc] == [0.4854, 0.0007, 0.8267, 0.0015]
    assert '(3.6: 0.8267 +- 0.0015 over 10 seeds)' in _book_logs_text().replace('\n', ' ')


def test_a_verbose_chapter_run_prints_the_release_before_its_epoch_lines(tmp_path, fake_data,
                                                                          capsys):
    """runs.train_chapter(verbose=True), what the chapters and `run` use: one release line,
    then the book's epoch lines; quiet runs (golden logs, seeds, folds) print none."""
    from d2lsoftmax.experiments import runs
    fake_data(tmp_path / 'fake', sizes={'train': 20, 'test': 10})
    loader = lambda b: d2lsoftmax.load_data_fashion_mnist(b, root=tmp_path / 'fake')  # noqa
    runs.train_chapter('3.6', loader=loader, verbose=True, num_epochs=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == data.release_line(tmp_path / 'fake')
    assert [line[:8] for line in lines[1:]] == ['epoch 1,', 'epoch 2,']
    runs.train_chapter('3.6', loader=loader, num_epochs=1)
    assert capsys.readouterr().out == ''
