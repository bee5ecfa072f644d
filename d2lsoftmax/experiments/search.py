"""Grid search with k-fold cross-validation inside the training set; the test set waits.

Every configuration of the grid is trained k times, each time on k-1 folds of
the training images and scored on the fold left out. Each finished fold is
appended to a results file (JSON lines) as it lands, so an interrupted search
resumes where it stopped. Only then is the best configuration (highest mean CV
accuracy) trained on the whole training set and scored on the test set, once.
"""
import itertools
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from d2lsoftmax.util import limits, outputs
from d2lsoftmax.experiments import parallel
from d2lsoftmax.data import FashionMNISTIter, load_arrays, locate, release_line
from d2lsoftmax.experiments.experiment import Settings, check, train
from d2lsoftmax.sections import DEFAULT_GRID, SEARCH_SECTION, chapter_args, training_chapter

DEFAULT_SECTION = SEARCH_SECTION  # the concise MLP: it has all four axes
AXES = ('lr', 'num_hiddens', 'wd', 'batch_size', 'num_epochs')  # what a grid may vary
SETTINGS_AXES = ('wd',)  # axes that are experiment Settings, not chapter options


@dataclass(frozen=True)
class Spec:
    """What makes one search: chapter, folds, data, seed and the fixed settings."""
    section: str
    k: int = 5
    subset: int = None  # first `subset` training images; None: all 60000
    seed: int = 0  # seeds the fold split and every training run
    settings: dict = field(default_factory=dict)  # fixed Settings (lr decay, optimizer...)
    release: str = None  # Fashion-MNIST release of every fold (None: the one a load finds)


# ----------------------------------------------------------------------- grid

def chapter_axes(section):
    """The grid axes chapter `section` can vary: its options plus wd."""
    found = training_chapter(section)
    options = set(found.defaults) | set(found.options)
    return [a for a in AXES if a in options or a in SETTINGS_AXES]


def make_grid(section, given=None):
    """{axis: values}: the defaults where the chapter has that axis, overridden by `given`.

    An axis in `given` that the chapter lacks is an error; a default one is dropped.
    """
    given = {a: v for a, v in (given or {}).items() if v is not None}
    axes = chapter_axes(section)
    unknown = [a for a in given if a not in axes]
    if unknown:
        raise ValueError(f'chapter {section} has no {", ".join(unknown)} to search over; '
                         f'it can vary {", ".join(axes)}')
    grid = {a: v for a, v in DEFAULT_GRID.items() if a in axes}
    grid.update(given)
    for axis, values in grid.items():
        check_values(axis, values)
    return grid


def check_values(axis, values):
    """ValueError unless `values` is a non-empty list of valid settings for `axis`."""
    if not values:
        raise ValueError(f'{axis}: give at least one value')
    for v in values:
        whole = axis in ('num_hiddens', 'batch_size', 'num_epochs')
        if (whole and (int(v) != v or v < 1)) or (axis == 'lr' and not v > 0) \
                or (axis == 'wd' and v < 0):
            need = 'a positive integer' if whole else '>= 0' if axis == 'wd' else '> 0'
            raise ValueError(f'{axis}: {v} is not valid; each value must be {need}')


def configurations(grid):
    """Every combination of the grid's values, as dicts in axis order."""
    names = list(grid)
    return [dict(zip(names, values)) for values in itertools.product(*grid.values())]


# ---------------------------------------------------------------------- folds

def kfold_indices(n, k, seed=0):
    """k disjoint index arrays covering range(n), of sizes differing by at most one."""
    if not 2 <= k <= n:
        raise ValueError(f'k-fold needs 2 <= k <= number of examples, got k={k}, n={n}')
    order = np.random.RandomState(seed).permutation(n)  # shuffle once, then cut
    return np.array_split(order, k)


def fold_split(n, k, fold, seed=0):
    """(train indices, validation indices) of fold `fold`: validate on it, train on the rest."""
    folds = kfold_indices(n, k, seed)
    train_idx = np.sort(np.concatenate([f for i, f in enumerate(folds) if i != fold]))
    return train_idx, np.sort(folds[fold])


def training_arrays(subset=None, release=None):
    """Training images and labels, or the first `subset` of them. Never the test set."""
    images, labels = load_arrays('train', release=release)
    if subset is not None:
        if not 0 < subset <= len(labels):
            raise ValueError(f'subset must be between 1 and {len(labels)}, got {subset}')
        images, labels = images[:subset], labels[:subset]
    return images, labels


def fold_loader(images, labels, k, fold, seed):
    """loader(batch_size) -> (train_iter over k-1 folds, shuffled; val_iter over the fold)."""
    train_idx, val_idx = fold_split(len(labels), k, fold, seed)

    def loader(batch_size):
        return (FashionMNISTIter(images[train_idx], labels[train_idx], batch_size, shuffle=True),
                FashionMNISTIter(images[val_idx], labels[val_idx], batch_size))
    return loader


# ---------------------------------------------------------------- one fold

