"""Bugs planted on purpose, to show that a check fails when the code is wrong."""
from d2lsoftmax import models


def plant_loss_averaged_twice(monkeypatch, section='3.6'):
    """Make `section`'s loss the batch mean, which train_ch3 then sums: lr / batch size."""
    build = models.BUILDERS[section]

    def averaged(args):
        net, loss, how = build(args)
        return net, lambda y_hat, y: loss(y_hat, y).mean(), how  # mean, then train_ch3 sums
    monkeypatch.setitem(models.BUILDERS, section, averaged)
