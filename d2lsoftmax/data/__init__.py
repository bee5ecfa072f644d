"""Fashion-MNIST: find, verify and read the idx files, then serve batches from memory.

Both releases of the data set are known (see `releases`): every file is matched
against each release's digests, a load takes all four files from one release,
and `locate` / `release_line` say which release and folder a load uses. The
book's pipeline (gluon ``FashionMNIST`` + ``DataLoader`` + ``ToTensor``) is
reproduced batch for batch, but without per-sample transforms or worker
processes: the images stay in memory as uint8 and each batch is converted once.
"""
import gzip
import hashlib
import http.client
import io
import json
import math
import os
import socket
import struct
import time
import urllib.error
import urllib.request
import zlib
from collections import OrderedDict, deque, namedtuple

import numpy as np

from d2lsoftmax.util import interrupt, outputs
from d2lsoftmax.data import releases
from d2lsoftmax.data.releases import BOOK, CURRENT

# Base names of the four idx files, as the Fashion-MNIST project publishes them.
FILES = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}
# Labels first: they are small, and they tell a folder's release before 30 MB of images.
SURVEY_ORDER = (FILES['train'][1], FILES['test'][1], FILES['train'][0], FILES['test'][0])
NUM_EXAMPLES = {'train': 60000, 'test': 10000}
TEXT_LABELS = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat',
               'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']
DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
DEFAULT_REPO = releases.GLUON_REPO  # gluon's host ($MXNET_GLUON_REPO overrides it)
# Environment variables this module reads (besides $MXNET_HOME and $MXNET_GLUON_REPO).
DATA_ENV = 'D2LSOFTMAX_DATA'  # a folder holding the four files: searched after root=
RELEASE_ENV = 'D2LSOFTMAX_RELEASE'  # '2017-08-26' or '2017-08-31': load only that release
DEBIAN_ENV = 'D2LSOFTMAX_DEBIAN_DIR'  # where the Debian package's files are looked for
ZALANDO_ENV = 'D2LSOFTMAX_ZALANDO_URL'  # base URL of the 2017-08-31 downloads
ROOT_PLACE, DATA_PLACE = 'root= argument', '$' + DATA_ENV
DOWNLOAD_TIMEOUT = 30  # seconds one network read may wait
DOWNLOAD_DEADLINE = 600  # seconds the whole download (four files, 30 MB) may take
# A stall, as curl's --speed-limit 1024 --speed-time 30 sees one: a file that has received
# fewer than STALL_BYTES over the last STALL_WINDOW seconds is given up on then, with its
# own message, instead of at the deadline. A slow link that works (1 KiB in 30 s is 34
# bytes/s) goes on until the deadline.
STALL_BYTES = 1024
STALL_WINDOW = 30
GZ_MAGIC = b'\x1f\x8b'
HOW_TO_FIX = (
    'To fix it, do one of:\n'
    '  - install the Debian/Ubuntu package (the 2017-08-31 release): '
    'sudo apt-get install dataset-fashion-mnist\n'
    '  - put the four idx files (.gz or raw) of one release in a folder and set '
    'D2LSOFTMAX_DATA=/that/folder\n'
    '    (or pass root=... to load_data_fashion_mnist)\n'
    f"  - go online once: the book's {BOOK} release is then downloaded from gluon's mirror "
    'into the cache folder above\n'
    f'    ({RELEASE_ENV}={CURRENT} fetches the current release from Zalando instead)')


class DataError(RuntimeError):
    """Fashion-MNIST files that are missing, corrupt or not what they claim to be."""


# ---------------------------------------------------------------- idx files

def _read_file(path):
    """The bytes of `path`; a DataError of one line when it cannot be read."""
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError as e:
        raise DataError(f'{path}: cannot be read ({e.strerror or e}); fix its permissions '
                        '(chmod a+r) or remove it.') from None


def _gunzip(raw, chunk=1 << 20):
    """Decompressed content of gzip bytes, grown in place (GzipFile.read() would hold it twice)."""
    content = bytearray()
    with gzip.GzipFile(fileobj=io.BytesIO(raw), mode='rb') as f:
        while True:
            block = f.read(chunk)
            if not block:
                return content
            content += block


