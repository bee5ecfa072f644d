"""Optimizers and initialisers for the concise (Gluon) models, by name."""
from mxnet import gluon, init

from d2lsoftmax import sections

OPTIMIZERS, INITIALIZERS = sections.OPTIMIZERS, sections.INITIALIZERS  # by name


def check_name(name, choices, what):
    """ValueError naming the choices unless `name` is one of them."""
    if name not in choices:
        raise ValueError(f'unknown {what} {name!r}; choose one of {", ".join(choices)}')


def make_trainer(net, optimizer='sgd', lr=0.1, wd=0.0, lr_scheduler=None):
    """gluon.Trainer over all of net's parameters with the named optimizer, lr and wd."""
    check_name(optimizer, OPTIMIZERS, 'optimizer')
    name, extra = OPTIMIZERS[optimizer]
    options = {'learning_rate': lr, 'wd': wd, **extra}
    if lr_scheduler is not None:
        options['lr_scheduler'] = lr_scheduler
    return gluon.Trainer(net.collect_params(), name, options)


def reinitialize(net, name):
    """Initialise all of net's parameters afresh with the named initializer."""
    check_name(name, INITIALIZERS, 'initializer')
    kind, arguments = INITIALIZERS[name]
    net.initialize(getattr(init, kind)(**arguments), force_reinit=True)
