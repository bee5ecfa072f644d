"""Is my run normal? Train a chapter under several seeds; mean, spread, and the book's figure.

The book's published logs (book_logs.md) are one run each: a faithful
reproduction lands near them, not on them. Training under seeds 0-9 shows how
far runs spread, and where the book's figure falls in that spread.
"""
import os
import re
from collections import namedtuple
from dataclasses import asdict
from functools import partial

import numpy as np

from d2lsoftmax.reference import book_figures as published
from d2lsoftmax import data
from d2lsoftmax.util import limits
from d2lsoftmax.experiments import parallel
from d2lsoftmax.experiments.experiment import Settings, check, train
from d2lsoftmax.util.limits import UsageError
from d2lsoftmax.sections import training_chapter
from d2lsoftmax.training import EPOCH_LINE

COLUMNS = ('loss', 'train_acc', 'test_acc')
BookFigure = namedtuple('BookFigure', 'source epoch loss train_acc test_acc')
BOOK_LOGS_ENV = 'D2LSOFTMAX_BOOK_LOGS'
_EPOCH_RE = re.compile(r'epoch (\d+), loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)')
_TRIPLE_RE = re.compile(r'^([\d.]+) / ([\d.]+) / ([\d.]+)$')


# ---------------------------------------------------------------------- seeds

def parse_seeds(text):
    """Seeds from '0-9', '0,3,5' or '0-4,7' as a sorted list of distinct ints.

    limits.UsageError (a ValueError) for a malformed list, a seed of 2**32 or more, or
    more than limits.MAX_SEEDS seeds; a range is measured before it is expanded.
    """
    seeds = set()
    for part in str(text).split(','):
        part = part.strip()
        match = re.fullmatch(r'(\d+)(?:-(\d+))?', part)
        if not match:
            raise UsageError(f'bad seed list {text!r}: {part!r} is neither a seed (7) nor '
                             'a range (0-9); write e.g. 0-9 or 0,3,5')
        first, last = int(match[1]), int(match[2] or match[1])
        if last < first:
            raise UsageError(f'bad seed range {part!r} in {text!r}: write low-high, e.g. 0-9')
        limits.check_seed_range(first, last, text)
        seeds.update(range(first, last + 1))
        limits.check_seed_count(len(seeds), text)
    return sorted(seeds)


def train_seed(task):
    """Worker: train (section, seed, settings dict, overrides, release); (seed, records).

    release None loads whichever release a load finds; a cluster's tasks name the client's.
    """
    section, seed, settings, overrides, release = task
    loader = partial(data.load_data_fashion_mnist, release=release)
    return seed, train(section, seed, Settings(**settings), loader=loader, **overrides).records


def run_seeds(section, seeds, settings=Settings(), jobs=1, on_done=None, executor=None,
              **overrides):
    """{seed: records} of the chapter trained once per seed; on_done(seed, records) after each.

    `executor` (cluster.Executor) trains them on a Dask cluster, on this process's release.
    """
    check(section, settings)  # a bad setting fails now, not in a worker
    release = data.locate().release if executor is not None else None
    tasks = [(section, seed, asdict(settings), overrides, release) for seed in seeds]
    runs = {}
    for seed, records in parallel.imap(train_seed, tasks, jobs, executor):
        runs[seed] = records
        if on_done:
            on_done(seed, records)
    return dict(sorted(runs.items()))


def summarize(finals):
    """{column: (mean, std)} over final EpochRecords; std is the sample std (ddof=1)."""
    stats = {}
    for column in COLUMNS:
        values = np.array([getattr(r, column) for r in finals], dtype=float)
        std = values.std(ddof=1) if len(values) > 1 else 0.0
        stats[column] = (values.mean(), std)
    return stats


# --------------------------------------------------------------- book figures

