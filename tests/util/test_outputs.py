"""Every output path is checked before any data is read, two runs never write one file at
once (a lock), and every file is written whole or not at all: a full disk, an I/O error or
a folder turned read-only mid-run is one line naming the file, exit 1, with nothing
half-written.

Read-only folders are made so that root cannot write in them either (chattr +i, or
chmod for other users); where neither can be set up the tests say why and skip.
"""
import errno
import json
import os
import re
import subprocess
import sys

import pytest

from d2lsoftmax import cli
from d2lsoftmax.util import outputs
from d2lsoftmax.util.outputs import OutputError, WriteError
from support import REPO
from support.files import make_read_only, writable


# ---------------------------------------------------------- a read-only folder

@pytest.fixture
def read_only(tmp_path):
    """A folder nobody can write in (holding one file, old.txt), undone after the test."""
    folder = tmp_path / 'read-only'
    folder.mkdir()
    (folder / 'old.txt').write_text('old')
    try:
        undo = make_read_only(folder)
    except (OSError, FileNotFoundError):
        undo = None
    if undo is None or writable(folder):
        if undo:
            undo()
        pytest.skip('cannot make a folder read-only here: running as root and chattr +i '
                    'is not permitted (no CAP_LINUX_IMMUTABLE, or the file system lacks it)')
    yield folder
    undo()


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / 'a-file'
    path.write_text('not a folder')
    return path


# ------------------------------------------------------------- the library

def test_a_folder_that_exists_or_can_be_made_is_accepted(tmp_path):
    assert outputs.check_folder(tmp_path, '--out') == str(tmp_path)
    new = tmp_path / 'new' / 'deeper'
    assert outputs.check_folder(new, '--out') == str(new)
    assert not (tmp_path / 'new').exists()  # checked, not created: the writer creates it
    assert os.listdir(tmp_path) == []  # the write test left nothing behind


@pytest.mark.parametrize('sub', ['', 'sub/deeper'])
def test_a_file_where_a_folder_should_be_is_refused(a_file, sub):
    with pytest.raises(OutputError, match=r'--out .*a-file.*is a file, not a folder'):
        outputs.check_folder(os.path.join(a_file, sub) if sub else a_file, '--out')


@pytest.mark.parametrize('sub', ['', 'new/deeper'])
def test_a_read_only_folder_is_refused(read_only, sub):
    with pytest.raises(OutputError, match=r'cannot write in .*read-only'):
        outputs.check_folder(read_only / sub if sub else read_only, '--out')


def test_a_folder_where_a_file_should_be_is_refused(tmp_path):
    with pytest.raises(OutputError, match=r'--results .*: is a folder, not a file'):
        outputs.check_file(tmp_path, '--results')
    with pytest.raises(OutputError, match='is a folder, not a file'):
        outputs.check_file(str(tmp_path / 'x') + os.sep, '--results')


def test_file_checks(tmp_path, a_file, read_only):
    assert outputs.check_file(tmp_path / 'new' / 'r.jsonl', '--results')  # parent made later
    assert outputs.check_file(a_file, '--results', append=True)
    with pytest.raises(OutputError, match=r'a-file is a file, not a folder'):
        outputs.check_file(a_file / 'm.npz', '--save-params')
    with pytest.raises(OutputError, match='cannot write in'):
        outputs.check_file(read_only / 'm.npz', '--save-params')
    with pytest.raises(OutputError, match=r'old.txt: cannot be written|cannot write in'):
        outputs.check_file(read_only / 'old.txt', '--results', append=True)
    with pytest.raises(OutputError, match='not a plain file'):
        outputs.check_file('/dev/null', '--results')
    with pytest.raises(OutputError, match='give a file name'):
        outputs.check_file('', '--results')
    assert a_file.read_text() == 'not a folder'  # the append test wrote nothing


# ------------------------------------------------------ the commands, in-process

