"""The releases are data: a third entry in releases.RELEASES is found, identified, named,
downloaded from its own host into its own folder, and refused when mixed, with no code change."""
import os
import shutil

import numpy as np
import pytest

from d2lsoftmax import data
from d2lsoftmax.data import releases
from d2lsoftmax.data.download import source_url
from d2lsoftmax.data.places import candidate_dirs, download_dir
from d2lsoftmax.data.releases import CURRENT
from d2lsoftmax.data.unpacked import unpacked_path

THIRD = '2030-01-01'
HOST_ENV = 'D2LSOFTMAX_TEST_THIRD_URL'
TRAIN_IMAGES, TRAIN_LABELS = data.FILES['train']


@pytest.fixture
def third(digests, monkeypatch):
    """A third release in the (patched) table, with no files known yet: fake_data(...,
    release=THIRD) enters its files' digests."""
    entry = releases.Release(THIRD, 'a later release', 'nobody yet', choice='later: nobody yet',
                             host='http://127.0.0.1:9/unused/', host_env=HOST_ENV,
                             path='fashion/', folder='later', digests={})
    monkeypatch.setattr(releases, 'RELEASES', {**releases.RELEASES, THIRD: entry})
    digests[THIRD] = entry.digests  # the table fake_data registers into
    return entry


def test_a_third_release_is_located_identified_and_named(tmp_path, fake_data, third,
                                                         monkeypatch):
    """Its files are matched by their digests, loaded as one set, printed by release_line,
    and their decompressed copies go to its own folder."""
    written = fake_data(tmp_path / 'later', release=THIRD)
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / 'later'))
    location = data.locate()
    assert (location.release, location.directory) == (THIRD, str(tmp_path / 'later'))
    assert data.identify(location.paths[TRAIN_LABELS], TRAIN_LABELS) == THIRD
    assert data.release_line(location=location) == (
        f'data: Fashion-MNIST {THIRD} (a later release; nobody yet) from {tmp_path / "later"}')
    images, labels = data.load_arrays('train', release=THIRD)
    assert np.array_equal(images[..., 0], written['train'][0])
    assert np.array_equal(labels, written['train'][1])
    assert os.path.isfile(unpacked_path(TRAIN_IMAGES, THIRD))
    assert data.chosen_release(THIRD) == THIRD


def test_a_third_release_has_its_own_host_and_cache_folder(tmp_path, third, monkeypatch):
    """Its downloads come from its host (its variable overrides it) into its sub-folder of
    the MXNet cache, which is searched; a failed download names both."""
    assert download_dir(THIRD) == os.path.join(data.cache_dir(), 'later')
    assert (f'{THIRD} downloads in the MXNet cache', download_dir(THIRD)) in candidate_dirs()
    monkeypatch.delenv(HOST_ENV, raising=False)
    assert source_url(THIRD) == 'http://127.0.0.1:9/unused/fashion/'
    monkeypatch.setenv(HOST_ENV, os.environ['MXNET_GLUON_REPO'])  # a closed port (conftest)
    monkeypatch.setenv(data.DEBIAN_ENV, str(tmp_path / 'no-debian'))
    with pytest.raises(data.DataError) as info:
        data.locate(release=THIRD, timeout=5)
    message = str(info.value)
    assert f'Then the download of the {THIRD} release into {download_dir(THIRD)} failed: ' \
        f'{os.environ["MXNET_GLUON_REPO"]}fashion/{TRAIN_LABELS}.gz: ' in message


def test_a_third_release_is_refused_when_mixed_or_not_the_one_asked_for(
        tmp_path, fake_data, third, monkeypatch):
    """A folder mixing its files with another release's, or holding it when another release
    is asked for, is refused with a message naming the releases; an unknown name lists it
    among the choices."""
    fake_data(tmp_path / 'later', release=THIRD)
    fake_data(tmp_path / 'current', seed=7, release=CURRENT)
    shutil.copy(tmp_path / 'current' / (TRAIN_LABELS + '.gz'), tmp_path / 'later')
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / 'later'))
    with pytest.raises(data.DataError, match=f'mixed releases: {TRAIN_LABELS}.gz is {CURRENT}, '
                       f'.* is {THIRD}'):
        data.locate()
    fake_data(tmp_path / 'later', release=THIRD)  # whole again
    with pytest.raises(data.DataError, match=f'holds the {THIRD} release, not the {CURRENT} '
                       f'asked for.\nTo fix it, set D2LSOFTMAX_RELEASE or release= to {THIRD}'):
        data.locate(release=CURRENT)
    with pytest.raises(data.DataError,
                       match=f"release '2099' .* or {THIRD} \\(later: nobody yet\\)$"):
        data.chosen_release('2099')
