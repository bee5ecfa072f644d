"""The chapters, one record each: everything that is a fact about a chapter, declared once.

Plain data, no imports of the package, no MXNet: `d2lsoftmax list`, `--help`, the
option checks, the golden bands and the tests read it without paying for `import mxnet`.
A chapter's script is found by its record (`script`), and the script finds its record
by its own file name (`d2l.configure(globals())`). Adding a Fashion-MNIST chapter
touches its script, its record and its golden file.
"""
import argparse
from collections import namedtuple

# What a chapter trains on: Fashion-MNIST (the data layer's releases), or data its script
# generates (the book's 3.11 polynomials, 3.12 high-dimensional linear regression), or none.
FASHION_MNIST, SYNTHETIC = 'fashion-mnist', 'synthetic'

# How far outside the recorded fingerprints' range a golden epoch line may fall, per
# chapter (`margin`): twice the largest leave-one-out excess over the first 10
# fingerprints recorded (`python tests/golden/regenerate.py --spread`; tests/golden/README.md),
# rounded up, and at least two printed digits. Softmax regression gave identical lines under
# all of them; the MLPs at lr 0.5 amplify last-bit differences, dropout most.
QUANTA = dict(loss=0.0002, train_acc=0.002, test_acc=0.002)


class Chapter(namedtuple('Chapter', 'section script title kind defaults options model margin '
                                    'draws data')):
    """One chapter of the book.

    section: the book's number ('3.6'; '3.13-concise' for a second script of a section);
    script: its module in chapters/; title: its heading, `list`'s line and its curves' title;
    kind: 'scratch' or 'concise' for a chapter that trains a model, None for one that shows;
    defaults: the book's settings (num_epochs, lr, batch_size: those it has);
    options: its other knobs and their defaults (a bool is a switch: hybridize=False);
    model: the name of its builder in d2lsoftmax.models, where the library trains it with
    train_ch3 (experiments, seeds, search, verify, goldens); None where only its script does;
    margin: its golden band's margins (loss, train_acc, test_acc), None without golden logs;
    draws: whether its script draws figures; data: FASHION_MNIST, SYNTHETIC or None.
    """

    @property
    def settings(self):
        """{name: default} of every option a chapter's first cell sets, seed aside."""
        return {**self.defaults, **self.options}


def _chapter(section, script, title, kind=None, defaults=None, options=None, model=None,
             margin=None, draws=True, data=FASHION_MNIST):
    """A Chapter; the keywords default to a chapter that shows Fashion-MNIST and draws."""
    return Chapter(section, script, title, kind, defaults or {}, options or {}, model, margin,
                   draws, data)


_BOOK_SOFTMAX = dict(num_epochs=5, lr=0.1, batch_size=256)
_BOOK_MLP = dict(num_epochs=5, lr=0.5, batch_size=256)
_DROPOUT = dict(num_hiddens=256, drop_prob1=0.2, drop_prob2=0.5)
_BOOK_POLYNOMIAL = dict(num_epochs=100, lr=0.01, batch_size=10)  # 3.11
_BOOK_WEIGHT_DECAY = dict(num_epochs=100, lr=0.003, batch_size=1)  # 3.12

CHAPTERS = [
    _chapter('3.5', 'ch3_5_fashion_mnist', 'Image classification data (Fashion-MNIST)',
             defaults=dict(batch_size=256)),
    _chapter('3.6', 'ch3_6_softmax_scratch', 'Softmax regression from scratch', 'scratch',
             _BOOK_SOFTMAX, model='softmax_scratch', margin=QUANTA),
    _chapter('3.7', 'ch3_7_softmax_concise', 'Softmax regression with Gluon', 'concise',
             _BOOK_SOFTMAX, dict(hybridize=False), model='softmax_concise', margin=QUANTA),
    # lr 1.0: a rate at which the naive softmax of 3.6 produces nan
    _chapter('3.7.1', 'ch3_7_1_numerical_stability',
             'Numerical stability of softmax and cross-entropy',
             defaults=dict(lr=1.0, batch_size=256), options=dict(num_batches=100), draws=False),
    _chapter('3.8', 'ch3_8_activations', 'Activation functions: ReLU, sigmoid, tanh',
             data=None),
    _chapter('3.9', 'ch3_9_mlp_scratch', 'Multilayer perceptron from scratch', 'scratch',
             _BOOK_MLP, dict(num_hiddens=256, stable_loss=False), model='mlp_scratch',
             margin=dict(loss=0.005, train_acc=0.002, test_acc=0.014)),
    _chapter('3.10', 'ch3_10_mlp_concise', 'Multilayer perceptron with Gluon', 'concise',
             _BOOK_MLP, dict(num_hiddens=256, hybridize=False), model='mlp_concise',
             margin=dict(loss=0.017, train_acc=0.006, test_acc=0.020)),
    # 3.11 and 3.12 fit linear models to data their scripts generate (data/synthetic.py):
    # their own loops, not train_ch3, so no model builder and no epoch-line goldens.
    _chapter('3.11', 'ch3_11_model_selection_scratch',
             'Model selection, underfitting and overfitting from scratch', 'scratch',
             _BOOK_POLYNOMIAL, data=SYNTHETIC),
    _chapter('3.11-concise', 'ch3_11_model_selection_concise',
             'Model selection, underfitting and overfitting with Gluon', 'concise',
             _BOOK_POLYNOMIAL, data=SYNTHETIC),
    _chapter('3.12', 'ch3_12_weight_decay_scratch', 'Weight decay from scratch', 'scratch',
             _BOOK_WEIGHT_DECAY, data=SYNTHETIC),
    _chapter('3.12-concise', 'ch3_12_weight_decay_concise', 'Weight decay with Gluon',
             'concise', _BOOK_WEIGHT_DECAY, data=SYNTHETIC),
    _chapter('3.13', 'ch3_13_dropout_scratch', 'Dropout from scratch', 'scratch', _BOOK_MLP,
             _DROPOUT, model='dropout_scratch',
             margin=dict(loss=0.045, train_acc=0.010, test_acc=0.028)),
    _chapter('3.13-concise', 'ch3_13_dropout_concise', 'Dropout with Gluon', 'concise',
             _BOOK_MLP, dict(_DROPOUT, hybridize=False), model='dropout_concise',
             margin=dict(loss=0.057, train_acc=0.022, test_acc=0.014)),
]
_BY_SECTION = {c.section: c for c in CHAPTERS}
# The help of an option where '(default N)' alone does not say what it is.
OPTION_HELP = {'num_batches': 'minibatches to train on in the comparisons'}

