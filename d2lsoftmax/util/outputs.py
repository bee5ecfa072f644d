"""Check every path a command will write before it reads any data or trains an epoch.

A leaf utility (no MXNet, nothing of the package): every command, and every chapter
script's --out, calls it first, so a bad path costs a second, not a whole training.

- A folder (--out) must be a folder, or not exist yet; a file (--save-params, its
  record FILE.json, --results) must not be a folder nor anything but a plain file.
- Missing folders are created when the command writes into them (as `mkdir -p`), so
  the check looks at the nearest folder that exists: it must be a folder, not a file.
- Writing is tested for real, by creating a temporary file in that folder (unnamed
  where Linux allows, so a kill leaves nothing) and by opening an existing file for
  appending, without writing. This sees what permission bits do not, such as a
  read-only mount or an immutable folder (chattr +i), and holds for root, whom
  permission bits never stop.

Every file the package writes goes through `replacing` (a whole file: written beside
its target, forced to disk, renamed onto it) or `append_line` (one line added to a
results file, cut off again if it fails): a full disk, an I/O error, a file system
turned read-only or a quota leaves the old file (or none), never part of one, and is
one WriteError naming the file and the reason.

`flock` is the one folder or file lock; `locked(path)` is the results file's lock: two
searches appending to one file would train every fold twice, so the second is refused
while the first holds the lock.
"""
import contextlib
import errno
import os
import secrets
import tempfile
from collections import namedtuple

try:
    import fcntl
except ImportError:  # not POSIX: no lock, as before
    fcntl = None


class OutputError(ValueError):
    """An output path that cannot be written: a user's mistake, said in one line (exit 1)."""


# ------------------------------------------------------------ a chapter's figures

Figures = namedtuple('Figures', 'folder section title')
_figures = []  # [Figures] of the chapter being run (d2l.configure), or empty outside one


def name_figures(folder=None, section=None, title=None):
    """Save the figures that follow as <folder>/<section>_<name>.png, titled `title` (what
    d2l.configure does for a chapter); no arguments: forget it, outside a chapter."""
    _figures[:] = [Figures(folder, section, title)] if folder is not None else []


def chapter_figures():
    """The Figures of the chapter being run, or None outside one."""
    return _figures[0] if _figures else None


def figure_path(name):
    """<folder>/<section>_<name>.png of the chapter being run, or None outside one."""
    found = chapter_figures()
    return None if found is None else os.path.join(found.folder, f'{found.section}_{name}.png')


def check_folder(path, option):
    """The absolute path of folder `path` (option `option`, e.g. '--out') if it can be written.

    It may not exist yet: then the nearest existing folder above it must be writable.
    """
    target = os.path.abspath(str(path) if str(path) else '.')
    _check_dir(target, f'{option} {path}', is_target=True)
    return target


def check_file(path, option, append=False):
    """The absolute path of file `path` if it can be written (replaced, or appended to).

    The file need not exist; its folder need not either (it is created as needed).
    """
    text, label = str(path), f'{option} {path}'
    if not text:
        raise OutputError(f'{option}: give a file name, not an empty one')
    target = os.path.abspath(text)
    if os.path.isdir(target) or text.endswith(os.sep):
        raise OutputError(f'{label}: is a folder, not a file; give a file name inside it, '
                          f'e.g. {os.path.join(text, "FILE")}')
    if os.path.lexists(target) and not os.path.isfile(target):
        raise OutputError(f'{label}: exists and is not a plain file (a device, a socket or a '
                          'broken link); give another name')
    _check_dir(os.path.dirname(target), label)
    if os.path.exists(target):
        try:
            with open(target, 'ab'):  # opens for writing, writes nothing, keeps the mtime
                pass
        except OSError as e:
            raise OutputError(f'{label}: cannot be written ({reason(e)})') from None
    return target


def _check_dir(folder, label, is_target=False):
    """OutputError (starting with `label`) unless `folder` is, or can become, a writable folder."""
    existing = _nearest_existing(folder)
    if not os.path.isdir(existing):
        where = 'is a file' if is_target and existing == folder else f'{existing} is a file'
        raise OutputError(f'{label}: {where}, not a folder; give a folder for the output '
                          '(missing folders are created)')
    try:
        _probe(existing)
    except OSError as e:
        raise OutputError(f'{label}: cannot write in {existing} ({reason(e)}); give a '
                          'folder you can write in') from None


