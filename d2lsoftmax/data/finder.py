"""The search for a usable set: each folder surveyed in order, else a download, else one error.

Every file is matched against each release's digests, a load takes all four
files from one release, and `locate` / `release_line` say which release and
folder a load uses.
"""
import os
from collections import namedtuple

import d2lsoftmax.data.releases as releases  # the module, not the package (no cycle)
from d2lsoftmax.data.download import DOWNLOAD_DEADLINE, DOWNLOAD_TIMEOUT, download_fashion_mnist
from d2lsoftmax.data.identity import identify
from d2lsoftmax.data.idx import SURVEY_ORDER, DataError, file_in, folder_in
from d2lsoftmax.data.places import (DATA_ENV, DATA_PLACE, RELEASE_ENV, ROOT_PLACE,
                                    candidate_dirs, chosen_release, download_dir)

HOW_TO_FIX = (
    'To fix it, do one of:\n'
    '  - install the Debian/Ubuntu package (the 2017-08-31 release): '
    'sudo apt-get install dataset-fashion-mnist\n'
    '  - put the four idx files (.gz or raw) of one release in a folder and set '
    'D2LSOFTMAX_DATA=/that/folder\n'
    '    (or pass root=... to load_data_fashion_mnist)\n'
    f"  - go online once: the book's {releases.BOOK} release is then downloaded from "
    "gluon's mirror into the cache folder above\n"
    f'    ({RELEASE_ENV}={releases.CURRENT} fetches the current release from Zalando instead)')

# What a folder holds. state: 'ok' (four files of one release), 'absent' (no folder,
# or none of the files), 'incomplete' (some files, all of `release`), 'other release',
# 'mixed', 'corrupt' or 'not a folder'; problem: that in words, None when ok.
Survey = namedtuple('Survey', 'state release paths problem')


def survey(directory, release=None):
    """What `directory` holds of Fashion-MNIST, as a Survey; `release` None accepts any."""
    if not os.path.isdir(directory):
        return (Survey('not a folder', None, {}, 'is a file, not a folder')
                if os.path.exists(directory) else Survey('absent', None, {}, 'does not exist'))
    paths = {b: file_in(directory, b) for b in SURVEY_ORDER if file_in(directory, b)}
    folders = [f for f in (folder_in(directory, b) for b in SURVEY_ORDER if b not in paths) if f]
    if folders:
        return Survey('corrupt', None, paths, f'{folders[0]} is a folder, not a file')
    if not paths:
        return Survey('absent', None, {}, 'none of the four files')
    found = {}
    for base, path in paths.items():
        try:
            found[base] = identify(path, base)
        except DataError as e:
            return Survey('corrupt', None, paths, str(e))
    return _judge(found, paths, release)


def _judge(found, paths, release):
    """The Survey of a folder whose files are of the releases `found` ({base: release})."""
    kinds = sorted(set(found.values()))
    if len(kinds) > 1:
        return Survey('mixed', None, paths, 'mixed releases: ' + ', '.join(
            f'{os.path.basename(paths[b])} is {r}' for b, r in found.items()))
    if release is not None and kinds[0] != release:
        return Survey('other release', kinds[0], paths,
                      f'holds the {kinds[0]} release, not the {release} asked for')
    missing = [b + '[.gz]' for b in SURVEY_ORDER if b not in paths]
    if missing:
        return Survey('incomplete', kinds[0], paths,
                      f'incomplete ({kinds[0]} release): {", ".join(missing)} missing')
    return Survey('ok', kinds[0], paths, None)


# A load's data: the release, the folder, which search place it was ('root= argument',
# '$D2LSOFTMAX_DATA', ... or 'downloaded from URL') and {base name: file path}.
Location = namedtuple('Location', 'release directory place paths')