def book_logs_places():
    """Where a log file to compare with is looked for: $D2LSOFTMAX_BOOK_LOGS, if set.

    Without it the book's figures come from the package (book_figures): ../shared
    exists only beside this repository's CI, never on a user's machine.
    """
    return [os.environ[BOOK_LOGS_ENV]] if os.environ.get(BOOK_LOGS_ENV) else []


def find_book_logs():
    """The path of book_logs.md, or None when none of book_logs_places() exists."""
    return next((p for p in book_logs_places() if os.path.isfile(p)), None)


def parse_book_logs(text):
    """{section: [BookFigure]}: every epoch line under '### SECTION' headings (labelled by
    their '## Source' heading), and each final-epoch cell of the re-run tables (epoch None)."""
    figures, source, section, columns = {}, None, None, None
    for line in text.splitlines():
        if line.startswith('## '):
            source = re.split(r' [—-] |,', line[3:])[0].strip()
        elif line.startswith('### '):
            section = line[4:].split()[0]
        elif _EPOCH_RE.search(line) and section:
            e, loss, train_acc, test_acc = _EPOCH_RE.search(line).groups()
            figures.setdefault(section, []).append(
                BookFigure(source, int(e), float(loss), float(train_acc), float(test_acc)))
        elif line.startswith('|'):
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if cells[0] == 'chapter':
                columns = cells  # the sources, in the header row
            elif columns and cells[0][:1].isdigit():
                for name, cell in zip(columns[1:], cells[1:]):  # '0.4911 / 0.834 / 0.840'
                    match = _TRIPLE_RE.match(cell)
                    if match:
                        figures.setdefault(cells[0].split()[0], []).append(
                            BookFigure(name, None, *map(float, match.groups())))
    return figures


def _settings_differ(chapter, overrides, settings):
    """What makes this run other than the book's (the chapter's defaults), as text; '' if none."""
    changed = [f'{k}={v}' for k, v in settings.changed().items()]
    for key, value in overrides.items():
        default = {**chapter.options, **chapter.defaults}.get(key)
        if key == 'num_epochs' or isinstance(default, bool):
            continue
        if value != default:
            changed.append(f'{key}={value} (book: {default})')
    epochs = overrides.get('num_epochs', chapter.defaults['num_epochs'])
    if epochs > chapter.defaults['num_epochs']:
        changed.append(f'num_epochs={epochs} (book: {chapter.defaults["num_epochs"]})')
    return ', '.join(changed)


def book_figures(section, num_epochs, final_epoch, path):
    """The book's figures for `section` after `num_epochs` epochs (tables count as final)."""
    with open(path, encoding='utf-8') as f:
        figures = parse_book_logs(f.read()).get(section, [])
    return [f._replace(epoch=f.epoch or final_epoch) for f in figures
            if f.epoch == num_epochs or (f.epoch is None and num_epochs == final_epoch)]


# --------------------------------------------------------------------- report

def _where(value, values, mean, std):
    """'+1.3 sd, above 8/10' : how far `value` lies from the seeds' spread."""
    below = sum(v < value for v in values)
    z = f'{(value - mean) / std:+.1f} sd' if std > 0 else 'sd 0'
    return f'{z}, > {below}/{len(values)}'


def seed_line(seed, records):
    """'seed   3: epoch 5, loss ...': the final epoch of one seed's run."""
    return f'seed {seed:>3}: ' + EPOCH_LINE % records[-1]


def report(section, runs, settings=Settings(), **overrides):
    """Lines: mean and std of each final column over the seeds, and the book's place in them."""
    chapter = training_chapter(section)
    finals = [records[-1] for records in runs.values()]
    stats = summarize(finals)
    widths = (10, 11, 10)

    def row(name, i):
        return f'{name:<13}' + ''.join(f'{stats[c][i]:>{w}.4f}' for c, w in zip(COLUMNS, widths))
    lines = ['', f'{f"{len(finals)} seeds":<13}' + ''.join(
        f'{h:>{w}}' for h, w in zip(('loss', 'train acc', 'test acc'), widths)),
        row('mean', 0), row('std', 1)]
    return lines + book_comparison(chapter, section, finals, stats, settings, overrides)


