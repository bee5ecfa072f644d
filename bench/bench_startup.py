"""What the start-up hook d2lsoftmax_compat.pth costs every Python process of the venv.

Prints three figures, medians over fresh interpreters of this Python:
- importing d2lsoftmax_compat at start-up (`-X importtime`, microseconds);
- the wall time of `python -c pass` with site-packages' hooks, against `python -S -c pass`
  (no site at all: every other .pth is skipped too, so this is an upper bound);
- `import numpy` with the hook's finder on sys.meta_path and with it taken out (the
  finder is asked once per module imported afterwards).
Nothing is asserted: tests never assert wall time.

    python bench/bench_startup.py [--repeat 30]
"""
import argparse
import statistics
import subprocess
import sys
import time

NUMPY_IMPORT = '''
import sys, time
if {remove}:
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != '_BeforeMXNet']
start = time.perf_counter()
import numpy
print(time.perf_counter() - start)
'''


def wall(args, repeat):
    """Median wall time (ms) of running `python ARGS` to the end."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def hook_import_us(repeat):
    """Median microseconds importing d2lsoftmax_compat takes at start-up (cumulative)."""
    values = []
    for _ in range(repeat):
        err = subprocess.run([sys.executable, '-X', 'importtime', '-c', 'pass'],
                             capture_output=True, text=True, check=True).stderr
        rows = [line for line in err.splitlines() if line.rstrip().endswith(' d2lsoftmax_compat')]
        if not rows:
            return None
        values.append(int(rows[0].split('|')[1]))
    return statistics.median(values)


def numpy_import_ms(remove, repeat):
    """Median ms of `import numpy` in a fresh process, with or without the hook's finder."""
    code = NUMPY_IMPORT.format(remove=remove)
    return statistics.median(
        float(subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                             check=True).stdout) * 1e3 for _ in range(repeat))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=30)
    repeat = parser.parse_args().repeat
    print(f'Python {sys.version.split()[0]}, {repeat} fresh interpreters each, medians')
    us = hook_import_us(repeat)
    print('import d2lsoftmax_compat at start-up: '
          + ('not imported (the hook is not installed here)' if us is None else f'{us} us'))
    with_site, no_site = wall(['-c', 'pass'], repeat), wall(['-S', '-c', 'pass'], repeat)
    print(f'python -c pass: {with_site:.1f} ms with site, {no_site:.1f} ms with -S '
          f'(every .pth skipped: {with_site - no_site:.1f} ms for all of them)')
    kept, removed = numpy_import_ms(False, repeat), numpy_import_ms(True, repeat)
    print(f'import numpy: {kept:.1f} ms with the finder, {removed:.1f} ms without '
          f'(ratio {kept / removed:.3f})')


if __name__ == '__main__':
    main()
