"""Benchmark: a reduced grid search, serial (one process) against parallel (loky workers).

The full default grid (81 configurations x 5 folds of the MLP) is too big for CI;
this times a reduced one: the cross-validation only (no retrain, no test set),
each run with a fresh results file. It runs the serial search in this process,
then the parallel one twice: cold (workers start and import MXNet: what one
`d2lsoftmax search` pays) and warm (loky reuses the workers: the pure speed-up).
It checks that both give the same CV accuracies, and prints the times.

    python bench/bench_search.py [--section 3.10] [--lr 0.1,0.5] [--wd 0,0.001]
        [--batch-size 256] [--num-epochs 2] [--folds 3] [--subset 24000] [--jobs 2]
"""
import argparse
import os
import tempfile
import time

from d2lsoftmax.experiments import parallel, search


def floats(text):
    return [float(v) for v in text.split(',')]


def ints(text):
    return [int(v) for v in text.split(',')]


def timed_search(spec, grid, jobs, folder, name):
    """(seconds, {key: val_acc}) of one search into a fresh results file."""
    start = time.perf_counter()
    results = search.run_search(spec, grid, os.path.join(folder, name + '.jsonl'), jobs,
                                progress=False, log=lambda *a: None)
    return time.perf_counter() - start, {k: r['val_acc'] for k, r in results.items()}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--section', default=search.DEFAULT_SECTION)
    p.add_argument('--lr', type=floats, default=[0.1, 0.5])
    p.add_argument('--wd', type=floats, default=[0.0, 0.001])
    p.add_argument('--batch-size', type=ints, default=[256])
    p.add_argument('--num-epochs', type=ints, default=[2])
    p.add_argument('--folds', type=int, default=3)
    p.add_argument('--subset', type=int, default=24000)
    p.add_argument('--jobs', type=int, default=parallel.default_jobs())
    args = p.parse_args()
    grid = search.make_grid(args.section, {'lr': args.lr, 'wd': args.wd,
                                           'batch_size': args.batch_size,
                                           'num_epochs': args.num_epochs})
    spec = search.Spec(args.section, args.folds, args.subset)
    tasks = len(search.configurations(grid)) * args.folds
    print(f'chapter {args.section}: {len(search.configurations(grid))} configurations x '
          f'{args.folds} folds = {tasks} trainings on {args.subset} images; '
          f'{os.cpu_count()} cores, {args.jobs} workers')
    search.training_arrays(args.subset)  # read the data once, outside the timings
    with tempfile.TemporaryDirectory() as folder:
        serial, serial_accs = timed_search(spec, grid, 1, folder, 'serial')
        cold, cold_accs = timed_search(spec, grid, args.jobs, folder, 'cold')
        warm, warm_accs = timed_search(spec, grid, args.jobs, folder, 'warm')
    same = all(abs(serial_accs[k] - cold_accs[k]) < 1e-6 and
               abs(serial_accs[k] - warm_accs[k]) < 1e-6 for k in serial_accs)
    print(f'serial ({1} process)          {serial:7.2f} s   {serial / tasks:.2f} s/fold')
    print(f'parallel, cold ({args.jobs} workers)  {cold:7.2f} s   speed-up {serial / cold:.2f}x '
          '(includes starting the workers)')
    print(f'parallel, warm ({args.jobs} workers)  {warm:7.2f} s   speed-up {serial / warm:.2f}x')
    print('same CV accuracies serial and parallel:', 'yes' if same else 'NO')


if __name__ == '__main__':
    main()
