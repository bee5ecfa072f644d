"""The chapters: book section, script, title and, for training chapters, the book's settings.

Plain data, no MXNet: `d2lsoftmax list`, `--help` and the argument checks read it
without paying for `import mxnet`. The models themselves are built in `models`.
"""
import argparse
from collections import namedtuple

# kind: 'scratch' or 'concise' for a training chapter (what its model is), None otherwise.
# defaults: the book's num_epochs, lr and batch_size; options: the chapter's other knobs.
Chapter = namedtuple('Chapter', 'section script title kind defaults options')

_BOOK_SOFTMAX = dict(num_epochs=5, lr=0.1, batch_size=256)
_BOOK_MLP = dict(num_epochs=5, lr=0.5, batch_size=256)
_BOOK_POLYNOMIAL = dict(num_epochs=100, lr=0.01, batch_size=10)  # 3.11
_BOOK_WEIGHT_DECAY = dict(num_epochs=100, lr=0.003, batch_size=1)  # 3.12

CHAPTERS = [
    Chapter('3.5', 'ch3_5_fashion_mnist', 'Image classification data (Fashion-MNIST)',
            None, {}, {}),
    Chapter('3.6', 'ch3_6_softmax_scratch', 'Softmax regression from scratch',
            'scratch', _BOOK_SOFTMAX, {}),
    Chapter('3.7', 'ch3_7_softmax_concise', 'Softmax regression with Gluon',
            'concise', _BOOK_SOFTMAX, dict(hybridize=False)),
    Chapter('3.7.1', 'ch3_7_1_numerical_stability',
            'Numerical stability of softmax and cross-entropy', None, {}, {}),
    Chapter('3.8', 'ch3_8_activations', 'Activation functions: ReLU, sigmoid, tanh',
            None, {}, {}),
    Chapter('3.9', 'ch3_9_mlp_scratch', 'Multilayer perceptron from scratch',
            'scratch', _BOOK_MLP, dict(num_hiddens=256, stable_loss=False)),
    Chapter('3.10', 'ch3_10_mlp_concise', 'Multilayer perceptron with Gluon',
            'concise', _BOOK_MLP, dict(num_hiddens=256, hybridize=False)),
    # 3.11 and 3.12 fit linear models to synthetic data (data/synthetic.py, no Fashion-MNIST):
    # kind None, as train_ch3 does not train them; defaults are the book's settings.
    Chapter('3.11', 'ch3_11_model_selection_scratch',
            'Model selection, underfitting and overfitting from scratch', None,
            _BOOK_POLYNOMIAL, {}),
    Chapter('3.11-concise', 'ch3_11_model_selection_concise',
            'Model selection, underfitting and overfitting with Gluon', None,
            _BOOK_POLYNOMIAL, {}),
    Chapter('3.12', 'ch3_12_weight_decay_scratch', 'Weight decay from scratch', None,
            _BOOK_WEIGHT_DECAY, {}),
    Chapter('3.12-concise', 'ch3_12_weight_decay_concise', 'Weight decay with Gluon', None,
            _BOOK_WEIGHT_DECAY, {}),
    Chapter('3.13', 'ch3_13_dropout_scratch', 'Dropout from scratch',
            'scratch', _BOOK_MLP, dict(num_hiddens=256, drop_prob1=0.2, drop_prob2=0.5)),
    Chapter('3.13-concise', 'ch3_13_dropout_concise', 'Dropout with Gluon',
            'concise', _BOOK_MLP, dict(num_hiddens=256, drop_prob1=0.2, drop_prob2=0.5,
                                       hybridize=False)),
]
_BY_SECTION = {c.section: c for c in CHAPTERS}
_NO_FIGURES = {'3.7.1'}  # prints its numbers only


def draws(section):
    """True where the chapter's script draws figures."""
    return section not in _NO_FIGURES


# What `search` varies by default: 81 configurations of the concise MLP.
SEARCH_SECTION = '3.10'
DEFAULT_GRID = {'lr': [0.01, 0.1, 0.5], 'num_hiddens': [50, 100, 200],
                'wd': [1e-4, 1e-3, 1e-2], 'batch_size': [64, 128, 256]}
# The names of the concise chapters' optimizers and initialisers (built in `optimizers`).
OPTIMIZERS = ('sgd', 'momentum', 'adam', 'rmsprop')
INITIALIZERS = ('normal', 'xavier')


def chapters():
    """{section: Chapter} of every chapter, in book order."""
    return dict(_BY_SECTION)


def chapter(section):
    """The Chapter of `section` (e.g. '3.6'); ValueError naming the choices."""
    if section not in _BY_SECTION:
        raise ValueError(f'no chapter {section!r}; choose one of {", ".join(_BY_SECTION)}')
    return _BY_SECTION[section]


def training_sections():
    """Sections whose chapter trains a model, in book order."""
    return [c.section for c in CHAPTERS if c.kind is not None]


def training_chapter(section):
    """The Chapter of `section`; ValueError unless it trains a model."""
    found = chapter(section)
    if found.kind is None:
        raise ValueError(f'chapter {section} trains no model; the training chapters are '
                         f'{", ".join(training_sections())}')
    return found


def chapter_args(section, seed=0, **overrides):
    """The chapter's default arguments with `overrides`, as its command line would give them."""
    found = training_chapter(section)
    unknown = set(overrides) - set(found.defaults) - set(found.options)
    if unknown:
        raise TypeError(f'chapter {section} has no option(s) {sorted(unknown)}')
    return argparse.Namespace(**{**found.defaults, **found.options, **overrides, 'seed': seed})
