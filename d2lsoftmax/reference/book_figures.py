"""The book's published figures, shipped with the package: what a run is compared to.

Copied from the book's printed logs (the notebooks of d2l-ai/d2l-zh) and from
published re-runs of them, so that `run --seeds` can place the book for anyone
who installed the package (nothing is read from ../shared at run time). Each
figure names its source and the Fashion-MNIST release it ran on: all of the
book's ran on 2017-08-26, the release gluon's mirror serves. Spreads this
package measured on the other release are kept beside them. Plain data, no MXNet.

Sections are the package's ('3.6', ..., '3.13' for dropout from scratch,
'3.13-concise' for dropout with Gluon, as in `d2lsoftmax list`).
"""
from collections import namedtuple

from d2lsoftmax.data.releases import BOOK, CURRENT

FINAL_EPOCH = 5  # every published log trains 5 epochs
SOURCE_A = 'Source A'
SOURCES = {
    SOURCE_A: 'd2l-ai/d2l-zh, commit ea741099e548de2595930bc6b5cc6da7d05eddc3 (notebooks '
              'under chapter_deep-learning-basics/, package d2lzh)',
    're-run 1 (d2l-zh 1.2 copy)': 'a published copy of d2l-zh 1.2 with its own run',
    're-run 2 (gluonbook copy)': 'a published copy of gluonbook with its own run',
    'English slides (berkeley-stat-157)': "the English course's slides (berkeley-stat-157)",
}

# One published figure: the epoch line of `source` for `section`, on `release`.
Figure = namedtuple('Figure', 'section source epoch loss train_acc test_acc release')

# Source A's epoch lines, (epoch, loss, train acc, test acc), as the book printed them.
EPOCH_LOGS = {
    '3.6': ((1, 0.7896, 0.745, 0.803), (2, 0.5728, 0.812, 0.818), (3, 0.5296, 0.824, 0.833),
            (4, 0.5057, 0.829, 0.832), (5, 0.4895, 0.835, 0.840)),
    '3.7': ((1, 0.7906, 0.745, 0.792), (2, 0.5725, 0.812, 0.827), (3, 0.5299, 0.824, 0.831),
            (4, 0.5048, 0.830, 0.836), (5, 0.4895, 0.834, 0.841)),
    '3.9': ((1, 0.7748, 0.710, 0.833), (2, 0.4840, 0.821, 0.849), (3, 0.4292, 0.840, 0.849),
            (4, 0.3898, 0.856, 0.864), (5, 0.3669, 0.864, 0.861)),
    '3.10': ((1, 0.7917, 0.708, 0.813), (2, 0.4935, 0.816, 0.849), (3, 0.4317, 0.840, 0.861),
             (4, 0.4003, 0.851, 0.860), (5, 0.3763, 0.860, 0.872)),
    '3.13': ((1, 1.1393, 0.558, 0.773), (2, 0.5797, 0.785, 0.837), (3, 0.4944, 0.818, 0.849),
             (4, 0.4488, 0.837, 0.861), (5, 0.4160, 0.848, 0.863)),
    '3.13-concise': ((1, 1.1893, 0.545, 0.777), (2, 0.5879, 0.780, 0.839),
                     (3, 0.4917, 0.821, 0.852), (4, 0.4520, 0.834, 0.865),
                     (5, 0.4241, 0.846, 0.860)),
}

# Other published re-runs: final epoch only, (loss, train acc, test acc).
RERUNS = {
    '3.6': {'re-run 1 (d2l-zh 1.2 copy)': (0.4911, 0.834, 0.840),
            're-run 2 (gluonbook copy)': (0.4903, 0.835, 0.843)},
    '3.7': {'re-run 1 (d2l-zh 1.2 copy)': (0.4897, 0.835, 0.842),
            'English slides (berkeley-stat-157)': (0.4896, 0.834, 0.843)},
    '3.9': {'re-run 1 (d2l-zh 1.2 copy)': (0.3776, 0.860, 0.868),
            're-run 2 (gluonbook copy)': (0.3748, 0.862, 0.876),
            'English slides (berkeley-stat-157)': (0.3663, 0.866, 0.869)},
    '3.10': {'re-run 1 (d2l-zh 1.2 copy)': (0.3745, 0.862, 0.869),
             're-run 2 (gluonbook copy)': (0.3762, 0.861, 0.870),
             'English slides (berkeley-stat-157)': (0.3694, 0.864, 0.873)},
}
PUBLISHED_RELEASE = BOOK  # the release every figure above ran on (gluon's mirror)

# Measured by this package: mean and sample sd of the final epoch over `seeds` seeds,
# with the book's settings. (mean, sd) pairs; None where not measured.
Spread = namedtuple('Spread', 'section release source seeds loss train_acc test_acc')
# Measured with `python tests/golden/regenerate.py --seeds 10` (seeds 0-9, MXNet 1.9.1,
# oneDNN AVX512_CORE_VNNI, 1 thread): the band tests/reference/test_bands.py holds a run to.
_MEASURED_BY = 'seeds 0-9, tests/golden/regenerate.py --seeds 10, MXNet 1.9.1'
MEASURED = {
    ('3.6', CURRENT): Spread('3.6', CURRENT, _MEASURED_BY, 10, (0.48541, 0.00067), (0.83684, 0.00064), (0.82674, 0.00148)),
    ('3.7', CURRENT): Spread('3.7', CURRENT, _MEASURED_BY, 10, (0.48537, 0.00064), (0.83693, 0.00078), (0.82694, 0.0015)),
    ('3.9', CURRENT): Spread('3.9', CURRENT, _MEASURED_BY, 10, (0.36822, 0.00244), (0.86364, 0.00122), (0.85939, 0.00394)),
    ('3.10', CURRENT): Spread('3.10', CURRENT, _MEASURED_BY, 10, (0.37003, 0.00347), (0.86286, 0.00133), (0.85849, 0.00449)),
    ('3.13', CURRENT): Spread('3.13', CURRENT, _MEASURED_BY, 10, (0.41525, 0.00477), (0.84803, 0.00233), (0.85117, 0.00557)),
    ('3.13-concise', CURRENT): Spread('3.13-concise', CURRENT, _MEASURED_BY, 10, (0.42049, 0.0099), (0.84633, 0.00374), (0.85131, 0.00523)),
}


def figures(section):
    """Every published Figure of `section`: Source A's epoch lines, then the re-runs' finals."""
    found = [Figure(section, SOURCE_A, *line, PUBLISHED_RELEASE)
             for line in EPOCH_LOGS.get(section, ())]
    found += [Figure(section, source, FINAL_EPOCH, *values, PUBLISHED_RELEASE)
              for source, values in RERUNS.get(section, {}).items()]
    return found


def at_epoch(section, epoch):
    """The published Figures of `section` after `epoch` epochs (re-runs count at the last)."""
    return [f for f in figures(section) if f.epoch == epoch]


def measured(section, release):
    """The Spread this package measured for `section` on `release`, or None."""
    return MEASURED.get((section, release))
