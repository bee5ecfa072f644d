"""Save and load trained parameters: scratch as NumPy .npz, concise with Gluon's save_parameters.

Beside the parameter file FILE a small record FILE.json says which chapter's
model they belong to (section, its options, scratch or concise, the shapes, the
release), so `load` can rebuild the model and refuse a file that does not fit it.

The two files are one unit; a save replaces the previous pair whole or not at all:

1. every path is checked first (outputs.check_file: FILE and FILE.json not folders,
   their folder writable), so a bad path fails before anything is written;
2. the parameters are written in full to FILE.part and the record, which carries the
   SHA-256 of those parameters, to FILE.json.part, both forced to disk (outputs.written);
3. FILE.json.part is renamed onto FILE.json (the commit), then FILE.part onto FILE.

A failure before the commit (a full disk, an I/O error: one CheckpointError naming FILE
and the reason) removes the .part files and leaves the old pair as it was; so does a
crash, whose .part files the next save of FILE removes. A crash between the two renames
leaves the new record, the old FILE and the new parameters in FILE.part: the record's
SHA-256 shows that FILE is not its file and that FILE.part is, and the next load or save
finishes the rename.
So a load always gets the old pair or the new one, never a mix. Saves into one folder
take turns (an flock on the folder), so two processes saving one FILE cannot mix
their halves. Records without the SHA-256 (older saves) load as before.

Loading refuses, with one message naming the file: an empty, truncated or foreign
file, a record lacking a field or naming a chapter that trains no model, options
out of range (limits.check), parameters of other names or shapes, and parameters
holding nan or inf (a diverged training).
"""
import contextlib
import errno
import hashlib
import json
import os
import struct

import numpy as np
from mxnet import nd
from mxnet.base import MXNetError

from d2lsoftmax.util import limits, outputs
from d2lsoftmax import models
from d2lsoftmax.sections import (chapter, chapter_args, chapters, not_trained_by_the_library,
                                 training_sections)

FORMAT = 'd2lsoftmax-params'
VERSION = 1
SUFFIX = {'scratch': '.npz', 'concise': '.params'}
PART = '.part'  # FILE.part, FILE.json.part: a save's halves before they are renamed
NPZ_MAGIC = (b'PK\x03\x04', b'PK\x05\x06')  # a zip archive, or an empty one
GLUON_MAGIC = struct.pack('<Q', 0x112)  # MXNet's NDArray list file (nd.save)
KINDS = {'scratch': 'NumPy .npz', 'concise': 'Gluon parameter'}


class CheckpointError(ValueError):
    """A parameter file that is missing, unreadable, or not of the model it is loaded into."""


def meta_path(path):
    """Where the metadata record of parameter file `path` lives: path + '.json'."""
    return str(path) + '.json'


# --------------------------------------------------------------------- saving

def check_path(path, model_kind):
    """CheckpointError unless `path` has the suffix of a `model_kind` parameter file."""
    if not str(path).endswith(SUFFIX[model_kind]):
        raise CheckpointError(
            f'{path}: a {model_kind} model is saved as a {SUFFIX[model_kind]} file '
            f'({"NumPy savez" if model_kind == "scratch" else "Gluon save_parameters"}); '
            f'name it e.g. model{SUFFIX[model_kind]}.')


def check_target(path, section, option='--save-params'):
    """Everything a save of chapter `section`'s model to `path` needs, checked before any work:
    the suffix, FILE and FILE.json not folders, their folder writable (outputs.OutputError)."""
    check_path(path, chapter_kind(section))
    outputs.check_file(path, option)
    outputs.check_file(meta_path(path), f'{option} record')


def chapter_kind(section):
    """'scratch' or 'concise': what chapter `section`'s model is (built once to see)."""
    return chapter(section).kind


def save(path, model, section, args, settings=None, release=None):
    """Write `model`'s parameters to `path` and its record to path.json; returns path.

    `release`: the Fashion-MNIST release it trained on (None: the one a load finds now).
    The pair is replaced whole or not at all (see the module's docstring).
    """
    path = str(path)
    check_path(path, model.kind)
    outputs.check_file(path, 'parameter file')
    outputs.check_file(meta_path(path), 'parameter record')
    params = model.named_params()
    meta = {'format': FORMAT, 'version': VERSION, 'section': section, 'kind': model.kind,
            'chapter_args': {k: v for k, v in vars(args).items()
                             if isinstance(v, (bool, int, float, str))},
            'shapes': {n: list(p.shape) for n, p in params.items()},
            'settings': settings or {}, 'release': release or _release_now()}
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with _folder_lock(path):
            _settle(path)  # what an earlier crashed save left: finish it or drop it
            _write_pair(path, meta, lambda part: _write_params(part, model, params))
    except (OSError, outputs.WriteError) as e:
        reason = e.reason if isinstance(e, outputs.WriteError) else outputs.reason(e)
        raise CheckpointError(f'{path}: could not save the parameters ({reason}); the '
                              'previous file, if any, is unchanged.') from None
    return path


