"""Does this machine reproduce the reference epoch logs? Every training chapter rerun and judged.

Each chapter is trained by the library (runs.train_chapter) under seed 0 with the
book's settings for its first K epochs, which are the first K of its five (nothing
in the book's settings depends on the number of epochs), and its lines are judged
against the blocks shipped in d2lsoftmax.reference:

- exact: this machine's numerics fingerprint is recorded and every character matches;
- within the band: it is not recorded, and every number lies in the range the
  recorded fingerprints span, widened by the chapter's margin;
- outside: anything else (a recorded fingerprint whose lines differ, a number outside
  the band, a run that diverged), with the numbers that differ and by how much.

The text and JSON reports are made here; `d2lsoftmax verify` (cli) prints them.
"""
import functools
import json
import os
import platform
import time
from collections import namedtuple

from d2lsoftmax import __version__, data, reference, sections
from d2lsoftmax.reference import book_figures
from d2lsoftmax.util import numerics
from d2lsoftmax.experiments import runs
from d2lsoftmax.training import EPOCH_LINE, TrainingDiverged

EXACT, BAND, OUTSIDE = 'exact', 'within the band', 'outside'
VERDICTS = (EXACT, BAND, OUTSIDE)
SEED = 0
_ZERO = dict.fromkeys(reference.COLUMNS, 0.0)  # a recorded fingerprint's lines: no margin

# One chapter's result: its lines, the verdict, whether this fingerprint has a block,
# the numbers that differ (reference.Deviation), a note (why, where no number says it).
Result = namedtuple('Result', 'section verdict lines recorded deviations note seconds')
# The machine: the golden fingerprint's fields (numerics.fingerprint), Python and numpy.
Machine = namedtuple('Machine', 'fingerprint python numpy')


def machine(release):
    """This process's Machine on `release` (loads MXNet: the fingerprint reads its libraries)."""
    import numpy
    return Machine(numerics.fingerprint(release), platform.python_version(), numpy.__version__)


def key(found):
    """The fingerprint line golden blocks are recorded under (Python and numpy are not in it)."""
    return numerics.format_fingerprint(found.fingerprint)


def judge(lines, blocks, found_key, margin):
    """(verdict, deviations, note) of epoch lines against the first len(lines) lines of the
    reference `blocks`, for a machine whose fingerprint line is `found_key`."""
    prefix = {fp: block[:len(lines)] for fp, block in blocks.items()}
    if found_key in prefix:
        if lines == prefix[found_key]:
            return EXACT, [], None
        deviations = reference.band_deviations(lines, {found_key: prefix[found_key]}, _ZERO)
        return OUTSIDE, deviations, 'this fingerprint is recorded, and the lines differ'
    deviations = reference.band_deviations(lines, prefix, margin)
    if deviations:
        return OUTSIDE, deviations, f'numbers leave the band of the {len(prefix)} recorded ' \
            'fingerprints'
    same = sum(block == lines for block in prefix.values())
    return BAND, [], f'identical to the lines of {same} of the {len(prefix)} recorded fingerprints'


def verify_chapter(section, epochs, release, found_key):
    """Train `section` for `epochs` epochs under seed 0 (the book's settings) and judge it."""
    blocks = reference.blocks(release, section)
    loader = functools.partial(data.load_data_fashion_mnist, release=release)
    start = time.perf_counter()
    try:
        records, _ = runs.train_chapter(section, seed=SEED, loader=loader, num_epochs=epochs)
    except TrainingDiverged as e:
        return Result(section, OUTSIDE, [], found_key in blocks, [], f'the run diverged: {e}',
                      time.perf_counter() - start)
    seconds = time.perf_counter() - start
    lines = [EPOCH_LINE % r for r in records]
    verdict, deviations, note = judge(lines, blocks, found_key, reference.margin(section))
    return Result(section, verdict, lines, found_key in blocks, deviations, note, seconds)


def verify(chosen, epochs, release, found_key, on_result=None):
    """[Result] of every section in `chosen`, in order; on_result(result) as each is judged."""
    reference.check_sections(release, chosen)
    results = []
    for section in chosen:
        result = verify_chapter(section, epochs, release, found_key)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def exit_status(results):
    """0 when no chapter is outside, else 1."""
    return int(any(r.verdict == OUTSIDE for r in results))


# ------------------------------------------------------------------ the report

def _figure(values, digits=(4, 3, 3)):
    """'loss 0.5728, train acc 0.812, test acc 0.818' of a {column: value} dict."""
    return ', '.join(f'{name} {values[c]:.{d}f}' for name, c, d in
                     zip(('loss', 'train acc', 'test acc'), reference.COLUMNS, digits))


def context(section, epochs, release):
    """{'book': ..., 'spread': ...}: the book's published line after `epochs` epochs and the
    seeds' spread this package measured on `release` (book_figures), each None if absent."""
    book = [f for f in book_figures.at_epoch(section, epochs) if f.source == book_figures.SOURCE_A]
    spread = book_figures.measured(section, release)
    return {
        'book': None if not book else {
            'source': book[0].source, 'release': book[0].release, 'epoch': epochs,
            **{c: getattr(book[0], c) for c in reference.COLUMNS}},
        'spread': None if spread is None else {
            'source': spread.source, 'release': spread.release, 'seeds': spread.seeds,
            'epoch': book_figures.FINAL_EPOCH,
            **{c: list(getattr(spread, c)) for c in reference.COLUMNS}}}