def locate(root=None, release=None, download=True, url=None, timeout=DOWNLOAD_TIMEOUT,
           deadline=DOWNLOAD_DEADLINE):
    """The Location of the first complete, faithful, single-release set in the search order.

    Order: root=, $D2LSOFTMAX_DATA, the MXNet cache, its releases' subfolders, the
    Debian folder; `release` (or $D2LSOFTMAX_RELEASE) skips sets of other
    releases. $D2LSOFTMAX_DATA, and a root= holding broken files, must be usable:
    they are errors, not skipped. With nothing usable the files are downloaded
    (the book's release unless one is named; into root= or the cache) or, with
    download=False, one DataError lists every place and what was there.
    Stable API: other modules use it to learn which release a load used.
    """
    release = chosen_release(release)
    report = []
    for place, directory in candidate_dirs(root):
        found = survey(directory, release)
        if found.state == 'ok':
            return Location(found.release, directory, place, found.paths)
        _refuse_explicit(place, directory, found)
        report.append((place, directory, found))
    return _download_or_fail(root, release, report, download, url, timeout, deadline)


def _refuse_explicit(place, directory, found):
    """DataError when a folder the user named is not usable: no silent fall-through."""
    problem = found.problem.rstrip('.')
    if place == DATA_PLACE:
        fix = (f'set {RELEASE_ENV} or release= to {found.release}, or ' if
               found.state == 'other release' else 'put the four files of one release there, or ')
        raise DataError(f'{DATA_PLACE}={directory}: {problem}.\nTo fix it, {fix}unset '
                        f'{DATA_ENV} to search the usual places.')
    if place == ROOT_PLACE and found.state in ('corrupt', 'mixed', 'not a folder'):
        raise DataError(f'root={directory}: {problem}.\nTo fix it, put the four files '
                        'of one release there, or pass an empty or new folder to download into.')


def _searched(report):
    """The places searched, one line each, with what was found there."""
    return '\n'.join(f'  - {d}  ({what}): {found.problem}' for what, d, found in report)


def _download_or_fail(root, release, report, download, url, timeout, deadline):
    """Download a release into root= or the cache, or one DataError saying everything."""
    at_root = report[0][2] if root is not None else None
    fetch = release or (at_root.release if at_root and at_root.state == 'incomplete'
                        else None) or releases.DEFAULT
    target = os.path.expanduser(str(root)) if root is not None else download_dir(fetch)
    if at_root is not None and at_root.state == 'other release':
        raise DataError(f'root={target}: {at_root.problem}; a download of {fetch} cannot go '
                        'there. Pass another root=, or ask for the release it holds.')
    lead = f'Fashion-MNIST not found. Searched:\n{_searched(report)}'
    if not download:
        raise DataError(f'{lead}\n{HOW_TO_FIX}')
    try:
        source = download_fashion_mnist(target, fetch, url, timeout, deadline)
    except DataError as e:
        raise DataError(f'{lead}\nThen the download of the {fetch} release into {target} '
                        f'failed: {e}\n{HOW_TO_FIX}') from None
    found = survey(target, fetch)
    if found.state != 'ok':
        raise DataError(f'{target}: after the download: {found.problem}.')
    return Location(fetch, target, f'downloaded from {source}', found.paths)


def release_line(root=None, release=None, location=None):
    """The line to print before the epoch lines: which release a load uses, and from where.

    e.g. 'data: Fashion-MNIST 2017-08-31 (current release; Debian, torchvision, TFDS)
    from /usr/share/datasets/fashion-mnist'. `location` (from locate) saves a search.
    """
    location = location or locate(root, release)
    return (f'data: Fashion-MNIST {releases.describe(location.release)} '
            f'from {location.directory}')


def find_data_dir(root=None, download=True, url=None, timeout=DOWNLOAD_TIMEOUT, release=None,
                  deadline=DOWNLOAD_DEADLINE):
    """The folder `locate` chooses (kept for callers that need only the folder)."""
    return locate(root, release, download, url, timeout, deadline).directory