def _write_params(part, model, params):
    """Write the parameters ({name: NDArray}) to `part` in the model's format."""
    try:
        model.save_params(part)
    except MXNetError:  # "FileStream.Write incomplete": MXNet's C++ stream does not say why
        raise _incomplete(part, sum(p.size * np.dtype(p.dtype).itemsize
                                    for p in params.values())) from None


def _incomplete(part, size):
    """The OSError of a parameter file MXNet could not write whole: no space where its folder
    has less room than the `size` bytes of parameters, else an I/O error."""
    try:
        stats = os.statvfs(os.path.dirname(os.path.abspath(part)))
        full = stats.f_bavail * stats.f_frsize < size
    except OSError:
        full = False
    code = errno.ENOSPC if full else errno.EIO
    return OSError(code, os.strerror(code), part)


def _write_pair(path, meta, write_params):
    """Steps 2 and 3 of a save: both halves to .part files, then the two renames.

    A failure before the commit drops both .part files; one between the renames finishes
    the second (`_settle` tells the two apart by the record's SHA-256).
    """
    part = path + PART
    try:
        with outputs.written(part, name=path) as target:
            write_params(target)
        meta = {**meta, 'params_sha256': _sha256(part)}
        with outputs.replacing(meta_path(path), temporary=meta_path(path) + PART) as target, \
                open(target, 'w') as f:
            json.dump(meta, f)  # renamed onto FILE.json when whole: the commit
        os.replace(part, path)
    except BaseException:
        with contextlib.suppress(OSError):
            _settle(path)
        raise
    finally:
        outputs.fsync_folder(path)


def _sha256(path):
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def _folder_lock(path, shared=False):
    """An flock on `path`'s folder: exclusive while a pair is written or repaired there,
    shared while one is read."""
    with contextlib.ExitStack() as stack:
        with contextlib.suppress(OSError):  # a folder that cannot be opened: no turns
            stack.enter_context(outputs.flock(os.path.dirname(os.path.abspath(path)), shared))
        yield


def _record_digest(path):
    """The params_sha256 the record of `path` names, or None (no record, older record)."""
    try:
        with open(meta_path(path)) as f:
            meta = json.load(f)
        return meta.get('params_sha256') if isinstance(meta, dict) else None
    except (OSError, ValueError):
        return None


def _settle(path):
    """After a crashed save: finish its rename if it committed, else drop its .part files.

    Returns True when FILE is the file its record names (or the record names none).
    Call with the folder locked.
    """
    part, meta_part = path + PART, meta_path(path) + PART
    digest = _record_digest(path)
    matches = digest is None or (os.path.isfile(path) and _sha256(path) == digest)
    if os.path.isfile(part):
        if not matches and _sha256(part) == digest:
            os.replace(part, path)  # the commit happened: these are the record's parameters
            outputs.fsync_folder(path)
            matches = True
        else:
            os.remove(part)  # a save that never committed: the old pair stands
    if os.path.isfile(meta_part):
        os.remove(meta_part)
    return matches


def _release_now():
    """The Fashion-MNIST release a load uses now, or None when no data is found."""
    from d2lsoftmax import data
    try:
        return data.locate(download=False).release
    except data.DataError:
        return None


# -------------------------------------------------------------------- loading

def read_meta(path):
    """The record saved beside parameter file `path`; CheckpointError if absent or foreign."""
    path = str(path)
    if os.path.isdir(path):
        raise CheckpointError(f'{path}: is a folder, not a parameter file.')
    if not os.path.isfile(path):
        raise CheckpointError(f'{path}: no such parameter file.')
    record = meta_path(path)
    try:
        with open(record, encoding='utf-8') as f:
            meta = json.load(f)
    except FileNotFoundError:
        raise CheckpointError(
            f'{path}: its record {record} is missing; it says which chapter the '
            'parameters belong to. Copy it along with the file, or save the model again '
            'with `d2lsoftmax run SECTION --save-params FILE`.') from None
    except IsADirectoryError:
        raise CheckpointError(f'{path}: its record {record} is a folder, not a file.') from None
    except (OSError, ValueError) as e:
        reason = getattr(e, 'strerror', None) or type(e).__name__.replace('Error', ' error')
        raise CheckpointError(f'{record}: not a readable JSON record ({reason}).') from None
    if not isinstance(meta, dict) or meta.get('format') != FORMAT:
        raise CheckpointError(f'{record}: not a d2lsoftmax parameter record.')
    if meta.get('version') != VERSION:
        raise CheckpointError(f'{record}: record version {meta.get("version")}, '
                              f'this d2lsoftmax reads version {VERSION}.')
    check_record(record, meta)
    return meta


