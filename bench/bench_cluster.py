"""Benchmark: one reduced grid search serially, with local joblib workers, and on a Dask cluster.

The search is fixed: 12 configurations of chapter 3.10 (lr 0.01,0.1,0.5 x
num_hiddens 50,200 x batch_size 64,256, wd 1e-3) x 3 folds on the first 24,000
training images, i.e. 36 trainings on 16,000 images each; cross-validation only
(no retrain, no test set), each run into a fresh results file. It times:

  serial        one process (this one), the data already read;
  joblib        `--jobs N`: loky workers started for the search (cold);
  dask cold     `--scheduler local:N`: start a local cluster, connect, search;
  dask warm     a second search on that cluster (workers loaded, data cached);
  dask no-op    200 tasks that do nothing: what Dask itself costs per task.

and prints trainings per second and the overhead per task: wall time x workers
minus the training time measured inside the tasks, per task. Then it estimates
the full default grid (81 configurations x 5 folds on 48,000 images) on 1, 4
and 16 machines like this one. It asserts nothing (it does say whether the CV
accuracies agree).

    python bench/bench_cluster.py [--workers 2] [--threads T] [--num-epochs 5]
        [--modes serial,joblib,dask]
"""
import argparse
import math
import os
import tempfile
import time

from d2lsoftmax.experiments import cluster, search

GRID = {'lr': [0.01, 0.1, 0.5], 'num_hiddens': [50, 200], 'wd': [1e-3], 'batch_size': [64, 256]}
FOLDS, SUBSET = 3, 24000
FULL_TASKS, FULL_TRAIN = 81 * 5, 48000  # the default grid: 81 configurations x 5 folds


def timed(spec, grid, folder, name, jobs=1, executor=None):
    """(wall seconds, {key: result}) of one search into a fresh results file."""
    start = time.perf_counter()
    results = search.run_search(spec, grid, os.path.join(folder, name + '.jsonl'), jobs,
                                progress=False, log=lambda *a: None, executor=executor)
    return time.perf_counter() - start, results


def noop(task):
    """A task that does nothing: its round trip is Dask's own cost."""
    return task


def noop_seconds(executor, n=200):
    """Seconds per task of n no-op tasks through the executor (submit to result)."""
    start = time.perf_counter()
    for _ in executor.imap(noop, range(n)):
        pass
    return (time.perf_counter() - start) / n


def line(name, wall, results, workers, serial=None):
    """One row: wall time, trainings per second, overhead per task, speed-up."""
    tasks = len(results)
    inside = sum(r['seconds'] for r in results.values())
    overhead = (wall * workers - inside) / tasks
    row = (f'{name:<24}{wall:8.1f} s {tasks / wall:7.2f} trainings/s   '
           f'{inside / tasks:5.2f} s/training inside   overhead {overhead:+6.2f} s/task')
    return row + (f'   speed-up {serial / wall:4.2f}x' if serial else '')


def estimate(per_task, workers, overhead=0.0):
    """Lines: the full default grid's wall time on 1, 4 and 16 machines of `workers` cores."""
    full = (per_task * FULL_TRAIN / (SUBSET * (FOLDS - 1) / FOLDS)) + overhead
    lines = [f'full default grid ({FULL_TASKS} trainings, ~{full:.1f} s each on '
             f'{FULL_TRAIN} images; {workers} workers per machine):']
    for machines in (1, 4, 16):
        rounds = math.ceil(FULL_TASKS / (machines * workers))
        lines.append(f'  {machines:>2} machine(s): {rounds * full / 60:6.1f} min '
                     f'({rounds} rounds of {machines * workers} trainings)')
    return lines


def same(a, b):
    return all(abs(a[k]['val_acc'] - b[k]['val_acc']) < 1e-9 for k in a)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--workers', type=int, default=os.cpu_count() or 1)
    p.add_argument('--threads', type=int, default=None,
                   help='OpenMP threads per Dask worker (default cores // workers)')
    p.add_argument('--num-epochs', type=int, default=5)
    p.add_argument('--modes', default='serial,joblib,dask')
    args = p.parse_args()
    modes = args.modes.split(',')
    grid = search.make_grid(search.DEFAULT_SECTION, {**GRID, 'num_epochs': [args.num_epochs]})
    location = search.locate()
    spec = search.Spec(search.DEFAULT_SECTION, FOLDS, SUBSET, release=location.release)
    tasks = len(search.configurations(grid)) * FOLDS
    print(f'chapter {spec.section}: {tasks // FOLDS} configurations x {FOLDS} folds = {tasks} '
          f'trainings on {SUBSET} images, {args.num_epochs} epochs; {os.cpu_count()} cores, '
          f'{args.workers} workers, {args.threads or "default"} threads per Dask worker; '
          f'load average {os.getloadavg()[0]:.2f}')
    search.training_arrays(SUBSET, spec.release)  # read the data once, outside the timings
    rows, runs, serial = [], {}, None
    with tempfile.TemporaryDirectory() as folder:
        if 'serial' in modes:
            serial, runs['serial'] = timed(spec, grid, folder, 'serial')
            rows.append(line('serial (1 process)', serial, runs['serial'], 1))
        if 'joblib' in modes:
            wall, runs['joblib'] = timed(spec, grid, folder, 'joblib', args.workers)
            rows.append(line(f'joblib, {args.workers} workers', wall, runs['joblib'],
                             args.workers, serial))
        if 'dask' in modes:
            start = time.perf_counter()
            with cluster.start_local(args.workers, threads=args.threads) as local, \
                    cluster.connect(local.scheduler_address) as executor:
                started = time.perf_counter() - start
                wall, runs['dask'] = timed(spec, grid, folder, 'dask-cold', executor=executor)
                rows.append(line(f'dask local:{args.workers}, cold', started + wall,
                                 runs['dask'], args.workers, serial))
                warm, runs['warm'] = timed(spec, grid, folder, 'dask-warm', executor=executor)
                rows.append(line(f'dask local:{args.workers}, warm', warm, runs['warm'],
                                 args.workers, serial))
                per_noop = noop_seconds(executor)
            rows.append(f'dask: cluster start {started:.1f} s; a no-op task costs '
                        f'{per_noop * 1000:.1f} ms (round trip, {args.workers} workers)')
    print('\n'.join(rows))
    first = next(iter(runs.values()))
    print('same CV accuracies in every mode:',
          'yes' if all(same(first, r) for r in runs.values()) else 'NO')
    base = runs.get('warm') or runs.get('joblib') or runs['serial']
    per_task = sum(r['seconds'] for r in base.values()) / len(base)
    print('\n'.join(estimate(per_task, args.workers)))


if __name__ == '__main__':
    main()