def _refused(argv, capsys, needle):
    """Run the command; it must stop with status 1 and one 'error:' line containing needle."""
    try:
        code = cli.main(argv)
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    assert code == 1, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and 'error:' in lines[0] and needle in lines[0], err
    assert 'Traceback' not in err and 'epoch' not in out and 'data:' not in out
    return lines[0]


@pytest.mark.parametrize('section', ['3.5', '3.6', '3.8'])
def test_chapter_out_that_is_a_file(section, a_file, capsys):
    _refused(['run', section, '--out', str(a_file)], capsys, 'is a file, not a folder')


def test_chapter_out_under_a_file_and_read_only(a_file, read_only, capsys):
    _refused(['run', '3.6', '--out', str(a_file / 'figs')], capsys, 'is a file, not a folder')
    _refused(['run', '3.6', '--out', str(read_only)], capsys, 'cannot write in')


def test_run_save_params_checked_before_training(tmp_path, read_only, capsys):
    _refused(['run', '3.7', '--save-params', str(read_only / 'm.params'), '--out',
              str(tmp_path)], capsys, 'cannot write in')
    _refused(['run', '3.7', '--save-params', str(tmp_path), '--out', str(tmp_path)], capsys,
             'a concise model is saved as a .params file')
    (tmp_path / 'dir.params').mkdir()
    _refused(['run', '3.7', '--save-params', str(tmp_path / 'dir.params'), '--out',
              str(tmp_path)], capsys, 'is a folder, not a file')


def test_run_record_that_is_a_folder_is_refused_before_anything_is_written(tmp_path, capsys):
    old = tmp_path / 'm.params'
    old.write_bytes(b'the old parameters')
    (tmp_path / 'm.params.json').mkdir()
    _refused(['run', '3.7', '--save-params', str(old), '--out', str(tmp_path)], capsys,
             'm.params.json: is a folder, not a file')
    assert old.read_bytes() == b'the old parameters'
    assert sorted(os.listdir(tmp_path)) == ['m.params', 'm.params.json']


def test_search_outputs_checked_before_any_fold(tmp_path, a_file, read_only, capsys):
    base = ['search', '3.7', '--lr', '0.1', '--wd', '0', '--batch-size', '100',
            '--num-epochs', '1', '--folds', '2', '--subset', '200', '--jobs', '1',
            '--no-progress']
    _refused(base + ['--out', str(a_file)], capsys, 'is a file, not a folder')
    _refused(base + ['--out', str(tmp_path), '--results', str(tmp_path)], capsys,
             '--results')
    _refused(base + ['--out', str(tmp_path), '--results', str(read_only / 'r.jsonl')], capsys,
             'cannot write in')
    _refused(base + ['--out', str(tmp_path), '--save-params', str(read_only / 'm.params')],
             capsys, 'cannot write in')
    assert sorted(os.listdir(tmp_path)) == ['a-file', 'read-only']  # no results, no figures


def test_evaluate_out_checked_before_the_file_is_read(a_file, capsys):
    _refused(['evaluate', '--params', 'never-read.npz', '--out', str(a_file)], capsys,
             'is a file, not a folder')


