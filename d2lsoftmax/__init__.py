"""d2lsoftmax: the MXNet/Gluon classification chapters of Dive into Deep Learning, runnable today.

`import d2lsoftmax as d2l` gives the names the book's code uses from `d2lzh`, with
d2lzh's signatures. They are loaded on first use, so `import d2lsoftmax` (and the
`d2lsoftmax list` command) does not pay for `import mxnet` until a name needs it.
"""
import importlib

import d2lsoftmax_compat

from d2lsoftmax.util import blas

__version__ = '0.1.0'
d2lsoftmax_compat.install()  # before MXNet loads: the numpy names it reads (numpy 1.24+)
blas.choose()  # before MXNet loads: OpenBLAS's fast kernels where it does not know the CPU

# name -> the module that defines it
_NAMES = {
    # data
    'DataError': 'data.idx', 'FashionMNISTIter': 'data.batches',
    'get_fashion_mnist_labels': 'data.batches', 'load_data_fashion_mnist': 'data.batches',
    # linear regression (3.2, 3.3, 3.12, 3.16)
    'data_iter': 'models.linear', 'linreg': 'models.linear', 'squared_loss': 'models.linear',
    # softmax regression and the training loop (3.6, 3.7, 3.9, 3.10, 3.13)
    'sgd': 'models.scratch', 'EpochRecord': 'training', 'TrainingDiverged': 'training',
    'check_divergence': 'training',
    'evaluate_accuracy': 'training', 'predict_ch3': 'training', 'set_seed': 'training',
    'train_ch3': 'training',
    # figures
    'plt': 'training.plotting', 'set_figsize': 'training.plotting',
    'semilogy': 'training.plotting', 'show_fashion_mnist': 'training.plotting',
    'show_images': 'training.plotting', 'use_svg_display': 'training.plotting',
    'plot_history': 'training.plotting',
    # a chapter's first cell: its settings, then the reader's overrides (cli.chapter)
    'configure': 'cli.chapter',
}
# the package's modules by their short names, as the chapters use them (d2l.data, d2l.stable)
_SUBMODULES = {
    'data': 'data', 'models': 'models', 'training': 'training', 'sections': 'sections',
    'reference': 'reference', 'book': 'reference.book', 'blas': 'util.blas',
    **{name: f'models.{name}' for name in ('concise', 'linear', 'regularization', 'scratch',
                                           'stable')},
    'plotting': 'training.plotting',
    **{name: f'experiments.{name}' for name in ('checkpoint', 'evaluation', 'experiment',
                                                'optimizers', 'parallel', 'runs', 'schedules',
                                                'search', 'seeds')},
}
__all__ = sorted(_NAMES)


def __getattr__(name):
    """Import the module defining `name` on first use (PEP 562), then keep the value."""
    if name in _NAMES:
        value = getattr(importlib.import_module(f'{__name__}.{_NAMES[name]}'), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f'{__name__}.{_SUBMODULES[name]}')
    else:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_NAMES) | set(_SUBMODULES))