def _unzipped(raw, path):
    """`raw` gunzipped; a DataError naming `path` when the stream is cut or damaged."""
    try:
        return _gunzip(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f'{path}: not a readable gzip file ({e}); the file is '
                        'truncated or corrupt. Delete it and fetch it again.') from None


def _read_bytes(path):
    """The file's content, gunzipped when it is gzip (by its magic, not its name)."""
    raw = _read_file(path)
    return _unzipped(raw, path) if raw[:2] == GZ_MAGIC else raw


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
    array.flags.writeable = False  # shared by every loader of the split (see _MEMO)
    return array


def read_idx(path, sha256=None):
    """Read one idx file, gzipped or raw, into a uint8 array of its stated shape."""
    return parse_idx(_read_bytes(path), path, sha256)


def _file_in(directory, base):
    """Path of `base` or `base`.gz in `directory`, or None."""
    for name in (base + '.gz', base):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def _folder_in(directory, base):
    """Path of a folder named `base` or `base`.gz in `directory` (a file's name), or None."""
    return next((os.path.join(directory, n) for n in (base + '.gz', base)
                 if os.path.isdir(os.path.join(directory, n))), None)


# ------------------------------------------------------ which release a file is

def _digest(release, base, kind):
    """The known `kind` ('gz_sha1' or 'sha256') of file `base` of `release`, or None."""
    return releases.DIGESTS.get(release, {}).get(base, {}).get(kind)


def _release_by(kind, base, value):
    """The first release whose `kind` digest of `base` is `value`, or None."""
    return next((r for r in releases.ORDER if _digest(r, base, kind) == value), None)


def _tried(base):
    """How file `base` is matched, for messages: '2017-08-26 by gzip SHA-1, 2017-08-31 by ...'."""
    words = {'gz_sha1': "gluon's gzip SHA-1", 'sha256': 'content SHA-256'}
    return ', '.join(f'{r} by ' + ' or '.join(w for k, w in words.items() if _digest(r, base, k))
                     for r in releases.ORDER if releases.DIGESTS.get(r, {}).get(base))


def _neither(path, base, digest):
    """The DataError of a well-formed file that is no known release's `base`."""
    return DataError(f'{path}: matches neither Fashion-MNIST release (its content SHA-256 is '
                     f'{digest}; tried {_tried(base)}): the file is corrupt or is not '
                     'Fashion-MNIST. Delete it and fetch it again.')


def _identify_content(content, path, base, release=None):
    """(array, release, sha256) of decompressed idx bytes; `release` if already known by sha1."""
    array = parse_idx(content, path)  # structure first: a cut file says it is truncated
    digest = hashlib.sha256(content).hexdigest()
    if release is None:
        release = _release_by('sha256', base, digest)
        if release is None:
            raise _neither(path, base, digest)
    elif _digest(release, base, 'sha256') not in (None, digest):
        raise DataError(f'{path}: its .gz is gluon\'s {release} file, yet its content SHA-256 '
                        f'{digest} is not that release\'s; the digest table is inconsistent.')
    return array, release, digest


# Files verified in this process: (path, size, mtime, inode, base, digests) ->
# (release, array or None). Holds a few arrays (the four real files: 55 MB).
_MEMO = OrderedDict()
_MEMO_SIZE = 8


def clear_caches():
    """Forget the files verified in this process (tests; files rewritten in place)."""
    _MEMO.clear()


def _memo_key(path, base):
    try:
        st = os.stat(path)
    except OSError as e:
        raise DataError(f'{path}: cannot be read ({e.strerror or e}).') from None
    table = json.dumps(releases.DIGESTS, sort_keys=True)  # tests inject other digests
    return (os.path.realpath(path), st.st_size, st.st_mtime_ns, st.st_ino, base, table)


