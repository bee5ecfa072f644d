"""Where the data is looked for: root=, $D2LSOFTMAX_DATA, the MXNet cache, Debian, download."""
import os

import pytest

import d2lsoftmax
from d2lsoftmax import data
from d2lsoftmax.data import finder, identity, unpacked
from d2lsoftmax.data.places import candidate_dirs
from d2lsoftmax.data import DataError
from d2lsoftmax.data.releases import BOOK, CURRENT

TEST_LABELS = data.FILES['test'][1]


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Empty folders wired in as root, $MXNET_HOME and Debian's ($D2LSOFTMAX_DEBIAN_DIR);
    'env' is a folder for $D2LSOFTMAX_DATA, which tests set themselves."""
    folders = {name: tmp_path / name for name in ('root', 'env', 'mxnet-home', 'debian')}
    monkeypatch.setenv('MXNET_HOME', str(folders['mxnet-home']))
    monkeypatch.setenv(data.DEBIAN_ENV, str(folders['debian']))
    folders['cache'] = folders['mxnet-home'] / 'datasets' / 'fashion-mnist'
    folders['cache-current'] = folders['cache'] / CURRENT
    return folders


@pytest.fixture
def no_download(monkeypatch):
    """Record download attempts instead of making them; returns the list of (folder, release)."""
    calls = []

    def record(directory, release=BOOK, *args, **kw):
        calls.append((directory, release))
        return 'http://nowhere/'
    monkeypatch.setattr(finder, 'download_fashion_mnist', record)
    monkeypatch.setattr(finder, 'survey', _after_download(finder.survey, calls))
    return calls


def _after_download(survey, calls):
    """survey(), except that a folder just 'downloaded into' counts as complete."""
    def fake(directory, release=None):
        if any(str(directory) == d for d, _ in calls):
            return finder.Survey('ok', release or BOOK, {}, None)
        return survey(directory, release)
    return fake


def _use_env(monkeypatch, folder):
    monkeypatch.setenv(data.DATA_ENV, str(folder))


# ------------------------------------------------------------------ the order

def test_search_order_is_root_env_cache_its_current_folder_debian(places, monkeypatch):
    """candidate_dirs lists the five places in the documented order."""
    _use_env(monkeypatch, places['env'])
    found = [folder for _, folder in candidate_dirs(places['root'])]
    assert found == [str(places[k]) for k in ('root', 'env', 'cache', 'cache-current', 'debian')]


def test_root_comes_first(places, fake_data, no_download, monkeypatch):
    """With every place full, the root= argument wins."""
    _use_env(monkeypatch, places['env'])
    for name in ('root', 'env', 'cache', 'debian'):
        fake_data(places[name])
    assert data.find_data_dir(places['root']) == str(places['root'])
    assert no_download == []


def test_env_var_comes_before_the_cache(places, fake_data, no_download, monkeypatch):
    """Without root=, $D2LSOFTMAX_DATA wins over the cache and Debian."""
    _use_env(monkeypatch, places['env'])
    for name in ('env', 'cache', 'debian'):
        fake_data(places[name])
    assert data.find_data_dir() == str(places['env'])


def test_cache_comes_before_debian(places, fake_data, no_download):
    """$MXNET_HOME/datasets/fashion-mnist is searched before the Debian folder."""
    fake_data(places['cache'])
    fake_data(places['debian'])
    assert data.find_data_dir() == str(places['cache'])


def test_the_cache_folder_of_current_downloads_is_searched(places, fake_data, no_download):
    """$MXNET_HOME/datasets/fashion-mnist/2017-08-31 (where that release is downloaded)."""
    fake_data(places['cache-current'])
    assert data.locate().directory == str(places['cache-current'])


def test_default_cache_is_under_home(tmp_path, monkeypatch, fake_data, no_download):
    """Without $MXNET_HOME the cache is ~/.mxnet/datasets/fashion-mnist, as gluon's."""
    monkeypatch.delenv('MXNET_HOME')
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.setenv(data.DEBIAN_ENV, str(tmp_path / 'no-debian'))
    cache = tmp_path / '.mxnet' / 'datasets' / 'fashion-mnist'
    assert data.cache_dir() == str(cache)
    fake_data(cache)
    assert data.find_data_dir() == str(cache)


def test_empty_mxnet_home_is_unset_not_the_current_folder(tmp_path, monkeypatch):
    """MXNET_HOME='' means ~/.mxnet: no 55 MB of copies in whatever folder one runs from."""
    monkeypatch.setenv('MXNET_HOME', '')
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    monkeypatch.chdir(tmp_path)
    assert data.cache_dir() == str(tmp_path / 'home' / '.mxnet' / 'datasets' / 'fashion-mnist')
    assert unpacked.unpacked_path(TEST_LABELS, CURRENT).startswith(str(tmp_path / 'home') + os.sep)


def test_debian_comes_last_of_the_folders(places, fake_data, no_download):
    """With only the Debian folder full, it is used and nothing is downloaded."""
    fake_data(places['debian'])
    assert data.find_data_dir(places['root']) == str(places['debian'])
    assert no_download == []


