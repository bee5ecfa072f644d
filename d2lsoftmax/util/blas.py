"""MXNet's bundled OpenBLAS on CPUs it does not know: ask for the kernels the CPU has.

`nd.dot`, which every scratch chapter trains with, runs in the OpenBLAS that MXNet
1.9.1 ships (0.3.13, built with DYNAMIC_ARCH: it picks its kernels by CPU model when
it loads). CPUs newer than that release, such as Ice Lake servers (family 6, model
106), are not in its table, and it falls back to its Prescott kernels (SSE3, 2004):
3.9 and 3.13 then train three times slower than with the Haswell kernels (AVX2 and
FMA) these CPUs run. So, before MXNet loads, `choose()` probes in a small subprocess
which kernels OpenBLAS would pick; when that is Prescott on a CPU with AVX2 and FMA
it sets OPENBLAS_CORETYPE=Haswell, else it sets what OpenBLAS picked (so worker
processes inherit the choice without probing again).

The kernels decide the last bits of `nd.dot`, so the epoch lines of the scratch
chapters differ in the last printed digits from a run with Prescott kernels (for
example d2lzh run in a plain Python on the same machine). Set OPENBLAS_CORETYPE
yourself (e.g. OPENBLAS_CORETYPE=Prescott) and it is left alone. A leaf module:
no MXNet, nothing of the package.
"""
import ctypes
import importlib.util
import os
import subprocess
import sys

ENV = 'OPENBLAS_CORETYPE'
FALLBACK = 'Prescott'  # what OpenBLAS 0.3.13 runs on a CPU model it does not know
FAST = 'Haswell'  # AVX2 + FMA kernels: valid on every CPU with those flags
NEEDS = {'avx2', 'fma'}
PROBE_TIMEOUT_S = 10
_PROBE = ('import ctypes, sys; lib = ctypes.CDLL(sys.argv[1]); '
          'lib.openblas_get_corename.restype = ctypes.c_char_p; '
          'print(lib.openblas_get_corename().decode())')


def cpu_flags():
    """The CPU's instruction-set flags from /proc/cpuinfo (empty where there is none)."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('flags'):
                    return set(line.split(':', 1)[1].split())
    except OSError:
        pass
    return set()


def library():
    """Path of MXNet's bundled libopenblas, found without importing MXNet; None if absent."""
    try:
        spec = importlib.util.find_spec('mxnet')
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    path = os.path.join(os.path.dirname(spec.origin), 'libopenblas.so.0')
    return path if os.path.isfile(path) else None


def probe(path):
    """The kernels OpenBLAS at `path` picks by itself in a fresh process; None on failure."""
    env = {k: v for k, v in os.environ.items() if k != ENV}
    try:
        done = subprocess.run([sys.executable, '-S', '-c', _PROBE, path], env=env,
                              capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return None
    name = done.stdout.strip()
    return name if done.returncode == 0 and name.isidentifier() else None


def decide(picked, flags):
    """The OPENBLAS_CORETYPE to set given OpenBLAS's own pick and the CPU's flags."""
    if picked == FALLBACK and NEEDS <= flags:
        return FAST
    return picked


def choose(environ=None):
    """Set OPENBLAS_CORETYPE in `environ` (os.environ) before MXNet loads; the value or None.

    Does nothing when it is set already, when MXNet is loaded (too late: OpenBLAS chose
    when it loaded) or when MXNet's OpenBLAS cannot be found or probed.
    """
    environ = os.environ if environ is None else environ
    if environ.get(ENV) or 'mxnet' in sys.modules:
        return None
    path = library()
    picked = probe(path) if path else None
    if picked is None:
        return None
    environ[ENV] = decide(picked, cpu_flags())
    return environ[ENV]


def loaded_core():
    """The kernels MXNet's OpenBLAS runs in this process (loading it, if MXNet has not yet)."""
    path = library()
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path)
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return None