def _probe(folder):
    """Create a file in `folder` and remove it; OSError when the folder refuses.

    An unnamed file (O_TMPFILE, Linux) where the file system has them: a process killed
    meanwhile leaves nothing behind. Elsewhere a named one, removed at once.
    """
    unnamed = getattr(os, 'O_TMPFILE', None)
    if unnamed is not None:
        try:
            os.close(os.open(folder, unnamed | os.O_WRONLY, 0o600))
            return
        except OSError as e:
            if e.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise
    fd, probe = tempfile.mkstemp(prefix='.d2lsoftmax-write-test-', dir=folder)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.remove(probe)


def check_outputs(folders=(), files=(), appends=()):
    """Check (path, option) pairs: folders, files replaced whole, files appended to."""
    for path, option in folders:
        check_folder(path, option)
    for path, option in files:
        check_file(path, option)
    for path, option in appends:
        check_file(path, option, append=True)


def _nearest_existing(path):
    """`path` itself if it exists, else its nearest ancestor that does."""
    while not os.path.lexists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def reason(error):
    """'read-only file system', 'permission denied'... of an OSError."""
    if error.errno == errno.EROFS:
        return 'read-only file system'
    if error.errno in (errno.EACCES, errno.EPERM):
        return 'permission denied'
    return (error.strerror or str(error)).lower()


# ---------------------------------------------------------------- writing

TMP_SUFFIX = '.tmp'  # PATH.RANDOM.tmp: a file being written beside PATH, renamed when whole
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class WriteError(OutputError):
    """A file that could not be written (disk full, I/O error, read-only, quota): one line, exit 1.

    `path` is the file, `reason` the OSError in words ('no space left on device').
    """

    def __init__(self, message, path=None, reason=None):
        super().__init__(message)
        self.path, self.reason = path, reason

    def __reduce__(self):  # joblib and Dask send a worker's error to its parent
        return type(self), (self.args[0], self.path, self.reason)


def write_error(path, error, hint=None):
    """The WriteError of OSError `error` met while writing `path`: the file, the reason, and
    `hint`, what to do (by default: make room, check the disk, or write elsewhere)."""
    if hint is None:
        hint = ('free some space there, or write elsewhere' if error.errno in DISK_FULL
                else 'check the disk, or write elsewhere' if error.errno == errno.EIO
                else 'write elsewhere')
    why = reason(error)
    return WriteError(f'{path}: cannot be written ({why}); nothing half-written was left and '
                      f'files written before are kept; {hint}', str(path), why)


def fsync(path):
    """Force `path`'s content (or a folder's entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(path):
    """Force the renames in `path`'s folder to disk; harmless where folders cannot be synced."""
    with contextlib.suppress(OSError):
        fsync(os.path.dirname(os.path.abspath(path)))


def _new_temporary(path):
    """Create an empty PATH.RANDOM.tmp beside `path` (mode as open() gives it) and name it."""
    while True:
        temporary = f'{path}.{secrets.token_hex(4)}{TMP_SUFFIX}'
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return temporary
        except FileExistsError:
            continue


def _failure(error, path, hint=None):
    """What to raise for `error` met while writing `path`: a WriteError for an OSError,
    any other exception (an interrupt included) as it is."""
    return write_error(path, error, hint) if isinstance(error, OSError) else error


