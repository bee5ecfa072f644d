"""The golden band is tight enough: planted regressions land outside it, on any machine.

Each test plants one classic bug (without editing the library: through the loader,
the loss or a model builder), trains softmax regression for two epochs and checks
that the lines leave the band spanned by every recorded fingerprint. The band is
the loosest check the golden tests make (a machine whose fingerprint has no block),
so what fails here fails there too. The parity and data tests catch the loop and
pipeline bugs exactly as well; these show the golden logs do on their own.
"""
import functools

import pytest

from d2lsoftmax import data
from d2lsoftmax.experiments import runs
from d2lsoftmax.models import scratch
from d2lsoftmax.reference import band_problems, blocks as reference_blocks, margin
from d2lsoftmax.training import EPOCH_LINE, TrainingDiverged
from support.plants import plant_in_builder, plant_loss_averaged_twice

EPOCHS = 2


def lines(section, loader=data.load_data_fashion_mnist, **overrides):
    """The epoch lines of a short run, or None if it diverged (which fails the suite too)."""
    try:
        records, _ = runs.train_chapter(section, seed=0, loader=loader, num_epochs=EPOCHS,
                                        **overrides)
    except TrainingDiverged:
        return None
    return [EPOCH_LINE % r for r in records]


def caught(section, ours):
    """Where `ours` leaves the band of every recorded fingerprint of `section`."""
    blocks = reference_blocks(data.locate().release, section)
    if not blocks:
        pytest.skip('no golden logs for this release')
    if ours is None:
        return ['the run diverged']
    return band_problems(ours, {fp: b[:EPOCHS] for fp, b in blocks.items()}, margin(section))


class Scaled:
    """An iterator of (X * factor, y): a wrong pixel scaling."""

    def __init__(self, inner, factor):
        self.inner, self.factor = inner, factor

    def __len__(self):
        return len(self.inner)

    def __iter__(self):
        return ((X * self.factor, y) for X, y in self.inner)


class DropLast:
    """An iterator without its last, partial batch: a wrong example count."""

    def __init__(self, inner):
        self.inner = inner

    def __len__(self):
        return len(self.inner) - 1

    def __iter__(self):
        batches = iter(self.inner)
        for _ in range(len(self)):
            yield next(batches)


pytestmark = [pytest.mark.slow, pytest.mark.usefixtures('real_data')]


def test_the_unplanted_run_is_inside_the_band():
    assert caught('3.6', lines('3.6')) == []


def test_loss_averaged_twice(monkeypatch):
    plant_loss_averaged_twice(monkeypatch)
    assert caught('3.6', lines('3.6'))


def test_learning_rate_five_percent_higher():
    assert caught('3.6', lines('3.6', lr=0.105))


def test_learning_rate_five_percent_lower():
    assert caught('3.6', lines('3.6', lr=0.095))


def test_initial_scale_doubled(monkeypatch):
    monkeypatch.setattr(scratch, 'init_params', functools.partial(scratch.init_params,
                                                                  sigma=0.02))
    assert caught('3.6', lines('3.6'))


def test_no_shuffle():
    def loader(batch_size):
        train_iter, test_iter = data.load_data_fashion_mnist(batch_size)
        train_iter.shuffle = False
        return train_iter, test_iter
    assert caught('3.6', lines('3.6', loader))


def test_pixels_divided_by_256_instead_of_255():
    def loader(batch_size):
        train_iter, test_iter = data.load_data_fashion_mnist(batch_size)
        return Scaled(train_iter, 255 / 256), Scaled(test_iter, 255 / 256)
    assert caught('3.6', lines('3.6', loader))


def test_training_set_evaluated_instead_of_the_test_set():
    def loader(batch_size):
        train_iter, _ = data.load_data_fashion_mnist(batch_size)
        return train_iter, data.FashionMNISTIter(train_iter.images, train_iter.labels,
                                                 batch_size)
    assert caught('3.6', lines('3.6', loader))


def test_trainer_steps_by_one_instead_of_the_batch_size(monkeypatch):
    def unscaled(model):
        step = model.trainer.step
        model.trainer.step = lambda batch_size: step(1)  # the summed gradient, not divided by b
        return model
    plant_in_builder(monkeypatch, '3.7', unscaled)
    assert caught('3.7', lines('3.7'))


def test_last_partial_batch_dropped():
    def loader(batch_size):
        train_iter, test_iter = data.load_data_fashion_mnist(batch_size)
        return DropLast(train_iter), test_iter
    assert caught('3.6', lines('3.6', loader))
