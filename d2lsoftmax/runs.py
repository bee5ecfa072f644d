"""Run a chapter's model programmatically: for golden logs, parity tests, benchmarks, seeds.

A training chapter module defines SECTION, DEFAULTS (num_epochs, lr, batch_size)
and model(args) -> (net, loss, train_ch3 keywords); this module wires those to
the data and the loop in the same order as the chapter's main(), so a run here
repeats the chapter's run bit for bit.
"""
import argparse
import importlib

from .data import load_data_fashion_mnist
from .training import set_seed, train_ch3


def chapter_module(section):
    """The chapter module of `section` (e.g. '3.6'); ValueError names the choices."""
    from .cli import chapters
    known = chapters()
    if section not in known:
        raise ValueError(f'no chapter {section!r}; choose one of {", ".join(known)}')
    return importlib.import_module(f'd2lsoftmax.chapters.{known[section][0]}')


def training_sections():
    """Sections whose chapter trains a model (those that define model())."""
    from .cli import chapters
    return [s for s in chapters() if hasattr(chapter_module(s), 'model')]


def chapter_args(module, seed=0, **overrides):
    """The chapter's default arguments with `overrides`, as its parser would give them."""
    unknown = set(overrides) - set(module.DEFAULTS) - set(getattr(module, 'OPTIONS', {}))
    if unknown:
        raise TypeError(f'chapter {module.SECTION} has no option(s) {sorted(unknown)}')
    return argparse.Namespace(**{**module.DEFAULTS, **getattr(module, 'OPTIONS', {}),
                                 **overrides, 'seed': seed})


def train_chapter(section, seed=0, loader=load_data_fashion_mnist, train=train_ch3,
                  verbose=False, **overrides):
    """Seed, load, build the chapter's model and train it; returns (train's result, net).

    `loader(batch_size)` gives (train_iter, test_iter); `train` has train_ch3's
    signature (pass d2lsoftmax.book.train_ch3_lines to run the book's own loop).
    """
    module = chapter_module(section)
    args = chapter_args(module, seed, **overrides)
    set_seed(seed)
    train_iter, test_iter = loader(args.batch_size)
    net, loss, how = module.model(args)
    kwargs = {'verbose': verbose} if train is train_ch3 else {}
    result = train(net, train_iter, test_iter, loss, args.num_epochs, args.batch_size,
                   **how, **kwargs)
    return result, net


def chapter_main(section, argv=None):
    """A training chapter as a program: the book's run, its curves, its predictions.

    Parses the chapter's options, trains exactly as train_chapter does (printing
    the book's epoch lines), saves the per-epoch curves and shows true against
    predicted labels. Returns the EpochRecords.
    """
    from . import cli, plotting
    from .training import predict_ch3
    module = chapter_module(section)
    args = cli.chapter_options_parser(module).parse_args(argv)
    options = {**module.DEFAULTS, **getattr(module, 'OPTIONS', {})}
    records, net = train_chapter(section, args.seed, verbose=True,
                                 **{name: getattr(args, name) for name in options})
    plotting.plot_history(records, cli.out_path(args, section, 'curves'),
                          module.__doc__.split(':')[0])
    _, test_iter = load_data_fashion_mnist(args.batch_size)  # arrays are cached: no re-read
    predict_ch3(net, test_iter, path=cli.out_path(args, section, 'predictions'))
    return records
