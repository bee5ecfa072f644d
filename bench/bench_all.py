"""Benchmark: the speed targets of the package in one table, each as a ratio to its yardstick.

    python bench/bench_all.py [--repeat 5] [--skip-book] [--only timing|gemm|rss|book|verify]

Rows (targets in brackets; nothing here asserts, the table only reports):
  run 3.6        `d2lsoftmax run 3.6` end to end / `python -c "import mxnet"`     [<= 1.6]
                 then split: the chapter's own 5 epochs, and the rest (reported)
  list, --help   `d2lsoftmax list` and `d2lsoftmax --help` / `import mxnet`        [<= 0.2]
  GEMM 3.x       the chapter's matrix products timed alone (nd.dot at its shapes,
                 the floor) / its 5 epochs of training                               [>= 0.8]
  RSS 3.x        peak RSS of the chapter's run / the book pipeline's main process
                 training the same chapter                                        [<= 1.0]
  book / ours    bench_train.py's median time of the book's pipeline / ours        [>= 12 for 3.6, 3.7]
  verify         `d2lsoftmax verify` (every training chapter, its default 2 epochs)
                 / `import mxnet`, timed once each                                  [reported]
Commands are timed alternately with `import mxnet`, --repeat times, medians compared,
so a slow spell of this machine hits both sides.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(os.path.dirname(sys.executable), 'd2lsoftmax')


def wall(cmd, env=None):
    """Seconds `cmd` takes as a fresh process (output discarded; a failure stops the bench)."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, **(env or {})})
    return time.perf_counter() - start


def alternate(cmds, repeat):
    """{name: median seconds} of each command, timed in turn `repeat` times.

    For `run` also 'training': the seconds from the line before the first epoch line
    to the fifth (the chapter's own book-shaped loop), read off its output as it comes.
    """
    times = {name: [] for name in [*cmds, 'training']}
    for _ in range(repeat):
        for name, cmd in cmds.items():
            if name == 'run':
                total, training = wall_and_training(cmd)
                times['training'].append(training)
                times[name].append(total)
            else:
                times[name].append(wall(cmd))
    return {name: statistics.median(t) for name, t in times.items() if t}


def wall_and_training(cmd):
    """(seconds of `cmd`, seconds between its last line before 'epoch 1' and 'epoch 5')."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             env={**os.environ, 'PYTHONUNBUFFERED': '1'})
    before = begin = end = None
    for line in child.stdout:
        now = time.perf_counter()
        if line.startswith('epoch 1,'):
            begin = before
        elif line.startswith('epoch 5,'):
            end = now
        before = now
    if child.wait() or begin is None or end is None:
        raise SystemExit(f'{" ".join(cmd)} failed or printed no five epochs')
    return time.perf_counter() - start, end - begin


# ------------------------------------------------------------------ GEMM floor

def gemm_shapes(section, batch_size=256, num_inputs=784, num_hiddens=256, num_outputs=10):
    """(m, k, n) of every matrix product one training step of `section` makes.

    Forward X W per layer; backward dW = X^T dY and dX = dY W^T for each layer but the
    first (the images need no gradient). Evaluation adds the forward products.
    """
    sizes = [num_inputs, *[num_hiddens] * hidden_layers(section), num_outputs]
    layers = list(zip(sizes, sizes[1:]))
    forward = [(batch_size, k, n) for k, n in layers]
    backward = [(k, batch_size, n) for k, n in layers]  # dW: (k, b) x (b, n)
    backward += [(batch_size, n, k) for k, n in layers[1:]]  # dX: (b, n) x (n, k)
    return forward, backward


def hidden_layers(section):
    """How many hidden layers chapter `section`'s MLP has: one per dropout after it (3.13),
    else one."""
    from d2lsoftmax import sections
    return max(1, sum(name.startswith('drop_prob') for name in sections.chapter(section).options))


def gemm_floor(section, num_epochs=5, repeat=3):
    """Seconds nd.dot takes for the chapter's products over `num_epochs` (train + test)."""
    from mxnet import nd
    forward, backward = gemm_shapes(section)
    steps, test_steps = 235, 40  # batches of 256 in the training and test sets
    work = []
    for m, k, n in forward + backward:
        work.append((nd.random.uniform(shape=(m, k)), nd.random.uniform(shape=(k, n)), steps))
    for m, k, n in forward:
        work.append((nd.random.uniform(shape=(m, k)), nd.random.uniform(shape=(k, n)), test_steps))
    best = float('inf')
    for _ in range(repeat):
        nd.waitall()
        start = time.perf_counter()
        for a, b, count in work:
            for _ in range(count):
                nd.dot(a, b)
        nd.waitall()
        best = min(best, time.perf_counter() - start)
    flops = 2 * sum(m * k * n * (steps if i < len(forward) + len(backward) else test_steps)
                    for i, (m, k, n) in enumerate(forward + backward + forward))
    return best * num_epochs, flops * num_epochs


def train_seconds(section, num_epochs=5):
    """Seconds of the chapter's 5 epochs in this process (data already read)."""
    from d2lsoftmax import data
    from d2lsoftmax.experiments import runs
    data.load_arrays('train'), data.load_arrays('test')
    start = time.perf_counter()
    runs.train_chapter(section, num_epochs=num_epochs)
    return time.perf_counter() - start