def check_record(record, meta):
    """CheckpointError naming `record` unless it names a training chapter, its kind and
    valid options (the fields `load` needs to rebuild the model)."""
    missing = [k for k in ('section', 'kind', 'chapter_args') if k not in meta]
    if missing:
        raise CheckpointError(f'{record}: the record lacks {", ".join(missing)}: it was not '
                              'written by --save-params, or was edited; save the model again.')
    section, model_kind, options = meta['section'], meta['kind'], meta['chapter_args']
    if not isinstance(section, str) or section not in chapters():
        raise CheckpointError(f'{record}: section {section!r} is not a chapter of this '
                              f'd2lsoftmax ({", ".join(chapters())}).')
    if section not in training_sections():
        raise CheckpointError(f'{record}: chapter {section} '
                              f'{not_trained_by_the_library(chapter(section))}, so no '
                              'parameters saved by d2lsoftmax can be of it.')
    if model_kind not in SUFFIX:
        raise CheckpointError(f'{record}: kind {model_kind!r} is neither scratch nor concise.')
    if not isinstance(options, dict):
        raise CheckpointError(f'{record}: chapter_args must be a mapping of option to value, '
                              f'got {type(options).__name__}.')
    found = chapter(section)
    for name, default in {**found.defaults, **found.options}.items():
        if name in options:
            _check_option(record, name, options[name], default)


