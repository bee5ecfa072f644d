"""A parameter file and its record are one unit (a save killed at any moment loads as the
old pair or the new one), and `evaluate` refuses every broken file with one message naming
it, never a traceback.

Models are built, not trained (their weights set to a known value), so no data is read.
"""
import json
import os
import pickle
import random
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
from mxnet import nd

from d2lsoftmax.experiments import checkpoint
from d2lsoftmax import cli, models
from d2lsoftmax.util import outputs
from d2lsoftmax.experiments.checkpoint import CheckpointError
from d2lsoftmax.sections import chapter_args
from support.files import make_read_only, writable

RELEASE = '2017-08-31'
TAGS = {'A': (1.0, 300), 'B': (2.0, 400)}  # tag: (every weight's value, num_hiddens) of 3.9


def _built(section, value=None, **options):
    """(model, args) of chapter `section`, every parameter set to `value`."""
    args = chapter_args(section, **options)
    model = models.build(section, args)
    model.net(nd.zeros((1, 1, 28, 28)))  # Gluon infers its shapes on a first batch
    if value is not None:
        for p in model.named_params().values():
            p[:] = value
    return model, args


def _save(path, section='3.9', tag='A'):
    """Save chapter 3.9's model tagged `tag` (see TAGS) to `path`; returns path."""
    value, hiddens = TAGS[tag]
    model, args = _built(section, value, num_hiddens=hiddens)
    return checkpoint.save(path, model, section, args, {'tag': tag}, release=RELEASE)


def _loaded_tag(path):
    """The tag of the model `path` loads as, after checking record and values agree."""
    model, meta = checkpoint.load(path)
    tag = meta['settings']['tag']
    value, hiddens = TAGS[tag]
    assert meta['chapter_args']['num_hiddens'] == hiddens
    for name, p in model.named_params().items():
        assert np.all(p.asnumpy() == value), f'{name} is not all {value}: a mixed pair'
    return tag


# ------------------------------------------------------ one unit: crash states

def test_a_save_leaves_the_pair_and_nothing_else(tmp_path):
    path = _save(str(tmp_path / 'm.npz'))
    assert sorted(os.listdir(tmp_path)) == ['m.npz', 'm.npz.json']
    record = json.load(open(checkpoint.meta_path(path)))
    assert record['params_sha256'] == checkpoint._sha256(path)
    _save(path, tag='B')
    assert _loaded_tag(path) == 'B' and sorted(os.listdir(tmp_path)) == ['m.npz', 'm.npz.json']


def _crash_state(tmp_path, committed):
    """The pair A in old/ as a save of B killed before (or after) its commit leaves it."""
    old, new = tmp_path / 'old', tmp_path / 'new'
    old.mkdir()
    new.mkdir()
    path = _save(str(old / 'm.npz'), tag='A')
    _save(str(new / 'm.npz'), tag='B')
    shutil.copy(new / 'm.npz', old / 'm.npz.part')
    if committed:  # the record was renamed, the parameters not yet
        shutil.copy(new / 'm.npz.json', old / 'm.npz.json')
    else:
        shutil.copy(new / 'm.npz.json', old / 'm.npz.json.part')
    return path


def test_a_save_killed_before_its_commit_leaves_the_old_pair(tmp_path):
    path = _crash_state(tmp_path, committed=False)
    assert _loaded_tag(path) == 'A'
    _save(path, tag='B')  # the next save clears what the crash left
    assert _loaded_tag(path) == 'B'
    assert sorted(os.listdir(tmp_path / 'old')) == ['m.npz', 'm.npz.json']


def test_a_save_killed_between_its_renames_is_finished_by_the_next_load(tmp_path):
    path = _crash_state(tmp_path, committed=True)
    assert _loaded_tag(path) == 'B'
    assert sorted(os.listdir(tmp_path / 'old')) == ['m.npz', 'm.npz.json']


def test_a_save_killed_between_its_renames_is_finished_by_the_next_save(tmp_path):
    path = _crash_state(tmp_path, committed=True)
    _save(path, tag='A')
    assert _loaded_tag(path) == 'A'
    assert sorted(os.listdir(tmp_path / 'old')) == ['m.npz', 'm.npz.json']