def _examine(path, base, load=True):
    """(release, uint8 array) of file `base` at `path`; DataError when it is neither release.

    load=False may return (release, None): a .gz recognised by gluon's sha1 needs
    no gunzip to be identified. Results are kept per file (see _MEMO).
    """
    key = _memo_key(path, base)
    hit = _MEMO.get(key)
    if hit is not None and (hit[1] is not None or not load):
        _MEMO.move_to_end(key)
        return hit
    try:
        with open(path, 'rb') as f:
            head = f.read(2)
            if head == GZ_MAGIC:
                found = _examine_gz(f, path, base, load)
            else:
                array, release, _ = _identify_content(head + f.read(), path, base)
                found = release, array
    except OSError as e:
        raise DataError(f'{path}: cannot be read ({e.strerror or e}); fix its permissions '
                        '(chmod a+r) or remove it.') from None
    _MEMO[key] = found
    while len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return found


def _sha1_of(f):
    """SHA-1 of open file `f` from its start, in blocks (no 26 MB copy: 20 ms, not 37)."""
    f.seek(0)
    digest = hashlib.sha1()
    for block in iter(lambda: f.read(1 << 20), b''):
        digest.update(block)
    return digest.hexdigest()


def _examine_gz(f, path, base, load):
    """_examine of an open .gz: by gluon's sha1, or a decompressed copy, or gunzip and SHA-256."""
    sha1 = _sha1_of(f)
    release = _release_by('gz_sha1', base, sha1)
    if release is not None and not load:
        return release, None
    copied = _read_copy(base, sha1, release)
    if copied is not None:
        return copied
    f.seek(0)
    content = _unzipped(f.read(), path)
    array, release, digest = _identify_content(content, path, base, release)
    _keep_copy(release, base, content, digest, sha1)
    return release, array


def identify(path, base):
    """The release ('2017-08-26' or '2017-08-31') file `base` at `path` belongs to.

    DataError (one line, naming the file) when it is unreadable, malformed or of
    neither release.
    """
    return _examine(path, base, load=False)[0]


# ------------------------------------------------------- decompressed copies

def unpacked_path(base, release):
    """Where the verified, decompressed copy of `release`'s file `base` is kept.

    Beside it, base.json records its SHA-256 and the SHA-1s of the .gz files it
    was decompressed from; one folder per release, so the releases never mix.
    """
    return os.path.join(cache_dir(), 'unpacked', release, base)


def _read_json(path):
    """The dict in JSON file `path`, or None when absent, unreadable or not a dict."""
    try:
        with open(path, encoding='utf-8') as f:
            found = json.load(f)
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _read_copy(base, sha1, release=None):
    """(release, array) from a decompressed copy made from the .gz of `sha1`, or None.

    Gunzipping the training images takes 0.2 s, most of a run's reading time, so
    the first read of a .gz leaves a copy in the cache; it is checked against its
    SHA-256 at every use, and one that fails is ignored (and later rewritten).
    """
    for candidate in ([release] if release else releases.ORDER):
        copy = unpacked_path(base, candidate)
        record = _read_json(copy + '.json')
        if not record or sha1 not in record.get('sources', ()):
            continue
        digest = _digest(candidate, base, 'sha256') or record.get('sha256')
        if digest != record.get('sha256'):
            continue  # recorded for other digests than the release's: stale
        try:
            return candidate, parse_idx(_read_file(copy), copy, digest)
        except DataError:
            continue  # damaged, stale or unreadable: the .gz is the source of truth
    return None


def _keep_copy(release, base, content, digest, sha1):
    """Write the decompressed copy of a verified .gz, then its record (copy first: see above)."""
    copy = unpacked_path(base, release)
    record = _read_json(copy + '.json') or {}
    sources = record.get('sources', []) if record.get('sha256') == digest else []
    sources = [s for s in sources if s != sha1][-7:] + [sha1]  # e.g. Debian's and Zalando's .gz
    if _write_quietly(copy, content):
        record = {'release': release, 'file': base, 'sha256': digest, 'sources': sources}
        _write_quietly(copy + '.json', json.dumps(record, indent=1).encode())


def _write_quietly(path, content):
    """Write `path` atomically, unsynced (each use checks it); False if the disk refuses:
    a copy that cannot be kept costs only speed."""
    try:
        outputs.write_bytes(path, content, sync=False)
        return True
    except outputs.WriteError:
        return False


