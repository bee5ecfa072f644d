"""The reference epoch logs shipped with the package, and how closely a run must match them.

`golden/RELEASE/SECTION.log` (package data) holds the five epoch lines every
training chapter prints under seed 0 with the book's settings, once per numerics
fingerprint (d2lsoftmax.util.numerics): a `## FINGERPRINT` line, then the lines.
Where a run's fingerprint has a block, its lines must be identical; elsewhere every
number must lie in the range the recorded blocks span, widened by the chapter's
margin (its record's `margin` in sections). The tests, tests/golden/regenerate.py and
`d2lsoftmax verify` all read this one copy. Plain data and text, no MXNet.
`golden/synthetic/SECTION.log` holds what the chapters on synthetic data print
(3.11, 3.12: no release, no epoch lines), compared only where the fingerprint matches.
"""
import os
import re
from collections import namedtuple

from d2lsoftmax import sections

FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'golden')
# golden/synthetic/SECTION.log: the chapters on synthetic data (3.11, 3.12), which read no
# Fashion-MNIST release. Their blocks hold every line the chapter prints but `saved FILE`
# (result_lines), under the fingerprint of release=synthetic.
SYNTHETIC = sections.SYNTHETIC  # their folder and their fingerprint's release=
SYNTHETIC_SECTIONS = tuple(c.section for c in sections.chapters().values()
                           if c.data == sections.SYNTHETIC)
EPOCHS = 5  # every block holds the book's five epochs
LINE = re.compile(r'epoch (\d+), loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)$')
COLUMNS = ('loss', 'train_acc', 'test_acc')


def margin(section):
    """How far outside the recorded range a line of `section` may fall: {column: margin}
    (the chapter's record; sections.QUANTA says how the margins were measured)."""
    return sections.chapter(section).margin


def golden_path(release, section):
    """Where the reference blocks of `section` on `release` are (the file may not exist)."""
    return os.path.join(FOLDER, release, f'{section}.log')


def releases():
    """The Fashion-MNIST releases with reference logs, sorted."""
    found = os.listdir(FOLDER) if os.path.isdir(FOLDER) else []
    return sorted(name for name in found if name != SYNTHETIC)


def check_release(release):
    """The release to compare on: `release`, or the newest with reference logs when None;
    ValueError when the package has none for it."""
    known = releases()
    if release is None and known:
        return known[-1]
    if release not in known:
        raise ValueError(f'no reference epoch logs for Fashion-MNIST {release} ship with '
                         f'd2lsoftmax (only for {", ".join(known) or "no release"}): use '
                         f'--release {known[-1] if known else "..."}, whose files are found '
                         'or downloaded')
    return release


def check_sections(release, chosen):
    """`chosen` if every one has reference logs on `release`; else ValueError naming the files."""
    missing = [golden_path(release, s) for s in chosen if not blocks(release, s)]
    if missing:
        raise ValueError(f'no reference epoch logs in {", ".join(missing)}: the package is '
                         'incomplete; reinstall it')
    return chosen


def check_epochs(epochs):
    """`epochs` if the reference has that many lines (1 to EPOCHS); else ValueError."""
    if not 1 <= epochs <= EPOCHS:
        raise ValueError(f'--epochs {epochs}: the reference holds epochs 1 to {EPOCHS}; '
                         f'give 1 to {EPOCHS}')
    return epochs


def read_blocks(path):
    """{fingerprint line: [epoch lines]} of a golden file (empty if there is none)."""
    blocks, current = {}, None
    if not os.path.exists(path):
        return blocks
    with open(path, encoding='utf-8') as f:
        for line in f.read().splitlines():
            if line.startswith('## '):
                current = line[3:].strip()
                blocks[current] = []
            elif line and not line.startswith('#') and current is not None:
                blocks[current].append(line)
    return blocks


# A block's mark, under its `## FINGERPRINT` line: when it was recorded, d2lzh.train_ch3
# printed the same lines on our batches and on gluon's DataLoader, under this numpy
# (tests/golden/regenerate.py --parity). Where a run matches such a block exactly, it
# matches d2lzh too: the parity tests need not rerun the book's loop.
PARITY = '# d2lzh.train_ch3 printed these lines too, numpy '


def parity_marks(path):
    """{fingerprint line: [numpy versions]} of the blocks of a golden file marked PARITY."""
    marks, current = {}, None
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            for line in f.read().splitlines():
                if line.startswith('## '):
                    current = line[3:].strip()
                elif line.startswith(PARITY) and current is not None:
                    marks.setdefault(current, []).append(line[len(PARITY):].strip())
    return marks


def blocks(release, section):
    """read_blocks of `section` on `release`: {fingerprint line: [epoch lines]}."""
    return read_blocks(golden_path(release, section))


def result_lines(printed):
    """The lines of a synthetic chapter's output its golden block holds: all but the
    `saved FILE` lines, right-stripped (the book's `print('weight:', w, '\\nbias:', b)`
    leaves a space at the end of a line)."""
    return [line.rstrip() for line in printed.splitlines() if not line.startswith('saved ')]


def format_block(fingerprint, lines, parity=()):
    """The text of one block: the `## FINGERPRINT` line, its PARITY marks (numpy versions),
    then the epoch lines."""
    return '\n'.join([f'## {fingerprint}', *(PARITY + v for v in sorted(parity)), *lines])


def parse(lines):
    """[(epoch, loss, train_acc, test_acc)] of epoch lines; ValueError naming a line that is
    not in the book's format."""
    rows = []
    for line in lines:
        match = LINE.match(line)
        if match is None:
            raise ValueError(f'not an epoch line in the book\'s format: {line!r}')
        rows.append((int(match[1]), float(match[2]), float(match[3]), float(match[4])))
    return rows


class Deviation(namedtuple('Deviation', 'epoch column value low high')):
    """One number of a run outside [low, high] (a band, or low == high: a recorded value)."""

    @property
    def by(self):
        """How far outside: positive above `high`, negative below `low`."""
        return self.value - self.high if self.value > self.high else self.value - self.low

    def what(self):
        """'loss 0.6001 outside [0.5710, 0.5714] by +0.0287', or '... recorded 0.5712 (+0.0001)'."""
        digits = 4 if self.column == 'loss' else 3  # as the epoch line prints it
        name = f'{self.column.replace("_", " ")} {self.value:.{digits}f}'
        if self.low == self.high:
            return f'{name}, recorded {self.low:.{digits}f} ({self.by:+.4f})'
        return f'{name} outside [{self.low:.4f}, {self.high:.4f}] by {self.by:+.4f}'

    def __str__(self):
        return f'epoch {self.epoch} {self.what()}'


def band_deviations(ours, blocks, margin):
    """The Deviations of epoch lines `ours` from the band of `blocks` (the range their
    values span per epoch and column, widened by `margin`); empty: inside it."""
    ours, others = parse(ours), [parse(lines) for lines in blocks.values()]
    found = []
    for i, row in enumerate(ours):
        for j, column in enumerate(COLUMNS, start=1):
            values = [other[i][j] for other in others]
            low, high = min(values) - margin[column], max(values) + margin[column]
            if not low <= row[j] <= high:
                found.append(Deviation(row[0], column, row[j], round(low, 6), round(high, 6)))
    return found


def band_problems(ours, blocks, margin):
    """Lines saying where `ours` leaves the band of `blocks` (empty: inside it)."""
    return [str(d) for d in band_deviations(ours, blocks, margin)]