def test_a_half_written_part_is_ignored(tmp_path):
    path = _save(str(tmp_path / 'm.npz'), tag='A')
    (tmp_path / 'm.npz.part').write_bytes(b'PK\x03\x04 cut short')
    assert _loaded_tag(path) == 'A'


def test_an_unfinished_save_in_a_read_only_folder_says_how_to_finish_it(tmp_path):
    path = _crash_state(tmp_path, committed=True)
    undo = make_read_only(tmp_path / 'old')
    try:
        if undo is None or writable(tmp_path / 'old'):
            pytest.skip('cannot make a folder read-only here (root without chattr +i)')
        with pytest.raises(CheckpointError, match=r'interrupted between its two renames.*'
                                                  r'rename that file'):
            checkpoint.load(path)
    finally:
        if undo:
            undo()


def test_a_file_replaced_after_the_save_is_refused(tmp_path):
    path = _save(str(tmp_path / 'm.npz'), tag='A')
    other = _save(str(tmp_path / 'other.npz'), tag='A')
    with np.load(other) as f:
        arrays = {n: f[n] * 1.0 for n in f.files}
    arrays['W1'][0, 0] = 5.0  # same names and shapes, other values
    with open(path, 'wb') as f:
        np.savez(f, **arrays)
    with pytest.raises(CheckpointError, match='not the parameters its record'):
        checkpoint.load(path)


def test_a_record_that_is_a_folder_is_refused_before_anything_is_written(tmp_path):
    path = tmp_path / 'm.npz'
    path.write_bytes(b'old parameters')
    (tmp_path / 'm.npz.json').mkdir()
    with pytest.raises(ValueError, match=r'm\.npz\.json: is a folder, not a file'):
        _save(str(path))
    assert path.read_bytes() == b'old parameters'
    assert sorted(os.listdir(tmp_path)) == ['m.npz', 'm.npz.json']


def test_a_failing_disk_keeps_the_old_pair_and_no_part(tmp_path, monkeypatch):
    path = _save(str(tmp_path / 'm.npz'), tag='A')

    def full(*args):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(outputs, 'fsync', full)
    with pytest.raises(CheckpointError, match='no space left on device.*unchanged'):
        _save(path, tag='B')
    monkeypatch.undo()
    assert _loaded_tag(path) == 'A'
    assert sorted(os.listdir(tmp_path)) == ['m.npz', 'm.npz.json']