# ---------------------------------------------------------- where the data is

def cache_dir():
    """Where the book's loader caches Fashion-MNIST: $MXNET_HOME/datasets/fashion-mnist.

    An empty $MXNET_HOME counts as unset (~/.mxnet), never as the current folder.
    """
    mxnet_home = os.environ.get('MXNET_HOME') or os.path.join('~', '.mxnet')
    return os.path.join(os.path.abspath(os.path.expanduser(mxnet_home)), 'datasets',
                        'fashion-mnist')


def download_dir(release):
    """Where a download of `release` goes without root=: gluon's own folder for the book's
    release (shared with d2lzh), a subfolder of it for the current one (gluon ignores it)."""
    return cache_dir() if release == BOOK else os.path.join(cache_dir(), release)


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
    places.append((f'{CURRENT} downloads in the MXNet cache', download_dir(CURRENT)))
    places.append(('Debian package dataset-fashion-mnist', debian_dir()))
    seen, unique = set(), []
    for what, folder in places:
        if os.path.abspath(folder) not in seen:
            seen.add(os.path.abspath(folder))
            unique.append((what, folder))
    return unique


def _has_all_files(directory):
    return all(_file_in(directory, base) for pair in FILES.values() for base in pair)


def chosen_release(release=None):
    """The release asked for: `release`, else $D2LSOFTMAX_RELEASE, else None (either)."""
    origin = 'release='
    if release is None:
        release, origin = os.environ.get(RELEASE_ENV) or None, '$' + RELEASE_ENV
    if release is None:
        return None
    try:
        return releases.check_name(release, origin)
    except ValueError as e:
        raise DataError(str(e)) from None


# What a folder holds. state: 'ok' (four files of one release), 'absent' (no folder,
# or none of the files), 'incomplete' (some files, all of `release`), 'other release',
# 'mixed', 'corrupt' or 'not a folder'; problem: that in words, None when ok.
Survey = namedtuple('Survey', 'state release paths problem')


def survey(directory, release=None):
    """What `directory` holds of Fashion-MNIST, as a Survey; `release` None accepts either."""
    if not os.path.isdir(directory):
        return (Survey('not a folder', None, {}, 'is a file, not a folder')
                if os.path.exists(directory) else Survey('absent', None, {}, 'does not exist'))
    paths = {b: _file_in(directory, b) for b in SURVEY_ORDER if _file_in(directory, b)}
    folders = [f for f in (_folder_in(directory, b) for b in SURVEY_ORDER if b not in paths) if f]
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

    Order: root=, $D2LSOFTMAX_DATA, the MXNet cache, its 2017-08-31 subfolder, the
    Debian folder; `release` (or $D2LSOFTMAX_RELEASE) skips sets of the other
    release. $D2LSOFTMAX_DATA, and a root= holding broken files, must be usable:
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
                        else None) or BOOK
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


# ------------------------------------------------------------------ downloads

def repo_url():
    """Base URL of gluon's dataset repository, as gluon itself computes it."""
    url = os.environ.get('MXNET_GLUON_REPO', DEFAULT_REPO)
    return url if url.endswith('/') else url + '/'


def source_url(release, url=None):
    """Base URL the files of `release` come from (a file: base + name + '.gz').

    The book's release from gluon's mirror ($MXNET_GLUON_REPO + gluon/dataset/
    fashion-mnist/), the current one from Zalando's site ($D2LSOFTMAX_ZALANDO_URL);
    `url` overrides both.
    """
    if not url:
        url = (repo_url() + releases.GLUON_PATH if release == BOOK
               else os.environ.get(ZALANDO_ENV) or releases.ZALANDO_URL)
    return url if url.endswith('/') else url + '/'


def _why(error, timeout):
    """A download failure in words, without urllib's '<urlopen error ...>' wrapping."""
    if isinstance(error, urllib.error.HTTPError):
        return f'HTTP error {error.code} ({error.reason})'
    reason = getattr(error, 'reason', error)
    if isinstance(reason, socket.timeout):  # TimeoutError since Python 3.10
        return f'no answer within {timeout} s (timed out); offline or the server is down'
    if isinstance(error, http.client.HTTPException):
        return f'the server did not answer in HTTP ({type(error).__name__}: {error})'
    return str(reason)


