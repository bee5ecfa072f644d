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

`locked(path)` is the results file's lock: two searches appending to one file would
train every fold twice, so the second is refused while the first holds the lock.
"""
import contextlib
import errno
import os
import tempfile

try:
    import fcntl
except ImportError:  # not POSIX: no lock, as before
    fcntl = None


class OutputError(ValueError):
    """An output path that cannot be written: a user's mistake, said in one line (exit 1)."""


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
            raise OutputError(f'{label}: cannot be written ({_reason(e)})') from None
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
        raise OutputError(f'{label}: cannot write in {existing} ({_reason(e)}); give a '
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


def write_atomically(path, write):
    """Call write(tmp_path) on a temporary file beside `path`, then rename it onto `path`:
    an interrupted or failed write leaves the old file (or none), never half a file."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + '.', suffix='.tmp', dir=directory)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _nearest_existing(path):
    """`path` itself if it exists, else its nearest ancestor that does."""
    while not os.path.lexists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def _reason(error):
    """'read-only file system', 'permission denied'... of an OSError."""
    if error.errno == errno.EROFS:
        return 'read-only file system'
    if error.errno in (errno.EACCES, errno.EPERM):
        return 'permission denied'
    return (error.strerror or str(error)).lower()


# ---------------------------------------------------------------- the lock

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
    fd = _acquire(lock, path, what)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f'{os.getpid()}\n'.encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            os.remove(lock)  # before unlocking: a waiting process then makes a fresh one
        os.close(fd)


def _acquire(lock, path, what):
    """An fd of `lock` holding its exclusive flock, retried if the file was replaced meanwhile."""
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise OutputError(f'{lock}: cannot create the lock of {path} '
                              f'({_reason(e)})') from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _holder(fd)
            os.close(fd)
            raise OutputError(f'{path} is being written by another {what} (process '
                              f'{holder}); wait for it to end, or give this one another file '
                              '(--results)') from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except OSError:
            same = False  # removed by the holder that just let go: take a fresh one
        if same:
            return fd
        os.close(fd)


def _holder(fd):
    """The process id written in a lock file, or 'unknown'."""
    try:
        return os.pread(fd, 32, 0).decode().strip() or 'unknown'
    except (OSError, UnicodeDecodeError):
        return 'unknown'