def task_key(spec, config, fold):
    """A string naming one fold of one configuration of one search, for the results file."""
    return json.dumps({**asdict(spec), 'config': config, 'fold': fold}, sort_keys=True)


def split_config(config):
    """(chapter overrides, Settings fields) of a configuration."""
    overrides = {a: v for a, v in config.items() if a not in SETTINGS_AXES}
    return overrides, {a: v for a, v in config.items() if a in SETTINGS_AXES}


def run_fold(task):
    """Worker: train one configuration on k-1 folds, score it on the last; a result dict."""
    spec, config, fold = Spec(**task['spec']), task['config'], task['fold']
    start = time.perf_counter()
    images, labels = training_arrays(spec.subset, spec.release)
    overrides, settings = split_config(config)
    loader = fold_loader(images, labels, spec.k, fold, spec.seed)
    trained = train(spec.section, spec.seed, Settings(**{**spec.settings, **settings}),
                    loader=loader, **overrides)
    last = trained.records[-1]  # its test_acc is the validation fold's accuracy
    train_iter, val_iter = loader(1)
    return {'key': task['key'], 'config': config, 'fold': fold, 'val_acc': last.test_acc,
            'train_acc': last.train_acc, 'loss': last.loss,
            'n_train': len(train_iter.labels), 'n_val': len(val_iter.labels),
            'records': [list(r) for r in trained.records],
            'seconds': time.perf_counter() - start, 'pid': os.getpid(),
            'release': spec.release}


# ------------------------------------------------------------- results file

def repair(path):
    """Cut a last line left half-written by a kill, so appends start on a fresh line; returns
    the number of lines cut (0 or 1)."""
    if not os.path.exists(path):
        return 0
    with open(path, 'rb+') as f:
        content = f.read()
        if content and not content.endswith(b'\n'):
            f.truncate(content.rfind(b'\n') + 1)
            return 1
    return 0


def read_results(path):
    """{key: result} of the finished folds in `path` (no file: none); bad lines are skipped."""
    return parse_results(path)[0]


def parse_results(path):
    """({key: result}, how many lines were not a result: cut short by a kill, or damaged)."""
    results, damaged = {}, 0
    if os.path.exists(path):
        with open(path, 'rb') as f:
            for line in f:
                try:
                    result = json.loads(line)  # bytes: bad UTF-8 is a ValueError too
                    results[result['key']] = result
                except (ValueError, KeyError, TypeError):
                    damaged += bool(line.strip())  # that fold, if of this search, runs again
    return results, damaged


def warn_damaged(path, count):
    """Say once, on stderr, that `count` lines of results file `path` were ignored."""
    lines = f'{count} line{"s" if count != 1 else ""}'
    print(f'warning: {path}: {lines} could not be read (cut short or damaged) and '
          f'{"were" if count != 1 else "was"} ignored; the folds they held are run again',
          file=sys.stderr, flush=True)


def append_result(path, result):
    """Append one result as a JSON line, on disk before going on; a failed append leaves the
    lines before it intact (outputs.append_line)."""
    outputs.append_line(path, json.dumps(result))


# ------------------------------------------------------------------- search

def run_search(spec, grid, results_path, jobs=1, progress=True, log=print, executor=None):
    """Cross-validate every configuration, skipping folds already in `results_path`.

    Returns {key: result} of this search's folds. Touches the training set only.
    `executor` (cluster.Executor) runs the folds on a Dask cluster instead of `jobs`.
    The results file is locked meanwhile: a second search writing it is refused.
    """
    limits.check_search(spec.k, spec.subset or limits.TRAIN_EXAMPLES,
                        math.prod(len(values) for values in grid.values()))
    try:  # its folder first: the lock lives beside it
        os.makedirs(os.path.dirname(os.path.abspath(results_path)), exist_ok=True)
    except OSError as e:
        raise outputs.write_error(results_path, e) from None
    with outputs.locked(results_path, 'search'):
        return _run_search(spec, grid, results_path, jobs, progress, log, executor)


def _run_search(spec, grid, results_path, jobs, progress, log, executor):
    """run_search's work, with the results file locked."""
    from tqdm import tqdm
    tasks = [{'key': task_key(spec, config, fold), 'spec': asdict(spec),
              'config': config, 'fold': fold}
             for config in configurations(grid) for fold in range(spec.k)]
    cut = repair(results_path)
    done, damaged = parse_results(results_path)
    if cut + damaged:
        warn_damaged(results_path, cut + damaged)
    todo = [t for t in tasks if t['key'] not in done]
    log(f'{len(tasks)} folds ({len(tasks) // spec.k} configurations x {spec.k}): '
        f'{len(tasks) - len(todo)} already in {results_path}, {len(todo)} to run'
        + ((f' on {executor}' if executor else f' on {max(1, min(jobs, len(todo)))} worker(s)')
           if todo else ''))
    with tqdm(total=len(tasks), initial=len(tasks) - len(todo), unit='fold', desc='search',
              disable=not progress or not todo, smoothing=0.1) as bar:
        for result in parallel.imap(run_fold, todo, jobs, executor):
            append_result(results_path, result)
            done[result['key']] = result
            bar.set_postfix(val_acc=f'{result["val_acc"]:.3f}')
            bar.update()
    return {t['key']: done[t['key']] for t in tasks}


