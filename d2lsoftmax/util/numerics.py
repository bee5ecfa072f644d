"""The numerics fingerprint of this process: what decides MXNet's float32 rounding on a CPU.

MXNet 1.9.1 computes Dense layers with oneDNN, whose kernels are chosen by the
CPU's instruction set (capped by DNNL_MAX_CPU_ISA, or bypassed by
MXNET_MKLDNN_ENABLED=0), and nd.dot with its bundled OpenBLAS. Two runs with the
same fingerprint print identical epoch lines (see tests/golden/README.md for the
measurements); runs with different fingerprints drift within a measured band. The
golden logs (d2lsoftmax.reference) keep one block per fingerprint. A leaf: it needs
only `blas` (MXNet is loaded by the two functions that read it).
"""
import os
import platform

from d2lsoftmax.util.blas import cpu_flags, loaded_core

# oneDNN 2.4's CPU instruction sets, lowest first, and the /proc/cpuinfo flags each needs.
ISAS = [
    ('SSE41', {'sse4_1'}),
    ('AVX', {'avx'}),
    ('AVX2', {'avx2'}),
    ('AVX512_CORE', {'avx512f', 'avx512bw', 'avx512vl', 'avx512dq'}),
    ('AVX512_CORE_VNNI', {'avx512_vnni'}),
    ('AVX512_CORE_BF16', {'avx512_bf16'}),
    ('AVX512_CORE_AMX', {'amx_tile', 'amx_bf16', 'amx_int8'}),
]
ISA_NAMES = [name for name, _ in ISAS]


def supported_isas(flags=None):
    """oneDNN ISAs this CPU supports, lowest first (each needs the flags of all below it)."""
    flags = cpu_flags() if flags is None else flags
    found = []
    for name, needed in ISAS:
        if not needed <= flags:
            break
        found.append(name)
    return found


def effective_isa(env=None, flags=None):
    """The ISA oneDNN uses: the CPU's best, capped by DNNL_MAX_CPU_ISA; 'off' without oneDNN."""
    env = os.environ if env is None else env
    if env.get('MXNET_MKLDNN_ENABLED', '1') == '0':
        return 'off'
    supported = supported_isas(flags) or ['unknown']
    cap = env.get('DNNL_MAX_CPU_ISA', env.get('MKLDNN_MAX_CPU_ISA', '')).upper()
    if cap in ISA_NAMES:
        allowed = ISA_NAMES[:ISA_NAMES.index(cap) + 1]
        supported = [isa for isa in supported if isa in allowed] or ['unknown']
    return supported[-1]


def openblas_core():
    """The kernel family of MXNet's bundled OpenBLAS (what nd.dot runs), e.g. 'Haswell'."""
    import mxnet  # noqa: F401  (after the package, which chose OpenBLAS's kernels)
    return loaded_core() or 'unknown'


def omp_threads(env=None):
    """The OpenMP threads MXNet computes with: MXNET_OMP_MAX_THREADS, OMP_NUM_THREADS, or
    half the processors on x86 (MXNet assumes hyper-threading: 1 thread on 2 vCPUs)."""
    env = os.environ if env is None else env
    for name in ('MXNET_OMP_MAX_THREADS', 'OMP_NUM_THREADS'):
        if env.get(name, '').strip().isdigit():
            return int(env[name])
    procs = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    halved = platform.machine() in ('x86_64', 'AMD64', 'i686')
    return max(1, (procs or 1) // 2 if halved else procs or 1)


def fingerprint(release, env=None):
    """The fields that decide the epoch lines, as an ordered dict of strings."""
    import mxnet
    libc, libc_version = platform.libc_ver()
    return {'release': release, 'mxnet': mxnet.__version__, 'machine': platform.machine(),
            'libc': f'{libc}-{libc_version}', 'onednn_isa': effective_isa(env),
            'openblas': openblas_core(), 'threads': str(omp_threads(env))}


def format_fingerprint(fields):
    """'release=... mxnet=... ...': one line, the form golden headers store."""
    return ' '.join(f'{k}={v}' for k, v in fields.items())


def parse_fingerprint(text):
    """The dict of a format_fingerprint line."""
    return dict(part.split('=', 1) for part in text.split())