def _holds(directory, base, release):
    """True when `directory` already has a faithful file `base` of `release`."""
    path = _file_in(directory, base)
    try:
        return path is not None and identify(path, base) == release
    except DataError:
        return False  # corrupt or unreadable: fetched again, and replaced


def download_fashion_mnist(directory, release=BOOK, url=None, timeout=DOWNLOAD_TIMEOUT,
                           deadline=DOWNLOAD_DEADLINE):
    """Fetch the files of `release` that `directory` lacks; returns the base URL used.

    Each file goes to a temporary file, is verified, then renamed: nothing is left
    behind on failure, nor when interrupted (Ctrl-C, SIGTERM). `timeout` bounds each
    read, `deadline` the whole download; a file receiving fewer than STALL_BYTES in
    STALL_WINDOW seconds has stalled. A file that cannot be written is an
    outputs.WriteError (a full disk), any other failure a DataError.
    """
    release = chosen_release(release or BOOK)
    base_url = source_url(release, url)
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as e:
        raise DataError(f'{directory}: cannot create the folder ({e.strerror or e}).') from None
    end = time.monotonic() + deadline
    fetched = []
    with interrupt.note(f'the download of Fashion-MNIST {release} into {directory}',
                        lambda: f'{len(fetched)} whole files were kept, the one in progress '
                        'was removed', 'run it again to fetch the rest'):
        for base in SURVEY_ORDER:
            if not _holds(directory, base, release):
                _fetch_file(base_url + base + '.gz', directory, base, release,
                            timeout, (end, deadline))  # clock: (monotonic end, its seconds)
                fetched.append(base)
    return base_url


CACHE_HINT = ('free some space there or point $MXNET_HOME elsewhere, or install the data '
              'locally: sudo apt-get install dataset-fashion-mnist')


def _fetch_file(source, directory, base, release, timeout, clock):
    """Download `source` into directory/base.gz: temp file, verify against `release`, rename."""
    target = os.path.join(directory, base + '.gz')
    with outputs.replacing(target, hint=CACHE_HINT) as tmp:
        try:
            with open(tmp, 'wb') as out:
                _fetch(source, _disk_writer(out, target), timeout, clock)
            try:
                found = identify(tmp, base)  # never keep a file that fails its checksum
            except DataError as e:
                raise DataError(f'{source}: downloaded file rejected: {e}') from None
            if found != release:
                raise DataError(f'{source}: downloaded file rejected: it is the {found} '
                                f'release, not {release}.')
        except outputs.WriteError:
            raise  # the disk, not the network
        except (OSError, ValueError, http.client.HTTPException) as e:
            # URLError, HTTPError, timeouts, refused connections, non-HTTP answers
            if time.monotonic() >= clock[0]:
                raise _late(source, clock[1], None) from None
            raise DataError(f'{source}: {_why(e, timeout)}') from None


def _disk_writer(out, target):
    """out.write, whose OSError (a full disk) is a WriteError naming `target`, not a network
    error."""
    def write(block):
        try:
            out.write(block)
        except OSError as e:
            raise outputs.write_error(target, e, CACHE_HINT) from None
    return write


def _late(source, seconds, got, total=None):
    """The DataError of a download still running at its deadline."""
    arrived = '' if got is None else f' ({got}{f" of {total}" if total else ""} bytes arrived)'
    return DataError(f'{source}: the download did not finish within its {seconds:g} s '
                     f'deadline{arrived}; the connection is too slow or the server stalls. '
                     'Try again later, or install the data locally.')


def _stalled(source, got, total):
    """The DataError of a download that received under STALL_BYTES in STALL_WINDOW s."""
    return DataError(f'{source}: the download stalled: under {STALL_BYTES} bytes arrived in '
                     f'{STALL_WINDOW:g} s ({got}{f" of {total}" if total else ""} bytes in '
                     'all); the server or the connection stalls. Try again later, or install '
                     'the data locally.')


