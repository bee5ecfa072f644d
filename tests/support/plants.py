"""Bugs planted on purpose, to show that a check fails when the code is wrong."""
from dataclasses import replace

from d2lsoftmax import models


def plant_loss_averaged_twice(monkeypatch, section='3.6'):
    """Make `section`'s loss the batch mean, which train_ch3 then sums: lr / batch size."""
    build = models.BUILDERS[section]

    def averaged(args):
        model = build(args)
        summed = model.loss
        return replace(model, loss=lambda y_hat, y: summed(y_hat, y).mean())  # train_ch3 sums
    monkeypatch.setitem(models.BUILDERS, section, averaged)
