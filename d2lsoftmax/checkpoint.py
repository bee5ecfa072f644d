"""Save and load trained parameters: scratch as NumPy .npz, concise with Gluon's save_parameters.

Beside the parameter file FILE a small record FILE.json says which chapter's
model they belong to (section, its options, scratch or concise, the shapes), so
`load` can rebuild the model and refuse a file that does not fit it. Both files
are written to a temporary name first and then renamed: a crash never leaves a
half-written file under the real name.
"""
import json
import os
import tempfile

import numpy as np
from mxnet import nd
from mxnet.base import MXNetError

from . import models
from .models import kind
from .sections import chapter, chapter_args

FORMAT = 'd2lsoftmax-params'
VERSION = 1
SUFFIX = {'scratch': '.npz', 'concise': '.params'}


class CheckpointError(ValueError):
    """A parameter file that is missing, unreadable, or not of the model it is loaded into."""


def meta_path(path):
    """Where the metadata record of parameter file `path` lives: path + '.json'."""
    return str(path) + '.json'


# ----------------------------------------------------------------- parameters

def scratch_names(params):
    """Names of a scratch model's params in order: W, b for one layer, else W1, b1, W2, ..."""
    weights = sum(p.ndim >= 2 for p in params)
    names, layer = [], 0
    for p in params:
        if p.ndim >= 2:
            layer += 1
        letter = 'W' if p.ndim >= 2 else 'b'
        names.append(letter if weights == 1 else f'{letter}{max(layer, 1)}')
    if len(set(names)) != len(names):  # not weight/bias pairs: fall back to positions
        names = [f'param{i}' for i in range(len(params))]
    return names


def named_params(net, how):
    """{name: NDArray} of a trained model, the names its file uses."""
    if kind(how) == 'scratch':
        return dict(zip(scratch_names(how['params']), how['params']))
    # The structural names ('0.weight', ...) that save_parameters writes.
    return {name: p.data() for name, p in net._collect_params_with_prefix().items()}


def _expected_shapes(net, how):
    """{name: shape} the model needs; 0 marks a size Gluon has not inferred yet."""
    if kind(how) == 'scratch':
        return {n: p.shape for n, p in zip(scratch_names(how['params']), how['params'])}
    return {name: p.shape for name, p in net._collect_params_with_prefix().items()}


# --------------------------------------------------------------------- saving

def _atomic_write(path, write):
    """Call write(tmp_path) on a temporary file beside `path`, then rename it onto `path`."""
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


def _write_npz(tmp, arrays):
    with open(tmp, 'wb') as f:  # a file object: np.savez would append .npz to a name
        np.savez(f, **arrays)


def check_path(path, model_kind):
    """CheckpointError unless `path` has the suffix of a `model_kind` parameter file."""
    if not str(path).endswith(SUFFIX[model_kind]):
        raise CheckpointError(
            f'{path}: a {model_kind} model is saved as a {SUFFIX[model_kind]} file '
            f'({"NumPy savez" if model_kind == "scratch" else "Gluon save_parameters"}); '
            f'name it e.g. model{SUFFIX[model_kind]}.')


def chapter_kind(section):
    """'scratch' or 'concise': what chapter `section`'s model is (built once to see)."""
    return chapter(section).kind


def save(path, net, how, section, args, settings=None, release=None):
    """Write the model's parameters to `path` and its record to path.json; returns path.

    `release`: the Fashion-MNIST release it trained on (None: the one a load finds now).
    """
    model_kind = kind(how)
    path = str(path)
    check_path(path, model_kind)
    params = named_params(net, how)
    if model_kind == 'scratch':
        _atomic_write(path, lambda tmp: _write_npz(tmp, {n: p.asnumpy()
                                                         for n, p in params.items()}))
    else:
        _atomic_write(path, net.save_parameters)
    meta = {'format': FORMAT, 'version': VERSION, 'section': section, 'kind': model_kind,
            'chapter_args': {k: v for k, v in vars(args).items()
                             if isinstance(v, (bool, int, float, str))},
            'shapes': {n: list(p.shape) for n, p in params.items()},
            'settings': settings or {}, 'release': release or _release_now()}

    def write_meta(tmp):
        with open(tmp, 'w') as f:
            json.dump(meta, f)
    _atomic_write(meta_path(path), write_meta)
    return path