def test_the_debian_folder_is_overridden_by_its_env_var(tmp_path, monkeypatch):
    """$D2LSOFTMAX_DEBIAN_DIR replaces /usr/share/datasets/fashion-mnist; '' is unset."""
    monkeypatch.setenv(data.DEBIAN_ENV, str(tmp_path / 'elsewhere'))
    assert candidate_dirs()[-1] == ('Debian package dataset-fashion-mnist',
                                         str(tmp_path / 'elsewhere'))
    monkeypatch.setenv(data.DEBIAN_ENV, '')
    assert data.debian_dir() == data.DEBIAN_DIR


def test_incomplete_implicit_folders_are_skipped(places, fake_data, no_download):
    """A cache folder missing one of the four files is passed over for the next one."""
    fake_data(places['cache'])
    os.remove(places['cache'] / (TEST_LABELS + '.gz'))
    fake_data(places['debian'], gz=False)
    assert data.find_data_dir() == str(places['debian'])


def test_a_corrupt_cache_does_not_stop_the_search(places, fake_data, no_download):
    """Files of neither release in the cache (e.g. gluon's, unknown here): Debian is used."""
    fake_data(places['cache'], seed=3)
    fake_data(places['debian'])  # seed 0: its digests replace the cache's in the table
    assert data.locate().directory == str(places['debian'])


def test_root_expands_the_home_tilde(tmp_path, monkeypatch, fake_data, no_download):
    """root='~/x' means the x folder in the home directory."""
    monkeypatch.setenv('HOME', str(tmp_path))
    fake_data(tmp_path / 'fm')
    assert data.find_data_dir('~/fm') == str(tmp_path / 'fm')


def test_empty_env_var_is_ignored(places, monkeypatch):
    """D2LSOFTMAX_DATA='' does not add the current folder to the search."""
    monkeypatch.setenv(data.DATA_ENV, '')
    assert [what for what, _ in candidate_dirs()] == [
        'MXNet cache ($MXNET_HOME/datasets/fashion-mnist)',
        '2017-08-31 downloads in the MXNet cache',
        'Debian package dataset-fashion-mnist']


# ------------------------------------------- folders the user named must work

@pytest.mark.parametrize('case, needles', [
    ('nothing there', ['does not exist']),
    ('a file', ['is a file, not a folder']),
    ('empty', ['none of the four files']),
    ('incomplete', ['incomplete (2017-08-31 release)', TEST_LABELS + '[.gz] missing']),
    ('folder for a file', [TEST_LABELS + '.gz is a folder, not a file']),
    ('corrupt', ['not a readable gzip file']),
])
def test_a_wrong_data_env_var_is_an_error_naming_it(places, fake_data, monkeypatch, case,
                                                   needles):
    """$D2LSOFTMAX_DATA that is not a usable set: a DataError naming it, never another copy."""
    env = places['env']
    fake_data(places['debian'])  # a good copy it must not fall back to
    if case == 'a file':
        env.write_bytes(b'')
    elif case == 'empty':
        env.mkdir()
    elif case != 'nothing there':
        fake_data(env)
        os.remove(env / (TEST_LABELS + '.gz'))
        if case == 'folder for a file':
            (env / (TEST_LABELS + '.gz')).mkdir()
        elif case == 'corrupt':
            (env / (TEST_LABELS + '.gz')).write_bytes(b'\x1f\x8b' + b'\x00' * 20)
    _use_env(monkeypatch, env)
    with pytest.raises(DataError) as info:
        data.locate()
    message = str(info.value)
    assert message.startswith(f'$D2LSOFTMAX_DATA={env}: ')
    assert all(n in message for n in needles), message
    assert 'unset D2LSOFTMAX_DATA' in message and len(message.splitlines()) <= 2


def test_a_root_with_broken_files_is_an_error(places, fake_data):
    """root= holding a mixed or corrupt set is named, not passed over for the Debian copy."""
    fake_data(places['debian'])
    fake_data(places['root'])
    (places['root'] / (TEST_LABELS + '.gz')).write_bytes(b'not gzip, not idx')
    with pytest.raises(DataError, match=f'^root={places["root"]}: .*bad magic number'):
        data.locate(places['root'])