@pytest.mark.slow
def test_chapter_script_run_directly_refuses_its_out(a_file):
    """`python chapters/ch3_6_softmax_scratch.py --out FILE`: one line, exit 1, no data read."""
    script = os.path.join(REPO, 'chapters', 'ch3_6_softmax_scratch.py')
    done = subprocess.run([sys.executable, script, '--out', str(a_file)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and done.stdout == ''
    assert done.stderr.strip().splitlines() == [
        f'd2lsoftmax run 3.6: error: --out {a_file}: is a file, not a folder; give a folder '
        'for the output (missing folders are created)']


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_missing_folders_are_created(tmp_path, capsys):
    """Missing parents are made: --out a/b/c and --save-params d/e/m.params both work."""
    out, params = tmp_path / 'a' / 'b' / 'c', tmp_path / 'd' / 'e' / 'm.params'
    assert cli.main(['run', '3.7', '--num-epochs', '1', '--wd', '0.001', '--out', str(out),
                     '--save-params', str(params)]) == 0
    assert (out / '3.7_curves.png').exists() and params.exists()
    assert sorted(os.listdir(params.parent)) == ['m.params', 'm.params.json']


@pytest.mark.usefixtures('real_data')
def test_a_search_creates_its_missing_out_folder(tmp_path, monkeypatch, capsys):
    """`search` in a fresh folder: out/ (its results file and lock) and the figures are made."""
    monkeypatch.chdir(tmp_path)
    assert cli.main(['search', '3.7', '--lr', '0.1', '--wd', '0', '--batch-size', '100',
                     '--num-epochs', '1', '--folds', '2', '--subset', '400', '--jobs', '1',
                     '--no-progress']) == 0  # in this process: no pool of workers to start
    assert sorted(os.listdir(tmp_path / 'out')) == [
        'search_3.7.jsonl', 'search_3.7_best.png', 'search_3.7_cv.png']


# ------------------------------------------------------------------ the lock

def test_a_second_writer_of_one_results_file_is_refused(tmp_path):
    results = str(tmp_path / 'r.jsonl')
    with outputs.locked(results):
        assert open(results + '.lock').read().strip() == str(os.getpid())
        with pytest.raises(OutputError, match=rf'r.jsonl is being written by another search '
                                              rf'\(process {os.getpid()}\)'):
            with outputs.locked(results):
                pass
    assert os.listdir(tmp_path) == []  # released and removed
    with outputs.locked(results):  # and free again
        pass


def test_a_lock_left_by_a_killed_process_is_taken(tmp_path):
    """A lock file without a holder (its process was killed) does not block the next run."""
    results = str(tmp_path / 'r.jsonl')
    (tmp_path / 'r.jsonl.lock').write_text('12345\n')
    with outputs.locked(results):
        assert open(results + '.lock').read().strip() == str(os.getpid())


def test_the_lock_is_held_across_processes(tmp_path):
    results = str(tmp_path / 'r.jsonl')
    program = ('import sys\nfrom d2lsoftmax.util import outputs\n'
               'try:\n    with outputs.locked(sys.argv[1]):\n        pass\n'
               'except outputs.OutputError as e:\n    print(e)\n')
    with outputs.locked(results):
        done = subprocess.run([sys.executable, '-c', program, results], capture_output=True,
                              text=True, timeout=60)
    assert f'being written by another search (process {os.getpid()})' in done.stdout


# ------------------------------------------------ writing: whole, or not at all

ERRORS = {errno.ENOSPC: 'no space left on device', errno.EIO: 'input/output error',
          errno.EROFS: 'read-only file system', errno.EDQUOT: 'disk quota exceeded'}


def test_a_replaced_file_is_whole_with_the_usual_mode_and_nothing_beside_it(tmp_path):
    path = tmp_path / 'new' / 'f.png'
    assert outputs.write_bytes(path, b'content') == path
    assert path.read_bytes() == b'content' and os.listdir(path.parent) == ['f.png']
    mask = os.umask(0o022)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # as open() makes it, not private


@pytest.mark.parametrize('code', ERRORS, ids=[errno.errorcode[c] for c in ERRORS])
def test_a_failed_write_keeps_the_old_file_and_no_temporary(tmp_path, code):
    path = tmp_path / 'f.png'
    path.write_bytes(b'old')
    with pytest.raises(WriteError) as info:
        with outputs.replacing(path) as tmp, open(tmp, 'wb') as f:
            f.write(b'half')
            f.flush()
            raise OSError(code, os.strerror(code))
    message = str(info.value)
    assert message.startswith(f'{path}: cannot be written ({ERRORS[code]}); nothing '
                              'half-written was left') and '\n' not in message
    assert path.read_bytes() == b'old' and os.listdir(tmp_path) == ['f.png']


def test_a_write_error_travels_from_a_worker_whole():
    """joblib and Dask pickle a worker's error to send it to the parent."""
    import pickle
    error = outputs.write_error('/x/f.png', OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.path, copy.reason) == (
        WriteError, str(error), '/x/f.png', 'no space left on device')


def test_a_write_that_fails_to_reach_the_disk_keeps_the_old_file(tmp_path, monkeypatch):
    """fsync is where a full NFS or a failing disk says so: still the old file, no temporary."""
    path = tmp_path / 'f.png'
    path.write_bytes(b'old')

    def failing(fd):
        raise OSError(errno.EIO, os.strerror(errno.EIO))
    monkeypatch.setattr(os, 'fsync', failing)
    with pytest.raises(WriteError, match=r'f\.png: cannot be written \(input/output error\)'):
        outputs.write_bytes(path, b'new')
    monkeypatch.undo()
    assert path.read_bytes() == b'old' and os.listdir(tmp_path) == ['f.png']


def test_an_interrupted_write_passes_the_interrupt_on_and_keeps_the_old_file(tmp_path):
    path = tmp_path / 'f.png'
    path.write_bytes(b'old')
    with pytest.raises(KeyboardInterrupt):
        with outputs.replacing(path) as tmp, open(tmp, 'wb') as f:
            f.write(b'half')
            raise KeyboardInterrupt
    assert path.read_bytes() == b'old' and os.listdir(tmp_path) == ['f.png']


def test_a_failed_append_leaves_the_earlier_lines_as_they_were(tmp_path, monkeypatch):
    """The disk takes half the line, then refuses: the half is cut off again."""
    path = tmp_path / 'r.jsonl'
    path.write_bytes(b'{"key": 1}\n{"key": 2}\n')
    real_write, calls = os.write, []

    def half_then_full(fd, content):
        if os.fstat(fd).st_ino != path.stat().st_ino:
            return real_write(fd, content)
        calls.append(len(content))
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, bytes(content[:len(content) // 2]))
    monkeypatch.setattr(os, 'write', half_then_full)
    with pytest.raises(WriteError, match=r'r\.jsonl: cannot be written \(no space left on '
                                         r'device\); nothing half-written'):
        outputs.append_line(path, '{"key": 3, "records": "%s"}' % ('x' * 100))
    monkeypatch.undo()
    assert len(calls) == 2  # half of it was written, then the disk was full
    assert path.read_bytes() == b'{"key": 1}\n{"key": 2}\n'
    outputs.append_line(path, '{"key": 3}')
    assert path.read_bytes() == b'{"key": 1}\n{"key": 2}\n{"key": 3}\n'


def test_one_lock_helper_for_folders_and_lock_files(tmp_path):
    """flock: a folder is locked as it is, a lock file is created; shared locks coexist,
    an exclusive one is refused without waiting."""
    lock = str(tmp_path / 'x.lock')
    with outputs.flock(str(tmp_path), shared=True), outputs.flock(str(tmp_path), shared=True):
        with pytest.raises(BlockingIOError):
            with outputs.flock(str(tmp_path), wait=False):
                pass
    with outputs.flock(lock):
        with pytest.raises(BlockingIOError):
            with outputs.flock(lock, wait=False):
                pass
    with outputs.flock(lock, wait=False):  # released with its fd
        pass


# ------------------------------------ a full disk and a read-only mount, for real

def _png_is_whole(content):
    return content.startswith(b'\x89PNG\r\n\x1a\n') and content.endswith(b'IEND\xaeB`\x82')


def _one_error_line(result, needle):
    """The command stopped with status 1 and a single stderr line that contains `needle`."""
    assert result.code == 1, (result.out[-3:], result.err)
    assert len(result.err) == 1 and needle in result.err[0], result.err
    assert 'Traceback' not in result.err[0]
    return result.err[0]


def _no_temporaries(files):
    assert not [n for n in files if n.endswith(('.tmp', '.part', '.lock'))], sorted(files)


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_a_full_disk_leaves_whole_figures_and_one_line(tiny_disk):
    """run 3.6 --out on a 64 KiB tmpfs: the figure that does not fit is one line naming it,
    exit 1; the figures saved before are whole, nothing is half-written."""
    result = tiny_disk(['run', '3.6', '--num-epochs', '1', '--out', 'DISK'],
                       files={'earlier.txt': b'written before'})
    line = _one_error_line(result, 'cannot be written (no space left on device); nothing '
                           'half-written was left and files written before are kept')
    assert re.search(r'disk/3\.6_(predictions|curves)\.png: cannot be written', line), line
    assert result.files.pop('earlier.txt') == b'written before'
    saved = {os.path.basename(l.split()[1]) for l in result.out if l.startswith('saved ')}
    assert set(result.files) == saved  # only the figures said to be saved, each whole
    assert all(_png_is_whole(content) for content in result.files.values())


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_a_folder_turned_read_only_mid_run_is_one_line(tiny_disk):
    """The output folder's file system is remounted read-only while the chapter trains (after
    --out was checked): the first figure is refused in one line, nothing is left."""
    result = tiny_disk(['run', '3.6', '--num-epochs', '2', '--out', 'DISK'],
                       files={'earlier.txt': b'written before'}, kib=1024,
                       then='while kill -0 $pid 2>/dev/null && ! grep -q "^epoch 1," "$OUT"; '
                            'do sleep 0.05; done; mount -o remount,ro "$DISK"')
    assert 'epoch 1,' in '\n'.join(result.out)
    _one_error_line(result, '3.6_predictions.png: cannot be written (read-only file system)')
    assert result.files == {'earlier.txt': b'written before'}


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
@pytest.mark.parametrize('section, name', [('3.7', 'm.params'), ('3.6', 'w.npz')])
def test_a_full_disk_keeps_the_old_parameters(tiny_disk, tmp_path, section, name):
    """--save-params onto a full disk (Gluon's and NumPy's writers): one line, exit 1, the old
    pair as it was, no .part."""
    old = {name: b'the old parameters', name + '.json': b'{"the": "old record"}'}
    result = tiny_disk(['run', section, '--num-epochs', '1', '--wd', '0.001', '--save-params',
                        f'DISK/{name}', '--out', str(tmp_path / 'figures')],
                       files=old, free_kib=8)
    _one_error_line(result, f'disk/{name}: could not save the parameters (no space left on '
                    'device); the previous file, if any, is unchanged')
    assert result.files == old


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_a_full_disk_leaves_the_earlier_results_lines(tiny_disk, tmp_path):
    """A search appending its first fold to a results file on a full disk: the disk takes part
    of the line, then refuses; the line is cut off again and the earlier lines stay intact."""
    earlier = b''.join(json.dumps({'key': f'an earlier fold {i:02}', 'val_acc': 0.5,
                                   'pad': 'x' * 60}).encode() + b'\n' for i in range(34))
    assert 3900 < len(earlier) < 4096  # one page of the tmpfs, almost full
    result = tiny_disk(['search', '3.7', '--lr', '0.1', '--wd', '0', '--batch-size', '100',
                        '--num-epochs', '1', '--folds', '2', '--subset', '400', '--jobs', '1',
                        '--no-progress', '--results', 'DISK/r.jsonl',
                        '--out', str(tmp_path / 'figures')],
                       files={'r.jsonl': earlier}, free_kib=0)
    _one_error_line(result, 'disk/r.jsonl: cannot be written (no space left on device)')
    assert any('to run' in line for line in result.out)  # a fold was trained first
    assert result.files == {'r.jsonl': earlier}


@pytest.mark.slow
def test_a_full_disk_leaves_whole_notebooks(tiny_disk):
    result = tiny_disk(['notebook', 'all', '--out', 'DISK'], free_kib=32)
    _one_error_line(result, '.ipynb: cannot be written (no space left on device)')
    assert 1 <= len(result.files) < 9
    for name, content in result.files.items():
        assert name.endswith('.ipynb') and json.loads(content)['cells'], name