@contextlib.contextmanager
def written(path, sync=True, hint=None, name=None):
    """Yield `path` to write in full; it is forced to disk after, or removed if anything fails
    (an OSError then becomes a WriteError naming `name`, default `path`)."""
    try:
        yield path
        if sync:
            fsync(path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.remove(path)
        raise _failure(e, name or path, hint) from None


@contextlib.contextmanager
def replacing(path, sync=True, hint=None, temporary=None):
    """Yield a temporary file beside `path` to write; when the block ends it replaces `path`.

    The old file stays until the new one is whole (and on disk, unless sync=False: a cache
    checked on every use), so `path` is always the old file or the new one. `temporary`
    names the file to write (default PATH.RANDOM.tmp). WriteError naming `path` on OSError.
    """
    path = os.fspath(path)
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        temporary = temporary or _new_temporary(path)
    except OSError as e:
        raise write_error(path, e, hint) from None
    with written(temporary, sync=False, hint=hint, name=path):
        yield temporary
        if sync:
            fsync(temporary)  # before the rename: it must never expose an unwritten file
        os.replace(temporary, path)
    if sync:
        fsync_folder(path)


def write_bytes(path, content, sync=True, hint=None):
    """Replace `path` by `content` (bytes) as `replacing` does; returns the path."""
    with replacing(path, sync, hint) as temporary, open(temporary, 'wb') as f:
        f.write(content)
    return path


def append_line(path, line):
    """Append `line` and a newline to `path` and force it to disk before going on.

    An append that fails (a full disk, an I/O error) or is interrupted half-way is cut off
    again, so the lines before it stay as they were; an OSError becomes a WriteError naming
    `path`. A whole line interrupted while it is forced to disk stays.
    """
    content = (line + '\n').encode('utf-8')
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    except OSError as e:
        raise write_error(path, e) from None
    size, whole = None, False
    try:
        size = os.fstat(fd).st_size  # where this line starts (the file is locked by its writer)
        _write_all(fd, content)
        whole = True
        os.fsync(fd)
    except BaseException as e:
        if size is not None and (isinstance(e, OSError) or not whole):
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)  # a partial line would hide the next one
        raise _failure(e, path) from None
    finally:
        os.close(fd)


def _write_all(fd, content):
    """os.write until every byte of `content` is written (a write may take only part)."""
    view = memoryview(content)
    while view:
        view = view[os.write(fd, view):]


# ---------------------------------------------------------------- the locks

@contextlib.contextmanager
def flock(target, shared=False, wait=True):
    """Hold an flock on `target`, a folder or a lock file (created as needed); yields its fd.

    The kernel drops the lock when the fd closes, also when the process is killed.
    BlockingIOError when wait=False and another process holds it; OSError when `target`
    cannot be opened. Without fcntl (not POSIX) it yields None: no turns are taken.
    """
    if fcntl is None:
        yield None
        return
    flags = os.O_RDONLY if os.path.isdir(target) else os.O_RDWR | os.O_CREAT
    fd = os.open(target, flags, 0o644)
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
                    | (0 if wait else fcntl.LOCK_NB))
        yield fd
    finally:
        os.close(fd)  # closing drops the lock


@contextlib.contextmanager
def locked(path, what='search'):
    """Hold PATH.lock (flock) while writing `path`; OutputError if another process holds it.

    The lock file names its holder's process id and is removed when released; a
    process killed while holding it leaves the file but not the lock (the kernel drops
    flock locks with their process), so the next run takes it.
    """
    if fcntl is None:
        yield
        return
    lock = str(path) + '.lock'
    with _acquired(lock, path, what) as fd:
        try:
            with contextlib.suppress(OSError):  # the holder's pid only informs (a full disk)
                os.ftruncate(fd, 0)
                os.write(fd, f'{os.getpid()}\n'.encode())
            yield
        finally:
            with contextlib.suppress(OSError):
                os.remove(lock)  # before unlocking: a waiting process then makes a fresh one


@contextlib.contextmanager
def _acquired(lock, path, what):
    """flock(lock) held, retried if the file was replaced meanwhile; yields its fd."""
    while True:
        with contextlib.ExitStack() as stack:
            try:
                fd = stack.enter_context(flock(lock, wait=False))
            except BlockingIOError:
                raise OutputError(f'{path} is being written by another {what} (process '
                                  f'{_holder(lock)}); wait for it to end, or give this one '
                                  'another file (--results)') from None
            except OSError as e:
                raise OutputError(f'{lock}: cannot create the lock of {path} '
                                  f'({reason(e)})') from None
            try:
                same = os.fstat(fd).st_ino == os.stat(lock).st_ino
            except OSError:
                same = False  # removed by the holder that just let go: take a fresh one
            if same:
                yield fd
                return


def _holder(lock):
    """The process id written in a lock file, or 'unknown'."""
    try:
        with open(lock, encoding='ascii') as f:
            return f.read(32).strip() or 'unknown'
    except (OSError, UnicodeDecodeError):
        return 'unknown'