def context_lines(section, epochs, release):
    """The book's published line and the seeds' spread measured here, each with its release."""
    found, lines = context(section, epochs, release), []
    book, spread = found['book'], found['spread']
    if book:
        split = 'this release' if book['release'] == release else 'another split'
        lines.append(f'  the book, published on {book["release"]} ({split}), epoch {epochs}: '
                     + _figure(book))
    if spread:
        lines.append(f'  measured over {spread["seeds"]} seeds on {spread["release"]} (this '
                     f'release), epoch {spread["epoch"]}: ' + ', '.join(
                         f'{name} {spread[c][0]:.4f} ± {spread[c][1]:.4f}' for name, c in
                         zip(('loss', 'train acc', 'test acc'), reference.COLUMNS)))
    return lines


def header_lines(found, location, epochs, chosen):
    """What is verified and on what: the fingerprint, whether it is recorded, the data
    (`location`: data.locate's, of the release verified)."""
    release = location.release
    recorded = [s for s in chosen if key(found) in reference.blocks(release, s)]
    known = {fp for s in chosen for fp in reference.blocks(release, s)}
    if len(recorded) == len(chosen):
        status = 'recorded: each chapter must repeat its block exactly'
    else:
        status = ('not recorded' + (f' for {", ".join(s for s in chosen if s not in recorded)}'
                                    if recorded else '')
                  + f': held to the band of the {len(known)} recorded fingerprints '
                  '(`d2lsoftmax verify --record` prints blocks to add)')
    return [f'd2lsoftmax {__version__} verify: seed {SEED}, the book\'s settings, the first '
            f'{epochs} of {reference.EPOCHS} epochs of {", ".join(chosen)}',
            f'fingerprint: {fingerprint_line(found)}', f'  {status}',
            data.release_line(location=location)]


def fingerprint_line(found):
    """The golden fields, then Python's and numpy's versions, on one line."""
    return f'{key(found)} python={found.python} numpy={found.numpy}'


def result_lines(result, epochs, release):
    """A chapter's verdict, its lines (with what differs under each), the book and spread."""
    title = sections.chapter(result.section).title
    lines = [f'{result.section} ({title}): {result.verdict}'
             + (f' - {result.note}' if result.note else '')]
    by_epoch = {}
    for d in result.deviations:
        by_epoch.setdefault(d.epoch, []).append(d)
    for epoch, line in enumerate(result.lines, start=1):
        lines.append(f'  {line}')
        if epoch in by_epoch:
            lines.append('      ' + '; '.join(d.what() for d in by_epoch[epoch]))
    return lines + context_lines(result.section, epochs, release)


def summary_line(results):
    """'summary: 2 exact, 4 within the band, 0 outside: this machine reproduces ...'."""
    counts = ', '.join(f'{sum(r.verdict == v for r in results)} {v}' for v in VERDICTS)
    if exit_status(results):
        return f'summary: {counts}: this machine does NOT reproduce the reference logs'
    return f'summary: {counts}: this machine reproduces the reference logs'


def record_lines(found, release, results):
    """This machine's blocks in the golden format, to paste into the reference files."""
    found_key = key(found)
    if all(r.recorded for r in results):
        say = 'this fingerprint is recorded already; its blocks, for comparison'
    else:
        say = ('this fingerprint is NOT recorded: paste each block at the end of the file '
               'named above it (in a checkout of d2lsoftmax), or attach them to an issue')
    outside = [r.section for r in results if r.verdict == OUTSIDE]
    lines = ['', f'# {say}']
    if outside:
        lines.append(f'# {", ".join(outside)} outside: find out why before recording them')
    root = os.path.dirname(os.path.dirname(os.path.dirname(reference.FOLDER)))  # the checkout
    for r in results:
        if r.lines:
            lines += [f'# {os.path.relpath(reference.golden_path(release, r.section), root)}',
                      reference.format_block(found_key, r.lines)]
    return lines


def as_json(found, release, epochs, results):
    """The report as a JSON-able dict: fingerprint, and each chapter's lines and verdict."""
    return {
        'd2lsoftmax': __version__, 'seed': SEED, 'epochs': epochs, 'release': release,
        'fingerprint': {**found.fingerprint, 'python': found.python, 'numpy': found.numpy},
        'recorded': all(r.recorded for r in results),
        'chapters': [{
            'section': r.section, 'verdict': r.verdict, 'recorded': r.recorded,
            'lines': r.lines, 'note': r.note, 'seconds': round(r.seconds, 3),
            'deviations': [{**d._asdict(), 'by': round(d.by, 6)} for d in r.deviations],
            **context(r.section, epochs, release)} for r in results],
        'summary': {v: sum(r.verdict == v for r in results) for v in VERDICTS},
        'exit_status': exit_status(results)}


def dumps(report):
    """as_json's dict as text, one key per line."""
    return json.dumps(report, indent=1, ensure_ascii=False) + '\n'