def test_an_interrupted_save_leaves_no_part(tmp_path, monkeypatch):
    """Ctrl-C while the parameters are being written: old pair kept, no .part left."""
    path = _save(str(tmp_path / 'm.npz'), tag='A')

    def interrupted(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(checkpoint, '_sha256', interrupted)
    with pytest.raises(KeyboardInterrupt):
        _save(path, tag='B')
    monkeypatch.undo()
    assert _loaded_tag(path) == 'A'
    assert sorted(os.listdir(tmp_path)) == ['m.npz', 'm.npz.json']


# -------------------------------------------------------------- the kill loop

ZYGOTE = '''
import os, sys
from d2lsoftmax.experiments import checkpoint
from d2lsoftmax import models
from d2lsoftmax.sections import chapter_args
path = sys.argv[1]
built = {}
for tag, value, hiddens in (('A', 1.0, 300), ('B', 2.0, 400)):
    args = chapter_args('3.9', num_hiddens=hiddens)
    model = models.build('3.9', args)
    for p in model.params:
        p[:] = value
    built[tag] = model, args
print('ready', flush=True)
for line in sys.stdin:  # one round per line: fork a saver of A and one of B, wait for both
    pids = []
    for tag, (model, args) in built.items():
        pid = os.fork()
        if pid == 0:  # a saver: real saves over one file, until it is killed
            while True:
                checkpoint.save(path, model, '3.9', args, {'tag': tag}, release='2017-08-31')
        pids.append(pid)
    print(*pids, flush=True)
    for pid in pids:
        os.waitpid(pid, 0)
    print('reaped', flush=True)
'''


@pytest.mark.slow
def test_saves_killed_at_random_moments_always_load_as_old_or_new(tmp_path):
    """40 rounds: two processes save A and B over one file, in a loop, and both are
    SIGKILLed at a random moment; the pair then loads as A or as B, never a mix or an error.

    The savers are forked from one process that imported MXNet once, so a round costs
    milliseconds, not an interpreter start; they run checkpoint.save itself.
    """
    script = tmp_path / 'zygote.py'
    script.write_text(ZYGOTE)
    folder = tmp_path / 'models'
    folder.mkdir()
    path = _save(str(folder / 'm.npz'), tag='A')
    zygote = subprocess.Popen([sys.executable, str(script), path], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    rng, seen = random.Random(11), {'A': 0, 'B': 0, 'parts left': 0,
                                   'finished by the load': 0}
    try:
        assert zygote.stdout.readline() == 'ready\n'
        for _ in range(40):
            zygote.stdin.write('round\n')
            zygote.stdin.flush()
            pids = [int(pid) for pid in zygote.stdout.readline().split()]
            time.sleep(rng.uniform(0, 0.3))
            for pid in pids:
                os.kill(pid, 9)
            assert zygote.stdout.readline() == 'reaped\n'
            seen['parts left'] += any(name.endswith('.part') for name in os.listdir(folder))
            seen['finished by the load'] += not checkpoint._is_recorded(path)
            seen[_loaded_tag(path)] += 1
            assert not [n for n in os.listdir(folder) if n.endswith('.tmp')]
    finally:
        zygote.kill()
        zygote.communicate()
    print('kill loop:', seen)
    assert seen['A'] + seen['B'] == 40
    _save(path, tag='B')  # nothing left behind trips a later save
    assert _loaded_tag(path) == 'B' and sorted(os.listdir(folder)) == ['m.npz', 'm.npz.json']


# ------------------------------------------------ evaluate: one message, no traceback

@pytest.fixture
def saved(tmp_path):
    """{'scratch': path, 'concise': path}: chapter 3.6 and 3.7 models saved in tmp_path."""
    paths = {}
    for section, name in (('3.6', 'w.npz'), ('3.7', 'm.params')):
        model, args = _built(section, 0.01)
        paths[checkpoint.chapter_kind(section)] = checkpoint.save(
            str(tmp_path / name), model, section, args, release=RELEASE)
    return paths


def _evaluate_refuses(path, capsys, *needles, tmp_out=None):
    """`evaluate --params path` exits 1 with one or two stderr lines naming the file."""
    out_dir = tmp_out or os.path.dirname(path)
    code = cli.main(['evaluate', '--params', str(path), '--out', str(out_dir)])
    out, err = capsys.readouterr()
    assert code == 1, (out, err)
    assert 'Traceback' not in err and 'pickle' not in err.lower() and 'test acc' not in out
    lines = err.strip().splitlines()
    assert 1 <= len(lines) <= 2 and lines[0].startswith('d2lsoftmax: error: '), err
    assert str(path) in err, f'the message does not name {path}: {err}'
    for needle in needles:
        assert needle in err, err
    return err


def _rewrite_record(path, change):
    record_path = checkpoint.meta_path(path)
    record = json.load(open(record_path))
    change(record)
    with open(record_path, 'w') as f:
        json.dump(record, f)


@pytest.mark.parametrize('kind', ['scratch', 'concise'])
@pytest.mark.parametrize('damage, needle', [
    (lambda b: b[:len(b) // 2], 'damaged or truncated'),
    (lambda b: b[:40], 'damaged or truncated'),
    (lambda b: b'', 'the file is empty'),
    (lambda b: bytes(random.Random(0).randrange(256) for _ in range(2000)), 'does not start'),
    (lambda b: pickle.dumps({'W': np.zeros(3)}), 'does not start like one'),
])
def test_damaged_parameter_files(saved, kind, damage, needle, capsys):
    path = saved[kind]
    content = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(damage(content))
    _evaluate_refuses(path, capsys, needle)


def test_random_bytes_behind_a_zip_signature_and_a_npy_file(saved, capsys):
    path = saved['scratch']
    with open(path, 'wb') as f:
        f.write(b'PK\x03\x04' + bytes(random.Random(1).randrange(256) for _ in range(500)))
    _evaluate_refuses(path, capsys, 'damaged or truncated')
    with open(path, 'wb') as f:
        np.save(f, np.zeros((784, 10), 'float32'))  # .npy, not .npz
    _evaluate_refuses(path, capsys, 'does not start like one')


def test_python_objects_in_an_npz_are_never_loaded(saved, capsys):
    path = saved['scratch']
    with open(path, 'wb') as f:
        np.savez(f, W=np.array([{'evil': 1}], dtype=object), b=np.zeros(10, 'float32'))
    _evaluate_refuses(path, capsys, 'Python objects, which are never loaded')


def test_text_arrays_are_refused(saved, capsys):
    path = saved['scratch']
    with open(path, 'wb') as f:
        np.savez(f, W=np.array(['a', 'b']), b=np.zeros(10, 'float32'))
    _evaluate_refuses(path, capsys, 'not numbers')


@pytest.mark.parametrize('field', ['chapter_args', 'section', 'kind'])
def test_a_record_missing_a_field(saved, field, capsys):
    _rewrite_record(saved['scratch'], lambda r: r.pop(field))
    _evaluate_refuses(saved['scratch'], capsys, f'lacks {field}')


@pytest.mark.parametrize('section, needle', [
    (3.6, 'is not a chapter'), (['3.6'], 'is not a chapter'), (None, 'is not a chapter'),
    ('9.9', 'is not a chapter'), ('3.5', 'chapter 3.5 trains no model'),
    ('3.8', 'chapter 3.8 trains no model'), ('3.7', 'saved as a scratch model')])
def test_a_record_naming_another_section(saved, section, needle, capsys):
    _rewrite_record(saved['scratch'], lambda r: r.update(section=section))
    _evaluate_refuses(saved['scratch'], capsys, needle)


@pytest.mark.parametrize('value, needle', [
    (-5, 'num_hiddens=-5'), ('abc', 'expected int'), (99999999999, '1 to 10000'),
    (2.5, 'expected int'), (True, 'expected int'), (None, 'expected int'), (0, 'out of range')])
def test_a_record_with_invalid_num_hiddens(tmp_path, value, needle, capsys):
    path = _save(str(tmp_path / 'm.npz'), tag='A')
    _rewrite_record(path, lambda r: r['chapter_args'].update(num_hiddens=value))
    _evaluate_refuses(path, capsys, needle)


@pytest.mark.parametrize('change, needle', [
    (lambda r: r.update(chapter_args=['lr', 0.1]), 'chapter_args must be a mapping'),
    (lambda r: r.update(kind='keras'), "kind 'keras' is neither"),
    (lambda r: r['chapter_args'].update(lr=float('nan')), 'lr=nan'),
    (lambda r: r.update(version=7), 'record version 7'),
    (lambda r: r.update(format='other'), 'not a d2lsoftmax parameter record')])
def test_other_broken_records(saved, change, needle, capsys):
    _rewrite_record(saved['scratch'], change)
    _evaluate_refuses(saved['scratch'], capsys, needle)


@pytest.mark.parametrize('content, needle', [
    (b'', 'not a readable JSON record'), (b'{"format": ', 'not a readable JSON record'),
    (b'[1, 2]', 'not a d2lsoftmax parameter record'), (b'\xff\xfe\x00', 'not a readable')])
def test_unreadable_records(saved, content, needle, capsys):
    with open(checkpoint.meta_path(saved['concise']), 'wb') as f:
        f.write(content)
    _evaluate_refuses(saved['concise'], capsys, needle)


def test_a_record_or_file_that_is_a_folder(saved, tmp_path, capsys):
    os.remove(checkpoint.meta_path(saved['scratch']))
    os.mkdir(checkpoint.meta_path(saved['scratch']))
    _evaluate_refuses(saved['scratch'], capsys, 'is a folder, not a file')
    folder = tmp_path / 'folder.npz'
    folder.mkdir()
    _evaluate_refuses(folder, capsys, 'is a folder, not a parameter file', tmp_out=tmp_path)
    _evaluate_refuses(tmp_path / 'absent.npz', capsys, 'no such parameter file',
                      tmp_out=tmp_path)


@pytest.mark.parametrize('section', ['3.6', '3.7'])
def test_all_nan_parameters_are_refused_not_scored(section, tmp_path, capsys):
    model, args = _built(section, float('nan'))
    path = checkpoint.save(str(tmp_path / ('m' + checkpoint.SUFFIX[checkpoint.chapter_kind(
        section)])), model, section, args, release=RELEASE)
    _evaluate_refuses(path, capsys, 'are nan or inf', 'lower learning rate')
