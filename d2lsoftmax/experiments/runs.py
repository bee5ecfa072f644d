"""Train a chapter's model programmatically: for golden logs, parity tests, benchmarks, seeds.

The model comes from `models` (the chapter's steps, packaged for reuse); the order
is the chapter script's (seed, data, model, train_ch3), so a run here repeats the
script's run bit for bit.
"""
from d2lsoftmax import models
from d2lsoftmax.data import load_data_fashion_mnist, release_line
from d2lsoftmax.sections import chapter_args
from d2lsoftmax.training import set_seed, train_ch3


def prepare(section, seed=0, loader=load_data_fashion_mnist, verbose=False, **overrides):
    """Seed, load and build as the chapter script does: (args, train_iter, test_iter, model)."""
    args = chapter_args(section, seed, **overrides)
    set_seed(seed)
    train_iter, test_iter = loader(args.batch_size)
    if verbose and getattr(train_iter, 'location', None):  # the release, before the epoch lines
        print(release_line(location=train_iter.location))
    return args, train_iter, test_iter, models.build(section, args)


def train_chapter(section, seed=0, loader=load_data_fashion_mnist, train=train_ch3,
                  verbose=False, **overrides):
    """Seed, load, build the chapter's model and train it; returns (train's result, net).

    `loader(batch_size)` gives (train_iter, test_iter); `train` has train_ch3's
    signature (pass d2lsoftmax.reference.book.train_ch3_lines to run the book's own loop).
    """
    args, train_iter, test_iter, model = prepare(section, seed, loader, verbose, **overrides)
    kwargs = {'verbose': verbose} if train is train_ch3 else {}
    result = model.fit(train, train_iter, test_iter, args.num_epochs, args.batch_size,
                       **kwargs)
    return result, model.net