def _check_option(record, name, value, default):
    """CheckpointError unless a recorded option has its default's type and a usable value."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    else:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        ok = ok and (isinstance(default, float) or float(value).is_integer())
    reason = None if ok else f'expected {type(default).__name__}'
    if ok and not isinstance(default, bool):
        try:
            limits.check(name, value)
        except limits.UsageError as e:
            reason = str(e)
    if reason:
        raise CheckpointError(f'{record}: chapter_args {name}={value!r} is not usable '
                              f'({reason}); save the model again.')


def read_arrays(path, model_kind):
    """{name: array} held by a .npz (scratch) or Gluon .params (concise) file."""
    what = KINDS[model_kind]
    _check_magic(path, model_kind)
    try:
        if model_kind == 'scratch':
            with np.load(path, allow_pickle=False) as f:
                arrays = {n: f[n] for n in f.files}
        else:
            arrays = nd.load(path)
    except Exception:  # zipfile.BadZipFile, EOFError, MXNetError, ...: never their internals
        raise CheckpointError(f'{path}: a damaged or truncated {what} file (or one holding '
                              'Python objects, which are never loaded); save the model '
                              'again.') from None
    if not isinstance(arrays, dict):
        raise CheckpointError(f'{path}: it holds a list of arrays, not named parameters; '
                              'save the model again.')
    for name, array in arrays.items():
        dtype = np.dtype(array.dtype)
        if not (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer)):
            raise CheckpointError(f'{path}: parameter {name} holds {dtype} values, not '
                                  'numbers; save the model again.')
    return arrays


def _check_magic(path, model_kind):
    """CheckpointError unless the file starts like a `model_kind` parameter file."""
    try:
        with open(path, 'rb') as f:
            head = f.read(8)
    except OSError as e:
        raise CheckpointError(f'{path}: cannot be read ({e.strerror}).') from None
    if not head:
        raise CheckpointError(f'{path}: the file is empty; save the model again.')
    good = head[:4] in NPZ_MAGIC if model_kind == 'scratch' else head == GLUON_MAGIC
    if not good:
        raise CheckpointError(f'{path}: not a readable {KINDS[model_kind]} file (it does not '
                              'start like one). The file is corrupt or of another kind; save '
                              'the model again.')


def _fits(shape, needed):
    """True when `shape` matches `needed`, where a 0 in `needed` accepts any size."""
    return len(shape) == len(needed) and all(n in (0, s) for s, n in zip(shape, needed))


def _shape(shape):
    """A shape as text, '?' for a size not inferred yet: (10, ?)."""
    sizes = [str(s or '?') for s in shape]
    return '(' + ', '.join(sizes) + (',)' if len(sizes) == 1 else ')')


def check_fit(path, arrays, expected, what):
    """CheckpointError listing every missing, extra or wrongly shaped parameter."""
    problems = [f'  {n}: missing from the file' for n in expected if n not in arrays]
    problems += [f'  {n}: in the file, but {what} has no such parameter'
                 for n in arrays if n not in expected]
    problems += [f'  {n}: shape {tuple(arrays[n].shape)} in the file, {what} needs '
                 f'{_shape(expected[n])}'
                 for n in expected if n in arrays and not _fits(arrays[n].shape, expected[n])]
    if problems:
        raise CheckpointError(f'{path}: these parameters do not fit {what}:\n'
                              + '\n'.join(problems)
                              + '\nLoad the file into the model it was saved from.')


def check_finite(path, arrays):
    """CheckpointError when a parameter holds nan or inf: a diverged model scores nothing."""
    for name, array in arrays.items():
        values = array.asnumpy() if hasattr(array, 'asnumpy') else np.asarray(array)
        bad = values.size - int(np.isfinite(values).sum())
        if bad:
            raise CheckpointError(
                f'{path}: {bad} of the {values.size} values of parameter {name} are nan or '
                'inf: the training diverged before the save. Train again with a lower '
                'learning rate.')


def _probe(net, path, what):
    """Run one blank image through net: a clear error if the loaded shapes cannot compute."""
    try:
        net(nd.zeros((1, 1, 28, 28))).wait_to_read()
    except (MXNetError, ValueError) as e:
        first = str(e).strip().splitlines()[0]
        raise CheckpointError(f'{path}: the parameters do not fit {what} on 28x28 images '
                              f'({first}).') from None


def load_into(path, model, what='this model'):
    """Load parameter file `path` into a built `model` after checking it fits; returns it."""
    path = str(path)
    arrays = read_arrays(path, model.kind)
    check_fit(path, arrays, model.param_shapes(), what)
    check_finite(path, arrays)
    try:  # only Gluon's load_parameters raises these; scratch arrays were checked to fit
        model.load_params(path, arrays)
    except (MXNetError, ValueError, AssertionError):
        raise CheckpointError(f'{path}: Gluon could not load these parameters into '
                              f'{what}; save the model again.') from None
    _probe(model.net, path, what)
    return model


def _is_recorded(path):
    """True when `path` is the file its record names (or the record names none)."""
    digest = _record_digest(path)
    return digest is None or _sha256(path) == digest


def _repair(path):
    """Finish or drop what a crashed save left beside `path` (waiting for a save under way)."""
    try:
        with _folder_lock(path):
            _settle(path)
    except OSError:
        pass  # a read-only copy: nothing can be repaired here, the check below says so


def load(path):
    """Rebuild the saved chapter's model and load `path` into it: (model, meta)."""
    path = str(path)
    read_meta(path)  # a missing file or record is said first
    with _folder_lock(path, shared=True):
        matches = _is_recorded(path)
    if not matches:
        _repair(path)
    with _folder_lock(path, shared=True):  # no save replaces the pair while it is read
        meta = read_meta(path)
        matches = _is_recorded(path)
        if not matches:
            _check_unfinished(path, meta)
        model = _load_model(path, meta)  # a foreign file: its own faults are said first
    if not matches:
        raise CheckpointError(f'{path}: these are not the parameters its record '
                              f'{meta_path(path)} was written for (the file was replaced '
                              'after the save); save the model again.')
    return model, meta


def _check_unfinished(path, meta):
    """CheckpointError when the record's parameters wait in FILE.part, unrenamed (read-only)."""
    part = path + PART
    if os.path.isfile(part) and _sha256(part) == meta.get('params_sha256'):
        raise CheckpointError(f'{path}: a save was interrupted between its two renames and '
                              f'this folder cannot be written to finish it: the saved '
                              f'parameters are in {part}; rename that file to {path}.')


def _load_model(path, meta):
    """Build the model `meta` describes and load `path` into it."""
    found = chapter(meta['section'])
    known = set(found.defaults) | set(found.options)
    args = chapter_args(found.section,
                        **{k: v for k, v in meta['chapter_args'].items() if k in known})
    if found.kind != meta['kind']:
        raise CheckpointError(f'{path}: saved as a {meta["kind"]} model, but chapter '
                              f'{meta["section"]} now builds a {found.kind} one.')
    return load_into(path, models.build(found.section, args),
                     f"chapter {meta['section']}'s model")