# What `search` varies by default: 81 configurations of the concise MLP.
SEARCH_SECTION = '3.10'
DEFAULT_GRID = {'lr': [0.01, 0.1, 0.5], 'num_hiddens': [50, 100, 200],
                'wd': [1e-4, 1e-3, 1e-2], 'batch_size': [64, 128, 256]}
# The concise chapters' optimizers and initialisers by name (--optimizer, --init): the
# MXNet optimizer or mxnet.init class and its arguments (lr is given separately). Built in
# experiments.optimizers; the command's choices and help list them from here.
OPTIMIZERS = {
    'sgd': ('sgd', {}),  # the book's minibatch SGD
    'momentum': ('sgd', {'momentum': 0.9}),
    'adam': ('adam', {}),  # wants a small lr, e.g. 0.001-0.01
    'rmsprop': ('rmsprop', {}),  # likewise
}
INITIALIZERS = {
    'normal': ('Normal', {'sigma': 0.01}),  # the book's N(0, 0.01^2)
    'xavier': ('Xavier', {}),
}


def chapters():
    """{section: Chapter} of every chapter, in book order."""
    return dict(_BY_SECTION)


def chapter(section):
    """The Chapter of `section` (e.g. '3.6'); ValueError naming the choices."""
    if section not in _BY_SECTION:
        raise ValueError(f'no chapter {section!r}; choose one of {", ".join(_BY_SECTION)}')
    return _BY_SECTION[section]


def of_script(name):
    """The Chapter whose script is module `name` (e.g. 'ch3_6_softmax_scratch'), or None."""
    return next((c for c in CHAPTERS if c.script == name), None)


def draws(section):
    """True where the chapter's script draws figures."""
    return chapter(section).draws


def training_sections():
    """Sections the library trains with train_ch3 on Fashion-MNIST (their `model` builds
    them): what `run` experiments, seeds, search and verify take, in book order."""
    return [c.section for c in CHAPTERS if c.model is not None and c.data == FASHION_MNIST]


def taking(option):
    """training_sections() whose chapter has `option` ('num_hiddens': the MLPs), in book order."""
    return [s for s in training_sections() if option in _BY_SECTION[s].options]


def golden_sections():
    """Sections with golden epoch logs and a band margin, in book order."""
    return [c.section for c in CHAPTERS if c.margin is not None]


def training_chapter(section):
    """The Chapter of `section`; ValueError unless the library trains it (training_sections)."""
    found = chapter(section)
    if section not in training_sections():
        raise ValueError(f'chapter {section} {not_trained_by_the_library(found)}; the training '
                         f'chapters are {", ".join(training_sections())}')
    return found


def not_trained_by_the_library(found):
    """Why Chapter `found` is not in training_sections(), in words for an error message."""
    return ('trains no model' if found.kind is None else
            'trains its model in its own script, on data it makes')


def chapter_args(section, seed=0, **overrides):
    """The chapter's default arguments with `overrides`, as its command line would give them."""
    found = training_chapter(section)
    unknown = set(overrides) - set(found.settings)
    if unknown:
        raise TypeError(f'chapter {section} has no option(s) {sorted(unknown)}')
    return argparse.Namespace(**{**found.settings, **overrides, 'seed': seed})
