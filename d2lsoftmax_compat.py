"""MXNet 1.9.1 on today's numpy: put back the numpy names MXNet reads when it loads.

MXNet 1.9.1 (2022, now in the Apache Attic) reads names at import that numpy has
since removed: `numpy.bool` (gone in 1.24), and on numpy 2 the constants (`PZERO`,
`NINF`, `NaN`, ...), old aliases (`alltrue`, `product`, `round_`, ...) and its
fallback table's financial functions. `patch_numpy()` sets exactly the names the
installed numpy lacks, with numpy 1.23's meaning, and never replaces one numpy has.

It must run before MXNet loads, on every path: `install()` puts a finder first on
`sys.meta_path` that runs it when `mxnet` is first imported. `import d2lsoftmax`
calls `install()`, and so does the start-up hook `d2lsoftmax_compat.pth` that the
package puts in site-packages, so `import mxnet` alone works in that environment
too (a notebook, a worker process). Importing this module costs well under a
millisecond: the standard library only, numpy is imported when MXNet is.
"""
import sys

# Only `sys` above: this module is imported at every start of a Python of the venv.
# numpy 1.23's values of the constants MXNet reads (numpy 2.0 removed them).
_CONSTANTS = {'PZERO': 0.0, 'NZERO': -0.0, 'PINF': float('inf'), 'NINF': float('-inf'),
              'Inf': float('inf'), 'NAN': float('nan'), 'NaN': float('nan')}
# Aliases numpy 2 removed -> the name numpy keeps for the same function.
_ALIASES = {'alltrue': 'all', 'sometrue': 'any', 'product': 'prod', 'round_': 'round',
            'trapz': 'trapezoid'}
# Removed from numpy 1.20 (NEP 32); MXNet's fallback table names them, none calls them.
_FINANCIAL = ('mirr', 'npv', 'pmt', 'ppmt', 'pv', 'rate')


def _in1d(ar1, ar2, assume_unique=False, invert=False):
    """numpy.in1d (removed in numpy 2.4): `isin`, flattened."""
    import numpy
    return numpy.isin(ar1, ar2, assume_unique=assume_unique, invert=invert).ravel()


def _msort(a):
    """numpy.msort (removed in numpy 2.0): a copy sorted along the first axis."""
    import numpy
    return numpy.sort(a, axis=0)


def _removed_financial(name):
    """A stand-in that says where the function went, as numpy 1.20 to 1.23 did."""
    def removed(*args, **kwargs):
        raise RuntimeError(f'numpy.{name} was removed in numpy 1.20 (NEP 32); '
                           'use the numpy_financial package')
    removed.__name__ = name
    return removed


def _has(numpy, name):
    """True when numpy serves `name`; quiet, since asking warns on numpy 1.25 and 1.26."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        try:
            getattr(numpy, name)
        except AttributeError:
            return False
    return True


def replacements(numpy):
    """name -> the value numpy 1.23 had, for every name MXNet 1.9.1 reads at import."""
    values = {'bool': bool, 'in1d': _in1d, 'msort': _msort, **_CONSTANTS}
    values.update({old: getattr(numpy, new) for old, new in _ALIASES.items()
                   if _has(numpy, new)})
    values.update({name: _removed_financial(name) for name in _FINANCIAL})
    return values


def patch_numpy():
    """Set on numpy the names MXNet reads that it lacks; return them, sorted."""
    import numpy
    values = replacements(numpy)
    missing = sorted(name for name in values if not _has(numpy, name))
    for name in missing:
        setattr(numpy, name, values[name])
    return missing


class _BeforeMXNet:
    """A meta-path finder that finds nothing: it patches numpy when `mxnet` is first asked for."""

    done = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname == 'mxnet' and not self.done:
            self.done = True  # first: patch_numpy imports numpy, through this finder too
            patch_numpy()
        return None  # the usual finders load the module


def install():
    """Patch numpy before MXNet loads (now, if MXNet is already being imported); idempotent."""
    if 'mxnet' in sys.modules or any(isinstance(f, _BeforeMXNet) for f in sys.meta_path):
        return
    # Not removed after use: import iterates sys.meta_path while the finder runs.
    sys.meta_path.insert(0, _BeforeMXNet())


# Where MXNet is missing: on Python 3.13 pip cannot install it with its dependencies.
MISSING_MXNET = ('MXNet is not installed in this environment: run '
                 '`pip install --no-deps mxnet==1.9.1` (on Python 3.13 pip cannot resolve its '
                 'numpy<2; the README says why)')