def test_an_unreadable_file_is_one_line(places, fake_data, monkeypatch):
    """A file open() refuses (PermissionError): a one-line DataError naming it, no traceback."""
    fake_data(places['env'])
    _use_env(monkeypatch, places['env'])
    refused = str(places['env'] / (TEST_LABELS + '.gz'))
    real_open = open

    def guarded_open(path, *args, **kwargs):
        if str(path) == refused:
            raise PermissionError(13, 'Permission denied', path)
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(identity, 'open', guarded_open, raising=False)  # shadows the builtin
    with pytest.raises(DataError) as info:
        data.locate()
    assert f'{refused}: cannot be read (Permission denied); fix its permissions' \
        in str(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None


@pytest.mark.skipif(os.name != 'posix' or os.geteuid() == 0,
                    reason='root reads every file whatever its permissions')
def test_an_unreadable_file_for_real(places, fake_data, monkeypatch):
    """chmod 000 on one file of $D2LSOFTMAX_DATA: the same one-line DataError."""
    fake_data(places['env'])
    _use_env(monkeypatch, places['env'])
    os.chmod(places['env'] / (TEST_LABELS + '.gz'), 0)
    with pytest.raises(DataError, match='cannot be read'):
        data.locate()


# ------------------------------------------------------ download, or one error

def test_download_only_when_every_folder_fails(places, no_download):
    """Then the book's release is fetched into the cache (or into root= when given)."""
    assert data.find_data_dir(places['root']) == str(places['root'])
    assert data.find_data_dir() == str(places['cache'])
    assert no_download == [(str(places['root']), BOOK), (str(places['cache']), BOOK)]


def test_a_named_release_is_downloaded_into_its_own_cache_folder(places, no_download):
    """2017-08-31 goes to the cache's 2017-08-31 subfolder: gluon's own folder stays gluon's."""
    location = data.locate(release=CURRENT)
    assert location.directory == str(places['cache-current'])
    assert no_download == [(str(places['cache-current']), CURRENT)]


def test_an_incomplete_root_is_completed_in_its_own_release(places, fake_data, no_download):
    """root= holding three files of one release (an interrupted download) resumes it."""
    fake_data(places['root'], release=BOOK)
    os.remove(places['root'] / (TEST_LABELS + '.gz'))
    assert data.locate(places['root']).release == BOOK
    assert no_download == [(str(places['root']), BOOK)]


def test_found_data_is_loaded(places, fake_data):
    """load_data_fashion_mnist serves the found folder's images as float32 in [0, 1]."""
    written = fake_data(places['debian'], sizes={'train': 6, 'test': 5})
    train_iter, test_iter = d2lsoftmax.load_data_fashion_mnist(4)
    X, y = next(iter(test_iter))
    assert X.shape == (4, 1, 28, 28) and X.dtype.__name__ == 'float32'
    assert (X.asnumpy()[:, 0] * 255 == written['test'][0][:4]).all()
    assert list(y.asnumpy()) == list(written['test'][1][:4])
    assert [len(it) for it in (train_iter, test_iter)] == [2, 2]
    assert train_iter.release == test_iter.release == CURRENT
    location = data.locate(download=False)  # what a load uses, without loading
    assert (location.release, location.directory) == (CURRENT, str(places['debian']))


def _assert_lists_places_and_fixes(message, places, folders=('root', 'cache', 'debian')):
    for folder in folders:
        assert str(places[folder]) in message, folder
    for fix in ('sudo apt-get install dataset-fashion-mnist', 'D2LSOFTMAX_DATA=',
                'root=', 'go online', 'D2LSOFTMAX_RELEASE=2017-08-31'):
        assert fix in message, fix


def test_not_found_says_what_each_place_held(places, fake_data):
    """download=False: one DataError, one line per place: missing, incomplete, mixed, corrupt."""
    fake_data(places['cache'], release=BOOK)  # then made incomplete
    os.remove(places['cache'] / (TEST_LABELS + '.gz'))
    fake_data(places['cache-current'], seed=4)  # corrupt once root's seed-9 digests replace these
    fake_data(places['debian'], release=BOOK)  # then mixed: one file of the other release
    fake_data(places['root'], seed=9)  # root: used only for its test labels' file ...
    os.replace(places['root'] / (TEST_LABELS + '.gz'), places['debian'] / (TEST_LABELS + '.gz'))
    for name in os.listdir(places['root']):  # ... and left empty
        os.remove(places['root'] / name)
    with pytest.raises(DataError, match='^Fashion-MNIST not found') as info:
        data.locate(places['root'], download=False)
    message = str(info.value)
    _assert_lists_places_and_fixes(message, places)
    lines = message.splitlines()

    def line_of(folder):
        return next(line for line in lines if f'- {places[folder]}  (' in line)
    assert line_of('root').endswith('none of the four files')
    assert line_of('cache').endswith(f'incomplete ({BOOK} release): {TEST_LABELS}[.gz] missing')
    assert 'matches neither Fashion-MNIST release' in line_of('cache-current')
    assert 'mixed releases: ' in line_of('debian')
    assert f'{TEST_LABELS}.gz is {CURRENT}, {data.FILES["train"][0]}.gz is {BOOK}' \
        in line_of('debian')


def test_everything_fails_gives_one_error(places):
    """Offline with no data: ONE DataError (no chained traceback) with places, URL and fixes."""
    dead = os.environ['MXNET_GLUON_REPO']  # a closed local port (see conftest)
    with pytest.raises(DataError) as info:
        d2lsoftmax.load_data_fashion_mnist(256, root=places['root'])
    message = str(info.value)
    _assert_lists_places_and_fixes(message, places)
    assert f'the download of the {BOOK} release into {places["root"]} failed' in message
    assert dead + 'gluon/dataset/fashion-mnist/train-labels-idx1-ubyte.gz' in message
    assert 'refused' in message.lower()
    assert info.value.__cause__ is None and info.value.__suppress_context__