class _Progress:
    """Bytes received over time, to tell a stall (under STALL_BYTES in the last
    STALL_WINDOW s) from a slow link."""

    def __init__(self):
        self.got = 0
        self.marks = deque([(time.monotonic(), 0)])  # (when, bytes then), oldest first

    def add(self, count):
        """Count `count` more bytes; True when the last STALL_WINDOW s brought too few."""
        now = time.monotonic()
        self.got += count
        self.marks.append((now, self.got))
        while len(self.marks) > 1 and self.marks[1][0] <= now - STALL_WINDOW:
            self.marks.popleft()  # marks[0]: the last mark at least a window old
        since, before = self.marks[0]
        return since <= now - STALL_WINDOW and self.got - before < STALL_BYTES


def _socket_of(response):
    """The socket under a urllib response, so each read can be bounded; None if hidden."""
    return getattr(getattr(getattr(response, 'fp', None), 'raw', None), '_sock', None)


def _fetch(source, write, timeout, clock):
    """Copy `source` into write(block), each read within `timeout` (and STALL_WINDOW), all by
    clock = (end, s); a stall ends it too."""
    end, seconds = clock
    progress, total = _Progress(), None

    def left():
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise _late(source, seconds, progress.got, total)
        return min(timeout, remaining)
    with urllib.request.urlopen(source, timeout=left()) as response:
        total, sock = response.length, _socket_of(response)  # Content-Length or None
        progress = _Progress()  # the window starts with the answer
        while True:
            wait = left()
            if sock is not None and sock.fileno() != -1:  # -1: closed, the body is all here
                sock.settimeout(min(wait, STALL_WINDOW))  # a silent window is a stall too
            try:
                block = response.read1(1 << 16)  # one recv: a trickle cannot outlast the deadline
            except OSError:  # socket.timeout: the deadline's, the window's or the read's own
                if time.monotonic() >= end:
                    raise _late(source, seconds, progress.got, total) from None
                if progress.add(0):
                    raise _stalled(source, progress.got, total) from None
                raise
            if not block:
                break
            write(block)
            if progress.add(len(block)):
                raise _stalled(source, progress.got, total)
    if total is not None and progress.got < total:
        raise DataError(f'{source}: the connection closed after {progress.got} of {total} '
                        'bytes; try again.')


# ---------------------------------------------------------------- the arrays

def read_split(directory, split, verify=True, release=None):
    """Images (N, 28, 28, 1) uint8 and labels (N,) int32 of `split` read from `directory`.

    verify: both files must be faithful files of one release (of `release` if given).
    """
    images_base, labels_base = FILES[split]
    images_path = _file_in(directory, images_base)
    labels_path = _file_in(directory, labels_base)
    for base, path in ((images_base, images_path), (labels_base, labels_path)):
        if path is None:
            raise DataError(f'{directory}: {base}[.gz] is missing.')
    if verify:
        (of_images, images), (of_labels, labels) = (_examine(images_path, images_base),
                                                    _examine(labels_path, labels_base))
        _same_release(directory, {images_path: of_images, labels_path: of_labels}, release)
    else:
        images, labels = read_idx(images_path), read_idx(labels_path)
    _check_split(images, labels, images_path, labels_path)
    # The layout gluon's FashionMNIST gives: (N, H, W, C) uint8, int32 labels.
    return images.reshape(-1, 28, 28, 1), labels.astype(np.int32)


def _same_release(directory, found, release=None):
    """DataError unless the files ({path: release}) are of one release (`release` if given)."""
    kinds = set(found.values())
    if len(kinds) > 1 or (release is not None and kinds != {release}):
        what = ', '.join(f'{os.path.basename(p)} is {r}' for p, r in found.items())
        raise DataError(f'{directory}: {what}' + (f', not {release}' if len(kinds) == 1 else '')
                        + '; one load takes every file from one release (mixing them can put '
                        'test images into the training set). Keep one release per folder.')


