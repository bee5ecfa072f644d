"""MXNet 1.9.1 loads on today's numpy: d2lsoftmax_compat puts back what numpy lacks.

Each check runs in a fresh interpreter of this environment, since what is tested is
what happens before and while MXNet loads. Under numpy 1.23 (Python 3.11) numpy 2
is simulated by taking the names away; under numpy 1.26 and 2 (3.12, 3.13) they are
really gone.
"""
import subprocess
import sys
import textwrap

import pytest

import d2lsoftmax_compat


def _python(*parts):
    """Run the code `parts` in a fresh interpreter of this environment; return the process."""
    code = '\n'.join(textwrap.dedent(part) for part in parts)
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=120)


# numpy 2.4 serves none of these; `_gone` makes numpy 1.23 behave so in a subprocess.
NUMPY2_REMOVED = sorted(set(d2lsoftmax_compat._CONSTANTS) | set(d2lsoftmax_compat._ALIASES)
                        | set(d2lsoftmax_compat._FINANCIAL) | {'bool', 'in1d', 'msort'})
_GONE = f'''
    import numpy, types
    gone = {NUMPY2_REMOVED!r}
    if 'trapezoid' not in vars(numpy):  # numpy 2's name for trapz
        numpy.trapezoid = numpy.trapz
    for name in gone:
        numpy.__dict__.pop(name, None)
    served = numpy.__getattr__
    def __getattr__(name):
        if name in gone:
            raise AttributeError(f'`np.{{name}}` was removed in the NumPy 2.0 release.')
        return served(name)
    numpy.__getattr__ = __getattr__
'''


def test_the_start_up_hook_is_installed_in_this_environment():
    """site-packages runs d2lsoftmax_compat.pth: the finder is there before any import."""
    result = _python('''
        import sys
        print(any(type(f).__name__ == '_BeforeMXNet' for f in sys.meta_path))
        print('numpy' in sys.modules, 'd2lsoftmax' in sys.modules)
    ''')
    assert result.stdout.split() == ['True', 'False', 'False'], result.stderr


@pytest.mark.slow  # loads MXNet in a fresh process
def test_import_mxnet_first_works_where_numpy_lacks_the_names():
    """A notebook's `import mxnet` before `import d2lsoftmax`: the hook patches numpy first."""
    result = _python(_GONE, '''
        import mxnet
        from mxnet import nd
        print(nd.array([1, 2, 3]).sum().asscalar(), numpy.NINF, numpy.bool is bool)
        import d2lsoftmax  # afterwards too
    ''')
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['6.0', '-inf', 'True']


def test_without_the_hook_mxnet_fails_on_such_a_numpy():
    """The simulation is faithful: with the finder taken out, MXNet cannot load."""
    result = _python('''
        import sys
        sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != '_BeforeMXNet']
    ''', _GONE, '''
        import mxnet
    ''')
    assert result.returncode != 0
    assert 'was removed in the NumPy 2.0 release' in result.stderr


def test_only_missing_names_are_set_and_none_is_replaced():
    """Names numpy serves keep numpy's own objects; the missing ones get numpy 1.23's meaning."""
    result = _python(_GONE, '''
        kept = {n: getattr(numpy, n) for n in ('all', 'any', 'prod', 'round', 'isin', 'sort')}
        numpy.sometrue = sentinel = object()  # served now: must stay as it is
        import d2lsoftmax_compat
        added = d2lsoftmax_compat.patch_numpy()
        assert numpy.sometrue is sentinel, 'a name numpy has was replaced'
        assert 'sometrue' not in added and added == sorted(set(gone) - {'sometrue'}), added
        assert all(getattr(numpy, n) is v for n, v in kept.items())
        assert d2lsoftmax_compat.patch_numpy() == [], 'a second call changes nothing'
        print('ok')
    ''')
    assert result.stdout.strip() == 'ok', result.stderr


def test_the_names_put_back_mean_what_they_meant_in_numpy_1_23():
    result = _python(_GONE, '''
        import math
        import d2lsoftmax_compat
        d2lsoftmax_compat.patch_numpy()
        np = numpy
        assert np.bool is bool and np.PZERO == 0.0 and math.copysign(1, np.NZERO) == -1
        assert np.PINF == np.Inf == math.inf and np.NINF == -math.inf
        assert math.isnan(np.NAN) and math.isnan(np.NaN)
        assert not np.alltrue([True, False]) and np.sometrue([False, True])
        assert np.product([2, 3, 4]) == 24 and np.round_(2.675, 2) == np.round(2.675, 2)
        assert np.trapz([1, 2, 3]) == 4.0
        assert np.in1d([[1, 2], [3, 4]], [2, 3]).tolist() == [False, True, True, False]
        assert np.msort(np.array([[3, 0], [1, 2]])).tolist() == [[1, 0], [3, 2]]
        try:
            np.mirr([-100, 50, 60], 0.1, 0.1)
        except RuntimeError as e:
            assert 'numpy_financial' in str(e)
        else:
            raise AssertionError('np.mirr computed something')
        print('ok')
    ''')
    assert result.stdout.strip() == 'ok', result.stderr


@pytest.mark.slow  # loads MXNet in a fresh process
def test_importing_the_package_and_mxnet_prints_no_warning():
    """numpy 1.25 and 1.26 warn when numpy.bool is merely asked for: never on stderr."""
    result = _python('import d2lsoftmax, mxnet; from mxnet import nd; nd.ones(1).asscalar()')
    assert result.returncode == 0
    assert 'Warning' not in result.stderr, result.stderr


@pytest.mark.slow
def test_a_missing_mxnet_is_one_line_naming_the_fix():
    """On 3.13 MXNet is the README's second pip command; without it the command says so."""
    result = _python('''
        import sys
        sys.modules['mxnet'] = None  # as if not installed
        from d2lsoftmax.cli import main
        sys.exit(main(['run', '3.6', '--num-epochs', '1']))
    ''')
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f'd2lsoftmax: error: {d2lsoftmax_compat.MISSING_MXNET}']
    assert 'pip install --no-deps mxnet==1.9.1' in result.stderr
