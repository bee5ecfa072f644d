"""Issue 11, items 1 and 9 (lock): every output path is checked before any data is read.

Read-only folders are made so that root cannot write in them either (chattr +i, or
chmod for other users); where neither can be set up the tests say why and skip.
"""
import os
import subprocess
import sys

import pytest

from d2lsoftmax import cli, outputs
from d2lsoftmax.outputs import OutputError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------- a read-only folder

def _writable(folder):
    """True when a file can really be created in `folder` (as the tests' user)."""
    try:
        with open(os.path.join(folder, '.probe'), 'w'):
            pass
    except OSError:
        return False
    os.remove(os.path.join(folder, '.probe'))
    return True


def _make_read_only(folder):
    """Make `folder` unwritable even for root; returns how to undo it, or None."""
    if os.geteuid() != 0:
        os.chmod(folder, 0o555)
        return lambda: os.chmod(folder, 0o755)
    done = subprocess.run(['chattr', '+i', str(folder)], capture_output=True)
    if done.returncode == 0:
        return lambda: subprocess.run(['chattr', '-i', str(folder)], check=True)
    return None


@pytest.fixture
def read_only(tmp_path):
    """A folder nobody can write in (holding one file, old.txt), undone after the test."""
    folder = tmp_path / 'read-only'
    folder.mkdir()
    (folder / 'old.txt').write_text('old')
    try:
        undo = _make_read_only(folder)
    except (OSError, FileNotFoundError):
        undo = None
    if undo is None or _writable(folder):
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
                     '--num-epochs', '1', '--folds', '2', '--subset', '400',
                     '--no-progress']) == 0
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
    program = ('import sys\nfrom d2lsoftmax import outputs\n'
               'try:\n    with outputs.locked(sys.argv[1]):\n        pass\n'
               'except outputs.OutputError as e:\n    print(e)\n')
    with outputs.locked(results):
        done = subprocess.run([sys.executable, '-c', program, results], capture_output=True,
                              text=True, timeout=60)
    assert f'being written by another search (process {os.getpid()})' in done.stdout
