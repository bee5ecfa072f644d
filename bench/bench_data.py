"""Benchmark: one pass over Fashion-MNIST's training set, this package vs the book's pipeline.

Each pipeline runs in a fresh subprocess, which loads train and test, makes
--repeat timed passes over train (the best is reported) and reports its peak RSS
(ru_maxrss after loading and the first pass; for the book's DataLoader with
workers, that of the main process). Targets: >= 10x faster than the book's
pipeline, and a peak RSS no larger than the book's main process.

    python bench/bench_data.py [--repeat 3] [--batch-size 256]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

PIPELINES = {  # name: (label, book num_workers or None for ours)
    'ours': ('d2lsoftmax.load_data_fashion_mnist', None),
    'book0': ('book DataLoader+ToTensor, num_workers=0', 0),
    'book4': ('book DataLoader+ToTensor, num_workers=4', 4),
}
SPEED_TARGET = 10.0


def load(name, batch_size):
    """(train_iter, test_iter) of pipeline `name`, both sets loaded."""
    num_workers = PIPELINES[name][1]
    if num_workers is None:
        import d2lsoftmax
        return d2lsoftmax.load_data_fashion_mnist(batch_size)
    from d2lsoftmax.reference import book
    return book.load_data_fashion_mnist(batch_size, num_workers=num_workers)


def one_pass(train_iter):
    """Read every batch of one pass and wait until MXNet has really computed them all."""
    from mxnet import nd
    batches = 0
    for X, y in train_iter:
        batches += 1
    nd.waitall()  # the batches are computed asynchronously: wait before stopping the clock
    return batches


def measure(name, batch_size, repeat):
    """Best pass time, batches per pass and peak RSS (MiB) of one pipeline, in this process."""
    train_iter, _ = load(name, batch_size)
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        batches = one_pass(train_iter)
        times.append(time.perf_counter() - start)
        if i == 0:
            rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {'best_s': min(times), 'times': times, 'batches': batches, 'rss_mib': rss_mib}


def run_fresh(name, batch_size, repeat):
    """measure() in a fresh Python process, so each peak RSS is the pipeline's own."""
    cmd = [sys.executable, os.path.abspath(__file__), '--worker', name,
           '--batch-size', str(batch_size), '--repeat', str(repeat)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        tail = result.stderr.strip().splitlines()[-1:] or ['(no message)']
        return {'error': f'exit {result.returncode}: {tail[0]}'}
    return json.loads(result.stdout.strip().splitlines()[-1])


def report(results, batch_size, repeat):
    """Print the table, the ratios and whether the targets are met."""
    print(f'Fashion-MNIST train, batch {batch_size}, best of {repeat} passes, '
          f'{os.cpu_count()} CPUs, each pipeline in a fresh process')
    print(f'{"pipeline":<45} {"pass (s)":>9} {"batches":>8} {"peak RSS (MiB)":>15}')
    for name, r in results.items():
        label = PIPELINES[name][0]
        if 'error' in r:
            print(f'{label:<45} failed: {r["error"]}')
            continue
        print(f'{label:<45} {r["best_s"]:>9.3f} {r["batches"]:>8d} {r["rss_mib"]:>15.0f}')
    ours = results.get('ours', {})
    if 'error' in ours:
        return
    for name in ('book4', 'book0'):
        r = results.get(name, {})
        if 'error' in r or not r:
            continue
        speed = r['best_s'] / ours['best_s']
        rss = ours['rss_mib'] / r['rss_mib']
        print(f'vs {PIPELINES[name][0]}: {speed:.1f}x faster '
              f'(target >= {SPEED_TARGET:.0f}x: {"met" if speed >= SPEED_TARGET else "MISSED"}), '
              f'peak RSS {rss:.2f}x theirs (target <= 1: {"met" if rss <= 1 else "MISSED"})')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=3, help='timed passes; the best is kept')
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--only', choices=sorted(PIPELINES), action='append',
                        help='run only these pipelines (repeatable)')
    parser.add_argument('--worker', choices=sorted(PIPELINES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.batch_size < 1:
        parser.error('--repeat and --batch-size must be positive')
    if args.worker:  # inside the fresh subprocess
        print(json.dumps(measure(args.worker, args.batch_size, args.repeat)))
        return
    results = {name: run_fresh(name, args.batch_size, args.repeat)
               for name in (args.only or PIPELINES)}
    report(results, args.batch_size, args.repeat)


if __name__ == '__main__':
    main()
