"""d2lsoftmax.util.blas: OpenBLAS's fast kernels where MXNet's OpenBLAS does not know the CPU."""
import os
import subprocess
import sys

import pytest

from d2lsoftmax.util import blas


def test_prescott_on_a_cpu_with_avx2_and_fma_becomes_haswell():
    assert blas.decide('Prescott', {'sse3', 'avx', 'avx2', 'fma'}) == 'Haswell'


@pytest.mark.parametrize('picked, flags', [
    ('Prescott', {'sse3', 'avx'}),  # an old CPU: Prescott is right
    ('Prescott', {'avx2'}),  # no FMA: Haswell's kernels would fault
    ('SkylakeX', {'avx2', 'fma', 'avx512f'}),  # a CPU OpenBLAS knows: its own pick
    ('Zen', {'avx2', 'fma'}),
])
def test_otherwise_openblas_keeps_its_own_pick(picked, flags):
    assert blas.decide(picked, flags) == picked


def test_a_users_setting_is_left_alone():
    environ = {blas.ENV: 'Prescott'}
    assert blas.choose(environ) is None and environ == {blas.ENV: 'Prescott'}


def test_too_late_once_mxnet_is_loaded():
    import mxnet  # noqa: F401  (OpenBLAS chose when it loaded)
    environ = {}
    assert blas.choose(environ) is None and environ == {}


def test_the_probe_reports_what_openblas_picks_by_itself():
    path = blas.library()
    if path is None:
        pytest.skip("MXNet's bundled libopenblas is not there")
    picked = blas.probe(path)
    assert picked and picked.isidentifier()
    env = {k: v for k, v in os.environ.items() if k != blas.ENV}
    code = ('import ctypes, sys; lib = ctypes.CDLL(sys.argv[1]); '
            'lib.openblas_get_corename.restype = ctypes.c_char_p; '
            'print(lib.openblas_get_corename().decode())')
    alone = subprocess.run([sys.executable, '-c', code, path], env=env, capture_output=True,
                           text=True, check=True).stdout.strip()
    assert picked == alone


@pytest.mark.slow
@pytest.mark.parametrize('given', [None, 'Prescott'])
def test_importing_d2lsoftmax_first_sets_the_kernels_mxnet_then_runs(given):
    """In a fresh process: `import d2lsoftmax` before MXNet decides what nd.dot runs."""
    env = {k: v for k, v in os.environ.items() if k != blas.ENV}
    if given:
        env[blas.ENV] = given
    code = ('import os, d2lsoftmax, mxnet; from d2lsoftmax.util import blas; '
            'print(os.environ.get(blas.ENV), blas.loaded_core())')
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                         text=True, check=True, timeout=120).stdout.split()
    path = blas.library()
    expected = given or blas.decide(blas.probe(path), blas.cpu_flags())
    assert out == [expected, expected]