def _check_split(images, labels, images_path, labels_path):
    """DataError unless images are (N, 28, 28) and labels (N,) in 0-9."""
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f'{images_path}: images of shape {images.shape[1:]}, '
                        'expected 28x28 (an idx3 file).')
    if labels.ndim != 1:
        raise DataError(f'{labels_path}: labels of shape {labels.shape}, expected 1-D (idx1).')
    if len(images) != len(labels):
        raise DataError(f'count mismatch: {images_path} holds {len(images)} images but '
                        f'{labels_path} holds {len(labels)} labels.')
    if len(labels) and labels.max() >= len(TEXT_LABELS):
        raise DataError(f'{labels_path}: label {labels.max()} out of range 0-9.')


def load_arrays(split, root=None, release=None):
    """Images (N, 28, 28, 1) uint8 and labels (N,) int32 of 'train' or 'test'.

    From the set `locate(root, release)` chooses; every split of a process comes
    from the same release unless the files change.
    """
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    location = locate(root, release)
    return read_split(location.directory, split, release=location.release)


# ---------------------------------------------------------------- batches

class FashionMNISTIter:
    """Mini-batches (X, y) like gluon's DataLoader(dataset.transform_first(ToTensor())).

    X is float32 (b, 1, 28, 28) in [0, 1], y int32 (b,). With shuffle=True each pass
    draws its order with numpy's global RNG exactly as gluon's RandomSampler does.
    The images stay uint8 in memory; each batch is gathered and converted by numpy
    (about 10x faster than MXNet's to_tensor kernel, same float32 division) and
    handed to MXNet without a copy, so making a batch never waits for the engine.
    """

    def __init__(self, images, labels, batch_size, shuffle=False, resize=None, location=None):
        self.images, self.labels = images, labels  # (N, 28, 28, 1) uint8, (N,) int32
        self.batch_size, self.shuffle, self.resize = batch_size, shuffle, resize
        self.location = location  # the Location (release, folder) the arrays came from, if known
        self.release = location.release if location else None

    def __len__(self):
        return math.ceil(len(self.labels) / self.batch_size)  # last partial batch kept

    def __iter__(self):
        n, b = len(self.labels), self.batch_size
        indices = np.arange(n)
        if self.shuffle:
            np.random.shuffle(indices)  # the call RandomSampler makes, once per pass
        for start in range(0, n, b):
            idx = indices[start:start + b] if self.shuffle else slice(start, start + b)
            yield self._batch(self.images[idx], self.labels[idx])

    def _batch(self, images, labels):
        from mxnet import nd  # here: `list` and `--help` read this package without MXNet
        y = nd.from_numpy(np.array(labels))  # (b,) int32, an own copy: the cache stays intact
        if self.resize:  # what transforms.Resize then ToTensor do, on the whole batch
            X = nd.from_numpy(np.ascontiguousarray(images))  # (b, 28, 28, 1) uint8
            return nd.image.to_tensor(nd.image.resize(X, self.resize)), y
        # ToTensor: float32(pixel) / 255, and with one channel HWC -> CHW is a reshape.
        X = (images.astype(np.float32) / np.float32(255)).reshape(-1, 1, *images.shape[1:3])
        return nd.from_numpy(X), y  # (b, 1, 28, 28) float32, zero-copy


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size <= 0:
        raise ValueError(f'batch_size must be a positive integer, got {batch_size!r}')


def load_data_fashion_mnist(batch_size, resize=None, root=None, release=None):
    """The book's (train_iter, test_iter): train shuffled each pass, test in order.

    Both from one release (`release`, $D2LSOFTMAX_RELEASE, or the first set found);
    each iterator's .release names it, and .location says where it was found.
    """
    _check_batch_size(batch_size)
    location = locate(root, release)
    train = read_split(location.directory, 'train', release=location.release)
    test = read_split(location.directory, 'test', release=location.release)
    train_iter = FashionMNISTIter(*train, batch_size, shuffle=True, resize=resize,
                                  location=location)
    test_iter = FashionMNISTIter(*test, batch_size, resize=resize, location=location)
    return train_iter, test_iter


def get_fashion_mnist_labels(labels):
    """Text labels of numeric Fashion-MNIST labels (any iterable of ints or floats)."""
    return [TEXT_LABELS[int(i)] for i in labels]