def child_gemm(section):
    import d2lsoftmax  # noqa: F401  (first, as a chapter does: it picks OpenBLAS's kernels)
    floor, flops = gemm_floor(section)
    trained = train_seconds(section)
    print(json.dumps({'floor': floor, 'train': trained, 'flops': flops}))


def measure_gemm(section):
    out = subprocess.run([sys.executable, __file__, '--child-gemm', section], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


# ---------------------------------------------------------------------- RSS

def peak_rss(cmd):
    """Peak RSS in MiB of `cmd` (GNU time's maximum resident set size)."""
    with tempfile.NamedTemporaryFile('r') as report:
        subprocess.run(['/usr/bin/time', '-f', '%M', '-o', report.name] + cmd, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return int(report.read().split()[-1]) / 1024


def timing_rows(repeat):
    """`run 3.6`, `list` and `--help`, each against `import mxnet`, timed alternately."""
    with tempfile.TemporaryDirectory() as out:
        t = alternate({'mxnet': [sys.executable, '-c', 'import mxnet'],
                       'run': [BIN, 'run', '3.6', '--out', out],
                       'list': [BIN, 'list'], 'help': [BIN, '--help']}, repeat)
    rows = [('run 3.6 end to end', t['run'], t['mxnet'], t['run'] / t['mxnet'], '<= 1.6'),
            ("  of which the chapter's 5 epochs", t['training'], t['mxnet'],
             t['training'] / t['mxnet'], '(report)'),
            ('  the rest (import, data, figures)', t['run'] - t['training'], t['mxnet'],
             (t['run'] - t['training']) / t['mxnet'], '(report)')]
    for name in ('list', 'help'):
        rows.append((f'{name}', t[name], t['mxnet'], t[name] / t['mxnet'], '<= 0.2'))
    return rows


def gemm_rows():
    """Each MLP chapter's 5 epochs against nd.dot alone at its shapes (the floor)."""
    rows = []
    from d2lsoftmax import sections
    for section in sections.taking('num_hiddens'):  # the MLPs
        g = measure_gemm(section)
        rows.append((f'GEMM floor {section} ({g["flops"] / g["train"] / 1e9:.0f} GFLOP/s)',
                     g['train'], g['floor'], g['floor'] / g['train'], '>= 0.8'))
    return rows


def rss_rows():
    """Peak RSS of `d2lsoftmax run SECTION` (5 epochs, figures) against the book pipeline's
    main process training the same chapter (1 epoch: its peak comes in the first)."""
    rows = []
    from d2lsoftmax import sections
    for section in sections.training_sections():
        book_rss = peak_rss([sys.executable, os.path.join(HERE, 'bench_train.py'), '--child',
                             'book', '--sections', section, '--num-epochs', '1'])
        with tempfile.TemporaryDirectory() as out:
            ours = peak_rss([BIN, 'run', section, '--out', out])
        rows.append((f'peak RSS {section} (MiB)', ours, book_rss, ours / book_rss, '<= 1.0'))
    return rows


def book_rows():
    """bench_train.py's median of the book's pipeline against ours, 3.6 and 3.7."""
    rows = []
    for section in ('3.6', '3.7'):
        out = subprocess.run([sys.executable, os.path.join(HERE, 'bench_train.py'),
                              '--sections', section, '--repeat', '3'],
                             check=True, capture_output=True, text=True).stdout
        line = next(l for l in out.splitlines() if l.startswith(section + ' '))
        ours_s, _, book_s = (float(v) for v in line.split()[1:4])
        rows.append((f'book / ours {section}', ours_s, book_s, book_s / ours_s, '>= 12'))
    return rows


def verify_rows():
    """`d2lsoftmax verify` with its defaults (about a minute: timed once) / `import mxnet`."""
    t = alternate({'mxnet': [sys.executable, '-c', 'import mxnet'], 'verify': [BIN, 'verify']}, 1)
    return [('verify, all chapters, 2 epochs', t['verify'], t['mxnet'], t['verify'] / t['mxnet'],
             '(report)')]


PARTS = {'timing': timing_rows, 'gemm': gemm_rows, 'rss': rss_rows, 'book': book_rows,
         'verify': verify_rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--skip-book', action='store_true',
                        help='leave out the book-pipeline rows (they take minutes)')
    parser.add_argument('--only', action='append', choices=sorted(PARTS),
                        help='only these rows (repeatable)')
    parser.add_argument('--child-gemm', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_gemm:
        return child_gemm(args.child_gemm)
    parts = args.only or [p for p in PARTS if not (args.skip_book and p in ('rss', 'book'))]
    rows = []  # (what, ours, yardstick, ratio, target)
    for part in parts:
        rows += PARTS[part](args.repeat) if part == 'timing' else PARTS[part]()
    print(f'{"what":<34}{"ours":>9}{"yardstick":>11}{"ratio":>8}  target')
    for what, ours, yard, ratio, target in rows:
        print(f'{what:<34}{ours:>9.2f}{yard:>11.2f}{ratio:>8.2f}  {target}')


if __name__ == '__main__':
    main()
