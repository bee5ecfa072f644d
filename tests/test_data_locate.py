"""Where the data is looked for: root=, $D2LSOFTMAX_DATA, the MXNet cache, Debian, download."""
import os

import pytest

import d2lsoftmax
from d2lsoftmax import data
from d2lsoftmax.data import DataError


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Four empty folders wired in as root, $D2LSOFTMAX_DATA, $MXNET_HOME and Debian's."""
    folders = {name: tmp_path / name for name in ('root', 'env', 'mxnet-home', 'debian')}
    monkeypatch.setenv('D2LSOFTMAX_DATA', str(folders['env']))
    monkeypatch.setenv('MXNET_HOME', str(folders['mxnet-home']))
    monkeypatch.setattr(data, 'DEBIAN_DIR', str(folders['debian']))
    folders['cache'] = folders['mxnet-home'] / 'datasets' / 'fashion-mnist'
    return folders


@pytest.fixture
def no_download(monkeypatch):
    """Record download attempts instead of making them; returns the list of targets."""
    calls = []
    monkeypatch.setattr(data, 'download_fashion_mnist',
                        lambda directory, **kw: calls.append(directory))
    return calls


def test_search_order_is_root_env_cache_debian(places):
    """candidate_dirs lists the four places in the documented order."""
    found = [folder for _, folder in data.candidate_dirs(places['root'])]
    assert found == [str(places[k]) for k in ('root', 'env', 'cache', 'debian')]


def test_root_comes_first(places, fake_data, no_download):
    """With every place full, the root= argument wins."""
    for name in ('root', 'env', 'cache', 'debian'):
        fake_data(places[name])
    assert data.find_data_dir(places['root']) == str(places['root'])
    assert no_download == []


def test_env_var_comes_before_the_cache(places, fake_data, no_download):
    """Without root=, $D2LSOFTMAX_DATA wins over the cache and Debian."""
    for name in ('env', 'cache', 'debian'):
        fake_data(places[name])
    assert data.find_data_dir() == str(places['env'])


def test_cache_comes_before_debian(places, fake_data, no_download):
    """$MXNET_HOME/datasets/fashion-mnist is searched before the Debian folder."""
    fake_data(places['cache'])
    fake_data(places['debian'])
    assert data.find_data_dir() == str(places['cache'])


def test_default_cache_is_under_home(tmp_path, monkeypatch, fake_data, no_download):
    """Without $MXNET_HOME the cache is ~/.mxnet/datasets/fashion-mnist, as gluon's."""
    monkeypatch.delenv('MXNET_HOME')
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.setattr(data, 'DEBIAN_DIR', str(tmp_path / 'no-debian'))
    cache = tmp_path / '.mxnet' / 'datasets' / 'fashion-mnist'
    assert data.cache_dir() == str(cache)
    fake_data(cache)
    assert data.find_data_dir() == str(cache)


def test_debian_comes_last_of_the_folders(places, fake_data, no_download):
    """With only the Debian folder full, it is used and nothing is downloaded."""
    fake_data(places['debian'])
    assert data.find_data_dir(places['root']) == str(places['debian'])
    assert no_download == []


def test_incomplete_folders_are_skipped(places, fake_data, no_download):
    """A folder missing one of the four files is passed over for the next one."""
    fake_data(places['env'])
    os.remove(places['env'] / (data.FILES['test'][1] + '.gz'))
    fake_data(places['debian'], gz=False)
    assert data.find_data_dir() == str(places['debian'])


def test_root_expands_the_home_tilde(tmp_path, monkeypatch, fake_data, no_download):
    """root='~/x' means the x folder in the home directory."""
    monkeypatch.setenv('HOME', str(tmp_path))
    fake_data(tmp_path / 'fm')
    assert data.find_data_dir('~/fm') == str(tmp_path / 'fm')


def test_empty_env_var_is_ignored(places, monkeypatch):
    """D2LSOFTMAX_DATA='' does not add the current folder to the search."""
    monkeypatch.setenv('D2LSOFTMAX_DATA', '')
    assert [what for what, _ in data.candidate_dirs()] == [
        'MXNet cache ($MXNET_HOME/datasets/fashion-mnist)',
        'Debian package dataset-fashion-mnist']


def test_download_only_when_every_folder_fails(places, no_download):
    """Then the files are fetched into the cache (or into root= when given)."""
    assert data.find_data_dir() == str(places['cache'])
    assert data.find_data_dir(places['root']) == str(places['root'])
    assert no_download == [str(places['cache']), str(places['root'])]


def test_found_data_is_loaded(places, fake_data):
    """load_data_fashion_mnist serves the found folder's images as float32 in [0, 1]."""
    written = fake_data(places['debian'], sizes={'train': 6, 'test': 5})
    train_iter, test_iter = d2lsoftmax.load_data_fashion_mnist(4)
    X, y = next(iter(test_iter))
    assert X.shape == (4, 1, 28, 28) and X.dtype.__name__ == 'float32'
    assert (X.asnumpy()[:, 0] * 255 == written['test'][0][:4]).all()
    assert list(y.asnumpy()) == list(written['test'][1][:4])
    assert [len(it) for it in (train_iter, test_iter)] == [2, 2]


def _assert_lists_places_and_fixes(message, places):
    for folder in ('root', 'env', 'cache', 'debian'):
        assert str(places[folder]) in message, folder
    for fix in ('sudo apt-get install dataset-fashion-mnist', 'D2LSOFTMAX_DATA=',
                'root=', 'go online'):
        assert fix in message, fix


def test_not_found_without_download(places):
    """download=False: one DataError listing every folder searched and the fixes."""
    with pytest.raises(DataError, match='Fashion-MNIST not found') as info:
        data.find_data_dir(places['root'], download=False)
    _assert_lists_places_and_fixes(str(info.value), places)


def test_everything_fails_gives_one_error(places, monkeypatch):
    """Offline with no data: ONE DataError (no chained traceback) with places, URL and fixes."""
    dead = os.environ['MXNET_GLUON_REPO']  # a closed local port (see conftest)
    with pytest.raises(DataError) as info:
        d2lsoftmax.load_data_fashion_mnist(256, root=places['root'])
    message = str(info.value)
    _assert_lists_places_and_fixes(message, places)
    assert f'the download into {places["root"]} failed' in message
    assert dead + 'gluon/dataset/fashion-mnist/train-images-idx3-ubyte.gz' in message
    assert 'refused' in message.lower()
    assert info.value.__cause__ is None and info.value.__suppress_context__
