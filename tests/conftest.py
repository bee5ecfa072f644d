"""Shared fixtures: an isolated environment, tiny fake idx files, the real data set."""
import copy
import gzip
import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
from collections import namedtuple

import numpy as np
import pytest


def _share_the_cores():
    """Under pytest-xdist, before MXNet loads: each worker gets its share of OpenMP threads.

    MXNet computes with half the processors by default; N workers doing so at once would
    ask for N times the cores (with 2 threads each on 2 cores, 4x slower here). An
    OMP_NUM_THREADS or MXNET_OMP_MAX_THREADS given by the caller is kept (.ci/run).
    """
    workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT') or 0)
    if workers and not {'OMP_NUM_THREADS', 'MXNET_OMP_MAX_THREADS'} & set(os.environ):
        os.environ['OMP_NUM_THREADS'] = str(max(1, (os.cpu_count() or 1) // 2 // workers))


_share_the_cores()

from d2lsoftmax import data  # noqa: E402
from d2lsoftmax.data import identity, releases
from d2lsoftmax.data.idx import has_all_files

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Beside CI only (never on a user's machine): the 2017-08-26 label files, book_logs.md.
SHARED = os.path.normpath(os.path.join(REPO, '..', 'shared'))
BOOK_LABELS_DIR = os.path.join(SHARED, 'data', 'fashion-mnist-2017-08-26')


def _real_data_dir():
    """Folder with the four real files: $D2LSOFTMAX_DATA as given at start-up, else Debian's."""
    for folder in (os.environ.get('D2LSOFTMAX_DATA'), data.debian_dir()):
        if folder and has_all_files(os.path.expanduser(folder)):
            return os.path.expanduser(folder)
    return None


def _closed_port_url():
    """http URL of a 127.0.0.1 port nobody listens on: downloads fail at once, offline."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    return f'http://127.0.0.1:{port}/'


REAL_DATA_DIR = _real_data_dir()  # read before any test changes the environment
DEAD_REPO = _closed_port_url()
# Every release's download host ($MXNET_GLUON_REPO, $D2LSOFTMAX_ZALANDO_URL) at that port.
DEAD_HOSTS = {release.host_env: DEAD_REPO for release in releases.RELEASES.values()}
# identity._MEMO's entries for the real files (Debian's or $D2LSOFTMAX_DATA; no test writes
# them): each worker gunzips and verifies them once (about 0.4 s), not once per test that
# reads them. Their key holds the file's stat and the digest table, so a test patching the
# digests (or reading a copy) still verifies anew.
_REAL_FILES_VERIFIED = {}
_SHIPPED_DIGESTS = json.dumps({r: release.digests for r, release in releases.RELEASES.items()},
                              sort_keys=True)  # as identity._memo_key has it


def _kept(memo_key, found):
    """Whether identity._MEMO's entry is a real file, verified and loaded with the shipped
    digests."""
    path, *_, table = memo_key
    return REAL_DATA_DIR is not None and found[1] is not None and table == _SHIPPED_DIGESTS \
        and os.path.dirname(path) == os.path.realpath(REAL_DATA_DIR)


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path, tmp_path_factory):
    """No test sees the caller's data settings or ~/.mxnet, and none can go online.

    $D2LSOFTMAX_DATA and $D2LSOFTMAX_RELEASE are unset, $MXNET_HOME is an empty
    folder of the test, $MXNET_GLUON_REPO and $D2LSOFTMAX_ZALANDO_URL a closed local
    port; the Debian folder is still searched. Files verified by earlier tests are
    forgotten, except the real data set's (_REAL_FILES_VERIFIED). Tests change all this
    with monkeypatch, which restores it afterwards.
    """
    for name in (data.DATA_ENV, data.RELEASE_ENV, data.DEBIAN_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('MXNET_HOME', str(tmp_path_factory.mktemp('mxnet-home')))
    for name, url in DEAD_HOSTS.items():
        monkeypatch.setenv(name, url)
    data.clear_caches()
    identity._MEMO.update(_REAL_FILES_VERIFIED)
    yield
    _REAL_FILES_VERIFIED.update((key, found) for key, found in identity._MEMO.items()
                                if _kept(key, found))


def _interrupt_state():
    """SIGINT's and SIGTERM's handlers, sys.excepthook and the interrupt notes, as they stand."""
    import signal
    import sys
    from d2lsoftmax.util import interrupt
    return ([signal.getsignal(number) for number in interrupt.SIGNALS], sys.excepthook,
            list(interrupt._notes))


PRISTINE_INTERRUPT_STATE = _interrupt_state()  # before any test or fixture ran


@pytest.fixture(autouse=True)
def restored_interrupt_handling():
    """A chapter run in this process as a program (a test or a module fixture) installs its
    Ctrl-C handling for good (interrupt.install_for_program): after each test, put SIGINT,
    SIGTERM, sys.excepthook and the notes back as they were before the session."""
    yield
    import signal
    import sys
    from d2lsoftmax.util import interrupt
    handlers, sys.excepthook, notes = PRISTINE_INTERRUPT_STATE
    for number, handler in zip(interrupt.SIGNALS, handlers):
        signal.signal(number, handler)
    interrupt._notes[:] = notes


@pytest.fixture(autouse=True)
def no_chapter_figures():
    """A chapter run in this process (d2l.configure) names the figures drawn after it by its
    section, as `d2lsoftmax run` does until the chapter ends: after each test, forget it."""
    yield
    from d2lsoftmax.util import outputs
    outputs.name_figures()


@pytest.fixture(autouse=True)
def no_open_figures():
    """Each test starts with no matplotlib figure open (the book's d2lzh code leaves its
    own open), so a test can assert that what it calls closes its figures."""
    import sys
    if 'matplotlib.pyplot' in sys.modules:
        sys.modules['matplotlib.pyplot'].close('all')


@pytest.fixture(scope='session', autouse=True)
def shared_chapter_runs(tmp_path_factory):
    """Under pytest-xdist: the workers share their seed-0 runs in pytest's folder of this
    session (basetemp's parent; pytest removes old ones)."""
    if os.environ.get('PYTEST_XDIST_WORKER'):
        from support import chapter_runs
        chapter_runs.SHARED_FOLDER = str(tmp_path_factory.getbasetemp().parent)


@pytest.fixture
def real_data(monkeypatch):
    """The folder of the real Fashion-MNIST files, also exported as $D2LSOFTMAX_DATA."""
    if REAL_DATA_DIR is None:
        pytest.skip(f'real Fashion-MNIST not found: install the Debian package '
                    f'dataset-fashion-mnist ({data.debian_dir()}) or set D2LSOFTMAX_DATA')
    monkeypatch.setenv('D2LSOFTMAX_DATA', REAL_DATA_DIR)
    return REAL_DATA_DIR


@pytest.fixture
def book_labels():
    """The folder of the 2017-08-26 release's two real label files (../shared, beside CI)."""
    if not all(os.path.isfile(os.path.join(BOOK_LABELS_DIR, base + '.gz'))
               for base in (data.FILES['train'][1], data.FILES['test'][1])):
        pytest.skip(f'the 2017-08-26 label files are not here ({BOOK_LABELS_DIR}): that '
                    'folder exists only beside this repository\'s CI')
    return BOOK_LABELS_DIR


# ------------------------------------------------- a full disk: a tiny tmpfs

TINY_DISK = '''
mount -t tmpfs -o size=${DISK_KIB}k tmpfs "$DISK" || exit 97
touch "$MOUNTED"
cp -a "$BEFORE/." "$DISK/"
if [ -n "$FREE_KIB" ]; then
    cat /dev/zero > "$DISK/.filler" 2>/dev/null
    truncate -s -"$FREE_KIB"K "$DISK/.filler"
fi
"$@" > "$OUT" 2> "$ERR" &
pid=$!
eval "$THEN"
wait $pid
code=$?
rm -f "$DISK/.filler"
cp -a "$DISK/." "$AFTER/"
exit $code
'''
Disk = namedtuple('Disk', 'code out err files')


@pytest.fixture
def tiny_disk(tmp_path):
    """tiny_disk(argv, files=None, free_kib=None, then='', env=None, kib=64) runs the command
    `python -m d2lsoftmax.cli ARGV` while a `kib` KiB tmpfs is mounted at tmp_path/disk, in a
    private mount namespace (unshare -m; the test runs as root): the disk starts with
    `files` ({name: bytes}) and, with free_kib, is then filled up to leave that much room;
    `then` is shell run beside the command ($pid, $OUT, $DISK are set), e.g. to remount the
    disk read-only mid-run. Returns Disk(code, stdout lines, stderr lines, {name: bytes}
    left on the disk). The argument 'DISK' in argv stands for the mount point. Skips where
    unshare or mount is not permitted."""
    disk, before, after = tmp_path / 'disk', tmp_path / 'before', tmp_path / 'after'

    def run(argv, files=None, free_kib=None, then='', env=None, kib=64):
        for folder in (disk, before, after):
            folder.mkdir(exist_ok=True)
        for name, content in (files or {}).items():
            (before / name).write_bytes(content)
        names = {'DISK': disk, 'BEFORE': before, 'AFTER': after, 'OUT': tmp_path / 'out.txt',
                 'ERR': tmp_path / 'err.txt', 'MOUNTED': tmp_path / 'mounted'}
        command = [a.replace('DISK', str(disk)) for a in argv]
        done = subprocess.run(
            ['unshare', '-m', 'sh', '-c', TINY_DISK, 'sh', sys.executable, '-m',
             'd2lsoftmax.cli', *command], capture_output=True, text=True, timeout=300,
            cwd=tmp_path,
            env={**os.environ, 'MPLBACKEND': 'Agg', 'PYTHONUNBUFFERED': '1', **(env or {}),
                 **{k: str(v) for k, v in names.items()}, 'DISK_KIB': str(kib),
                 'FREE_KIB': '' if free_kib is None else str(free_kib), 'THEN': then})
        if not names['MOUNTED'].exists():
            pytest.skip('cannot mount a tmpfs in a private mount namespace here (unshare -m '
                        f'and mount need root or CAP_SYS_ADMIN): {done.stderr.strip()}')
        left = {os.path.relpath(os.path.join(folder, name), after): open(
            os.path.join(folder, name), 'rb').read()
            for folder, _, found in os.walk(after) for name in found}
        return Disk(done.returncode, names['OUT'].read_text().splitlines(),
                    [l for l in names['ERR'].read_text().splitlines() if l.strip()], left)
    return run


# ------------------------------------------------------------ fake idx files

def idx_bytes(array):
    """The idx encoding of a uint8 array: magic 0x0000080N, N big-endian sizes, the data."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + struct.pack('>' + 'I' * array.ndim, *array.shape)
    return header + array.tobytes()


def _write_idx(path, array, gz=True):
    """Write `array` as an idx file at `path`, gzipped or raw; return the path."""
    content = idx_bytes(array)
    with open(path, 'wb') as f:
        f.write(gzip.compress(content, mtime=0) if gz else content)
    return str(path)


@pytest.fixture
def write_idx():
    """write_idx(path, array, gz=True): an idx file of `array`, gzipped or raw."""
    return _write_idx


def fake_split_arrays(n, seed=0):
    """n random 28x28 uint8 images and labels 0-9, as the idx files hold them."""
    rng = np.random.RandomState(seed)
    return (rng.randint(0, 256, size=(n, 28, 28), dtype=np.uint8),
            rng.randint(0, 10, size=n, dtype=np.uint8))


@pytest.fixture
def digests(monkeypatch):
    """{release: {base: digests}}: private copies of the releases' digests, patched into
    releases.RELEASES; a test may add its files' digests."""
    table = {name: copy.deepcopy(release.digests)
             for name, release in releases.RELEASES.items()}
    monkeypatch.setattr(releases, 'RELEASES', {name: release._replace(digests=table[name])
                                               for name, release in releases.RELEASES.items()})
    return table


def register(table, release, base, path, by=('sha256',)):
    """Record file `path` as `release`'s `base` in digest table `table`, by the digests `by`.

    by: 'sha256' (of the decompressed content) and/or 'gz_sha1' (of the .gz as it is,
    gluon's check); the other digest of that file is removed, so only `by` can match.
    """
    with open(path, 'rb') as f:
        raw = f.read()
    content = gzip.decompress(raw) if raw[:2] == b'\x1f\x8b' else raw
    found = {'sha256': hashlib.sha256(content).hexdigest(),
             'gz_sha1': hashlib.sha1(raw).hexdigest()}
    table.setdefault(release, {})[base] = {kind: found[kind] for kind in by}


@pytest.fixture
def fake_data(digests):
    """fake_data(folder, gz=True, sizes=None, seed=0, release='2017-08-31', by=('sha256',)).

    Writes the four files with tiny fake content and enters their digests in the
    (patched) table of `release`, so they verify as that release's files; `by`
    chooses the digests (see register). Returns {split: (images (n, 28, 28),
    labels (n,))} of what was written.
    """
    def make(folder, gz=True, sizes=None, seed=0, release=releases.CURRENT, by=('sha256',)):
        os.makedirs(folder, exist_ok=True)
        written = {}
        for i, (split, (images_base, labels_base)) in enumerate(data.FILES.items()):
            n = (sizes or {}).get(split, {'train': 12, 'test': 5}[split])
            images, labels = fake_split_arrays(n, seed + i)
            for base, array in ((images_base, images), (labels_base, labels)):
                path = _write_idx(os.path.join(folder, base + ('.gz' if gz else '')), array, gz)
                register(digests, release, base, path, by)
            written[split] = images, labels
        return written
    return make


SMALL_SIZES = {'train': 3000, 'test': 1000}  # 12 and 4 batches of 256


@pytest.fixture(scope='session')
def _small_real_files(tmp_path_factory):
    """The first SMALL_SIZES images of the real set as raw idx files (once per worker)."""
    if REAL_DATA_DIR is None:
        return None
    folder = tmp_path_factory.mktemp('small-real')
    for split, (images_base, labels_base) in data.FILES.items():
        images, labels = data.read_split(REAL_DATA_DIR, split)
        n = SMALL_SIZES[split]
        _write_idx(str(folder / images_base), images[:n, :, :, 0], gz=False)
        _write_idx(str(folder / labels_base), labels[:n].astype(np.uint8), gz=False)
    return folder


@pytest.fixture
def small_real_data(_small_real_files, digests, monkeypatch):
    """A real but small Fashion-MNIST (SMALL_SIZES), verified as the current release and
    exported as $D2LSOFTMAX_DATA: for tests that compare two codes on the same data
    (in this process: the digests are patched here only)."""
    if _small_real_files is None:
        pytest.skip(f'real Fashion-MNIST not found: install the Debian package '
                    f'dataset-fashion-mnist ({data.debian_dir()}) or set D2LSOFTMAX_DATA')
    for images_base, labels_base in data.FILES.values():
        for base in (images_base, labels_base):
            register(digests, releases.CURRENT, base, str(_small_real_files / base))
    monkeypatch.setenv('D2LSOFTMAX_DATA', str(_small_real_files))
    return str(_small_real_files)


# Tests that compare with a chapter's seed-0 run (tests/support/chapter_runs.py) go to one
# pytest-xdist worker per chapter (--dist loadgroup in setup.cfg): that worker trains it
# once while the others run other tests, instead of waiting for it behind a lock.
SEED0_MODULES = {'test_bands', 'test_golden', 'test_parity', 'test_chapters', 'test_notebooks',
                 'test_book_dropin', 'test_verify'}


def pytest_collection_modifyitems(config, items):
    from d2lsoftmax.sections import training_sections
    trained = set(training_sections())
    for item in items:
        section = getattr(getattr(item, 'callspec', None), 'params', {}).get('section')
        if isinstance(section, str) and section in trained \
                and item.module.__name__ in SEED0_MODULES:
            item.add_marker(pytest.mark.xdist_group(f'seed0-{section}'))