def _release_now():
    """The Fashion-MNIST release a load uses now, or None when no data is found."""
    from . import data
    try:
        return data.locate(download=False).release
    except data.DataError:
        return None


# -------------------------------------------------------------------- loading

def read_meta(path):
    """The record saved beside parameter file `path`; CheckpointError if absent or foreign."""
    path = str(path)
    if not os.path.isfile(path):
        raise CheckpointError(f'{path}: no such parameter file.')
    try:
        with open(meta_path(path)) as f:
            meta = json.load(f)
    except FileNotFoundError:
        raise CheckpointError(
            f'{path}: its record {meta_path(path)} is missing; it says which chapter the '
            'parameters belong to. Copy it along with the file, or save the model again '
            'with `d2lsoftmax run SECTION --save-params FILE`.') from None
    except (OSError, ValueError) as e:
        raise CheckpointError(f'{meta_path(path)}: not a readable JSON record ({e}).') from None
    if not isinstance(meta, dict) or meta.get('format') != FORMAT:
        raise CheckpointError(f'{meta_path(path)}: not a d2lsoftmax parameter record.')
    if meta.get('version') != VERSION:
        raise CheckpointError(f'{meta_path(path)}: record version {meta.get("version")}, '
                              f'this d2lsoftmax reads version {VERSION}.')
    return meta


def read_arrays(path, model_kind):
    """{name: array} held by a .npz (scratch) or Gluon .params (concise) file."""
    try:
        if model_kind == 'scratch':
            with np.load(path, allow_pickle=False) as f:
                return {n: f[n] for n in f.files}
        loaded = nd.load(path)
        if not isinstance(loaded, dict):
            raise ValueError('it holds a list of arrays, not named parameters')
        return loaded
    except (OSError, ValueError, MXNetError) as e:
        what = 'NumPy .npz' if model_kind == 'scratch' else 'Gluon parameter'
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f'{path}: not a readable {what} file ({first}). The file is '
                              'corrupt or of another kind; save the model again.') from None


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


def _probe(net, path, what):
    """Run one blank image through net: a clear error if the loaded shapes cannot compute."""
    try:
        net(nd.zeros((1, 1, 28, 28))).wait_to_read()
    except (MXNetError, ValueError) as e:
        first = str(e).strip().splitlines()[0]
        raise CheckpointError(f'{path}: the parameters do not fit {what} on 28x28 images '
                              f'({first}).') from None


def load_into(path, net, how, what='this model'):
    """Load parameter file `path` into a built model (net, how) after checking it fits."""
    path = str(path)
    model_kind = kind(how)
    arrays = read_arrays(path, model_kind)
    check_fit(path, arrays, _expected_shapes(net, how), what)
    if model_kind == 'scratch':
        for name, param in named_params(net, how).items():
            param[:] = nd.array(arrays[name], dtype=param.dtype)
    else:
        net.load_parameters(path)
    _probe(net, path, what)
    return net


def load(path):
    """Rebuild the saved chapter's model and load `path` into it: (net, how, meta)."""
    meta = read_meta(path)
    try:
        found = chapter(meta['section'])
    except ValueError as e:
        raise CheckpointError(f'{path}: saved from chapter {meta["section"]}, which this '
                              f'd2lsoftmax does not have ({e}).') from None
    known = set(found.defaults) | set(found.options)
    args = chapter_args(found.section,
                        **{k: v for k, v in meta['chapter_args'].items() if k in known})
    net, _, how = models.build(found.section, args)
    if kind(how) != meta['kind']:
        raise CheckpointError(f'{path}: saved as a {meta["kind"]} model, but chapter '
                              f'{meta["section"]} now builds a {kind(how)} one.')
    load_into(path, net, how, f"chapter {meta['section']}'s model")
    return net, how, meta
