"""Where Fashion-MNIST is looked for and kept, and which release a load asks for.

The folders, in the order they are searched, and the environment variables that
steer a load (besides $MXNET_HOME and each release's download host, see releases).
"""
import os

import d2lsoftmax.data.releases as releases  # the module, not the package (no cycle)
from d2lsoftmax.data.idx import DataError

DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
DATA_ENV = 'D2LSOFTMAX_DATA'  # a folder holding the four files: searched after root=
RELEASE_ENV = 'D2LSOFTMAX_RELEASE'  # a release's name, e.g. '2017-08-31': load only that release
DEBIAN_ENV = 'D2LSOFTMAX_DEBIAN_DIR'  # where the Debian package's files are looked for
ROOT_PLACE, DATA_PLACE = 'root= argument', '$' + DATA_ENV


def cache_dir():
    """Where the book's loader caches Fashion-MNIST: $MXNET_HOME/datasets/fashion-mnist.

    An empty $MXNET_HOME counts as unset (~/.mxnet), never as the current folder.
    """
    mxnet_home = os.environ.get('MXNET_HOME') or os.path.join('~', '.mxnet')
    return os.path.join(os.path.abspath(os.path.expanduser(mxnet_home)), 'datasets',
                        'fashion-mnist')


def download_dir(release):
    """Where a download of `release` goes without root=: its folder of the MXNet cache (the
    book's: gluon's own folder, shared with d2lzh; the current one: a subfolder gluon ignores)."""
    folder = releases.RELEASES[release].folder
    return os.path.join(cache_dir(), folder) if folder else cache_dir()


def debian_dir():
    """The Debian package's folder: $D2LSOFTMAX_DEBIAN_DIR if set, else DEBIAN_DIR."""
    return os.path.expanduser(os.environ.get(DEBIAN_ENV) or DEBIAN_DIR)


def candidate_dirs(root=None):
    """(description, folder) pairs in the order they are searched, each folder once."""
    places = []
    if root is not None:
        places.append((ROOT_PLACE, os.path.expanduser(str(root))))
    if os.environ.get(DATA_ENV):
        places.append((DATA_PLACE, os.path.expanduser(os.environ[DATA_ENV])))
    places.append(('MXNet cache ($MXNET_HOME/datasets/fashion-mnist)', cache_dir()))
    places += [(f'{name} downloads in the MXNet cache', download_dir(name))
               for name in releases.RELEASES]  # a release kept in the cache itself: seen
    places.append(('Debian package dataset-fashion-mnist', debian_dir()))
    seen, unique = set(), []
    for what, folder in places:
        if os.path.abspath(folder) not in seen:
            seen.add(os.path.abspath(folder))
            unique.append((what, folder))
    return unique


def chosen_release(release=None):
    """The release asked for: `release`, else $D2LSOFTMAX_RELEASE, else None (any)."""
    origin = 'release='
    if release is None:
        release, origin = os.environ.get(RELEASE_ENV) or None, '$' + RELEASE_ENV
    if release is None:
        return None
    try:
        return releases.check_name(release, origin)
    except ValueError as e:
        raise DataError(str(e)) from None
