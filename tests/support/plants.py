"""Bugs planted on purpose, to show that a check fails when the code is wrong."""
from dataclasses import replace

from d2lsoftmax import models
from d2lsoftmax.sections import training_chapter


def plant_in_builder(monkeypatch, section, change):
    """Build `section`'s model as before, then `change(model)` (returns the model to use)."""
    build = models.builder(section)
    monkeypatch.setattr(models, training_chapter(section).model,
                        lambda args: change(build(args)))


def plant_loss_averaged_twice(monkeypatch, section='3.6'):
    """Make `section`'s loss the batch mean, which train_ch3 then sums: lr / batch size."""
    def averaged(model):
        summed = model.loss
        return replace(model, loss=lambda y_hat, y: summed(y_hat, y).mean())  # train_ch3 sums
    plant_in_builder(monkeypatch, section, averaged)