def rank(results):
    """Configurations by mean CV accuracy, best first: dicts with config, mean, std, folds."""
    by_config = {}
    for result in results.values():
        by_config.setdefault(json.dumps(result['config'], sort_keys=True), []).append(result)
    rows = []
    for folds in by_config.values():
        accs = np.array([r['val_acc'] for r in folds])
        rows.append({'config': folds[0]['config'], 'mean': accs.mean(),
                     'std': accs.std(ddof=1) if len(accs) > 1 else 0.0, 'folds': len(folds),
                     'train_acc': np.mean([r['train_acc'] for r in folds]),
                     'seconds': sum(r['seconds'] for r in folds),
                     'records': np.mean([r['records'] for r in folds], axis=0).tolist()})
    return sorted(rows, key=lambda row: -row['mean'])


def format_table(rows, names, top=None):
    """The ranked configurations as text lines: rank, settings, mean and std of CV accuracy."""
    head = f'{"rank":>4}  ' + ''.join(f'{n:>12}' for n in names) \
        + f'{"CV acc":>9}{"± std":>8}{"train acc":>11}{"seconds":>9}'
    lines = [head]
    for i, row in enumerate(rows[:top] if top else rows, 1):
        lines.append(f'{i:>4}  ' + ''.join(f'{row["config"][n]:>12g}' for n in names)
                     + f'{row["mean"]:>9.4f}{row["std"]:>8.4f}{row["train_acc"]:>11.4f}'
                     f'{row["seconds"]:>9.1f}')
    return lines


def retrain_best(spec, config, verbose=True):
    """Train `config` on the whole (subset of the) training set; score it on the test set.

    train_ch3 reports the test accuracy after every epoch, for the curves; nothing
    is chosen by it: the configuration was fixed by the CV accuracy alone.
    """
    images, labels = training_arrays(spec.subset, spec.release)
    test_images, test_labels = load_arrays('test', release=spec.release)  # used only here

    def loader(batch_size):
        return (FashionMNISTIter(images, labels, batch_size, shuffle=True),
                FashionMNISTIter(test_images, test_labels, batch_size))
    overrides, settings = split_config(config)
    return train(spec.section, spec.seed, Settings(**{**spec.settings, **settings}),
                 loader=loader, verbose=verbose, **overrides)


def best_args(spec, config):
    """The chapter's argument namespace for `config` (what checkpoint.save records)."""
    return chapter_args(spec.section, spec.seed, **split_config(config)[0])


def describe(config):
    """'lr=0.1, num_hiddens=100, ...' of a configuration."""
    return ', '.join(f'{k}={v:g}' for k, v in config.items())


def search(spec, grid, results_path, jobs=1, out='out', save_params=None, progress=True,
           executor=None):
    """The whole search: cross-validate, rank, plot, retrain the best, test it once.

    Returns (ranked rows, the retrained best as experiment.Trained).
    """
    from d2lsoftmax.experiments import checkpoint  # matplotlib only where a figure is drawn
    from d2lsoftmax.training import plotting
    outputs.check_outputs(folders=[(out, '--out')], appends=[(results_path, '--results')])
    if save_params:  # a path that cannot be written fails now, not after the search
        checkpoint.check_target(save_params, spec.section)
    check(spec.section, Settings(**spec.settings))  # a bad setting fails now, not in a worker
    location = locate(release=spec.release)  # every fold, and the results' keys, name it
    spec = replace(spec, release=location.release)
    print(release_line(location=location))
    rows = rank(run_search(spec, grid, results_path, jobs, progress, executor=executor))
    names = list(grid)
    print('\n'.join(format_table(rows, names)))
    best = rows[0]
    varied = [n for n in names if len(grid[n]) > 1] or names
    plotting.plot_cv_accuracy(rows, varied, os.path.join(out, f'search_{spec.section}_cv.png'),
                              f'chapter {spec.section}: mean CV accuracy ({spec.k} folds)')
    print(f'best: {describe(best["config"])}: CV acc {best["mean"]:.4f} ± {best["std"]:.4f}')
    n = len(training_arrays(spec.subset, spec.release)[1])
    print(f'retraining it on all {n} training images; the test set is used now, once:')
    trained = retrain_best(spec, best['config'])
    print(f'best configuration: test acc {trained.records[-1].test_acc:.4f} '
          f'(CV acc {best["mean"]:.4f})')
    plotting.plot_history(trained.records, os.path.join(out, f'search_{spec.section}_best.png'),
                          f'best of the search: {describe(best["config"])}')
    if save_params:
        checkpoint.save(save_params, trained.model, spec.section,
                        best_args(spec, best['config']), {**spec.settings, **split_config(
                            best['config'])[1]}, release=spec.release)
        print(f'parameters saved to {save_params}')
    return rows, trained