def run_release():
    """The Fashion-MNIST release a load uses now (the seeds' runs), or None if none is found."""
    try:
        return data.locate(download=False).release
    except data.DataError:
        return None


def _published(section, num_epochs, final_epoch):
    """(the book's figures after `num_epochs` epochs, where they come from): the file
    $D2LSOFTMAX_BOOK_LOGS names if set, else the figures shipped in book_figures."""
    path = find_book_logs()
    if path is not None:
        return book_figures(section, num_epochs, final_epoch, path), path
    return ([BookFigure(f.source, f.epoch, f.loss, f.train_acc, f.test_acc)
             for f in published.at_epoch(section, num_epochs)],
            f'published, on Fashion-MNIST {published.PUBLISHED_RELEASE}')


def _other_release(section, num_epochs, release):
    """Lines saying the book ran on the other release, and this package's spread on `release`."""
    book = published.PUBLISHED_RELEASE
    lines = ['', f'book comparison skipped: the book ran on Fashion-MNIST {book} (gluon\'s '
             f'mirror), these seeds on {release or "an unknown release"}, which splits train '
             f'and test differently; {data.RELEASE_ENV}={book} compares like with like']
    spread = published.measured(section, release)
    if spread is not None and num_epochs == published.FINAL_EPOCH:
        lines.append(f'  measured on {release} over {spread.seeds} seeds ({spread.source}): '
                     + ', '.join(f'{name} {value[0]:.4f} ± {value[1]:.4f}' for name, value in (
                         ('loss', spread.loss), ('train acc', spread.train_acc),
                         ('test acc', spread.test_acc)) if value is not None))
    return lines


def book_comparison(chapter, section, finals, stats, settings, overrides):
    """Lines placing the book's published figures in this spread, or why they are skipped.

    The book's figures are compared only with runs on the book's release (2017-08-26);
    a log file given in $D2LSOFTMAX_BOOK_LOGS is compared as it is.
    """
    if book_logs_places() and find_book_logs() is None:
        return ['', 'book comparison skipped: book_logs.md not found (looked at '
                + ', '.join(book_logs_places()) + f'); set {BOOK_LOGS_ENV}=/path/to/book_logs.md']
    differ = _settings_differ(chapter, overrides, settings)
    if differ:
        return ['', f'book comparison skipped: this run differs from the book ({differ})']
    num_epochs = finals[0].epoch
    if not book_logs_places():
        release = run_release()
        if release != published.PUBLISHED_RELEASE:
            return _other_release(section, num_epochs, release)
    figures, path = _published(section, num_epochs, chapter.defaults['num_epochs'])
    if not figures:
        return ['', f'book comparison skipped: {path} has no figure for chapter {section} '
                f'after {num_epochs} epochs']
    lines = ['', f'the book after epoch {num_epochs}, against these seeds ({path})',
             '  (sd: standard deviations from the seeds\' mean; > n/N: above n of N seeds)']
    for fig in figures:
        lines.append(f'  {fig.source}')
        lines.append('    ' + '   '.join(
            f'{name} {getattr(fig, c):{".4f" if c == "loss" else ".3f"}} '
            f'({_where(getattr(fig, c), [getattr(r, c) for r in finals], *stats[c])})'
            for name, c in zip(('loss', 'train acc', 'test acc'), COLUMNS)))
    far = [fig.source for fig in figures
           if any(stats[c][1] > 0 and abs(getattr(fig, c) - stats[c][0]) > 2 * stats[c][1]
                  for c in COLUMNS)]
    lines.append('  ' + (f'more than 2 sd away: {", ".join(far)}' if far else
                         'every book figure lies within 2 sd of these seeds\' mean'))
    return lines
