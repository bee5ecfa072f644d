"""Experiment settings on top of any training chapter: weight decay, lr decay, optimizer, init.

A chapter's model (models.ScratchModel or ConciseModel) is what `apply` rewrites,
so no chapter needs to know about these settings; with the default Settings it
returns the model untouched, and a run repeats the chapter's own run bit for bit.
"""
import os
from collections import namedtuple
from dataclasses import asdict, dataclass, replace
from typing import Optional

from d2lsoftmax import models
from d2lsoftmax.experiments import optimizers, runs, schedules
from d2lsoftmax.models import regularization
from d2lsoftmax.data import load_data_fashion_mnist
from d2lsoftmax.sections import chapter_args
from d2lsoftmax.training import train_ch3

Trained = namedtuple('Trained', 'records model')


@dataclass(frozen=True)
class Settings:
    """What to change in a chapter's training; None/0 keeps the chapter's own choice."""
    wd: float = 0.0  # L2 strength lambd (scratch: penalty in the loss; concise: Trainer wd)
    lr_decay: Optional[float] = None  # multiply lr by this ...
    lr_decay_every: int = 1  # ... every this many epochs
    optimizer: Optional[str] = None  # concise only: sgd, momentum, adam, rmsprop
    init: Optional[str] = None  # concise only: normal, xavier

    def __post_init__(self):
        if self.wd < 0:
            raise ValueError(f'weight decay must be >= 0, got wd={self.wd}')
        if self.lr_decay is not None:
            schedules.check_decay(self.lr_decay, self.lr_decay_every)
        if self.optimizer is not None:
            optimizers.check_name(self.optimizer, optimizers.OPTIMIZERS, 'optimizer')
        if self.init is not None:
            optimizers.check_name(self.init, optimizers.INITIALIZERS, 'initializer')

    def changed(self):
        """{name: value} of the settings that differ from the defaults."""
        default = Settings()
        return {k: v for k, v in asdict(self).items() if v != getattr(default, k)
                and not (k == 'lr_decay_every' and self.lr_decay is None)}


def _apply_scratch(settings, model, steps_per_epoch):
    concise_only = {k: v for k, v in (('optimizer', settings.optimizer),
                                      ('init', settings.init)) if v not in (None, 'sgd', 'normal')}
    if concise_only:
        raise ValueError(
            f'{", ".join(f"{k}={v}" for k, v in concise_only.items())}: only the concise '
            '(Gluon) chapters choose optimizers and initialisers; a scratch chapter trains '
            "with the book's own sgd and N(0, 0.01^2) weights. Pick a concise chapter "
            '(see `d2lsoftmax list`) or drop the option.')
    params = model.params
    if settings.wd:
        model = replace(model, loss=regularization.penalized_loss(
            model.loss, [p for p in params if regularization.is_weight(p)], settings.wd))
    if settings.lr_decay is not None:
        schedule = schedules.exponential_lr(model.lr, settings.lr_decay,
                                            settings.lr_decay_every)
        # train_ch3 steps the trainer when given one; params stay for saving.
        model = replace(model, trainer=schedules.ScratchSGD(params, schedule, steps_per_epoch))
    return model


def _apply_concise(settings, model, steps_per_epoch):
    net = model.net
    if settings.init is not None:
        optimizers.reinitialize(net, settings.init)
    if settings.wd or settings.lr_decay is not None or settings.optimizer is not None:
        lr = model.trainer.learning_rate  # the chapter's lr
        scheduler = None
        if settings.lr_decay is not None:
            scheduler = schedules.factor_scheduler(lr, settings.lr_decay,
                                                   settings.lr_decay_every, steps_per_epoch)
        if settings.wd:
            regularization.no_bias_decay(net)
        model = replace(model, trainer=optimizers.make_trainer(
            net, settings.optimizer or 'sgd', lr, settings.wd, scheduler))
    return model


# By Model.kind: the settings' schedules and optimizers live above the models layer.
APPLY = {'scratch': _apply_scratch, 'concise': _apply_concise}


def apply(settings, model, steps_per_epoch):
    """The chapter's `model` with `settings` applied (the same object when none change it)."""
    return APPLY[model.kind](settings, model, steps_per_epoch)


def check(section, settings):
    """Raise the ValueError `apply` would, before any data is read (builds a throwaway model)."""
    apply(settings, models.build(section), steps_per_epoch=1)


def train(section, seed=0, settings=Settings(), loader=load_data_fashion_mnist,
          verbose=False, **overrides):
    """Train chapter `section` as runs.train_chapter does, with `settings`; a Trained."""
    args, train_iter, test_iter, model = runs.prepare(section, seed, loader, verbose,
                                                      **overrides)
    model = apply(settings, model, len(train_iter))
    records = model.fit(train_ch3, train_iter, test_iter, args.num_epochs, args.batch_size,
                        verbose=verbose)
    return Trained(records, model)


def run_and_report(section, seed=0, settings=Settings(), out='out', save_params=None,
                   **overrides):
    """Train once with the book's epoch lines, then curves, test confusion matrix, weights."""
    from d2lsoftmax.experiments import checkpoint, evaluation  # matplotlib only where drawn
    from d2lsoftmax.util import outputs
    from d2lsoftmax.training import plotting
    outputs.check_folder(out, '--out')  # a path that cannot be written fails now, not after
    if save_params:  # the training (a wrong file name too)
        checkpoint.check_target(save_params, section)
    check(section, settings)
    plotting.warm_up()  # matplotlib's import overlaps the training
    trained = train(section, seed, settings, verbose=True, **overrides)
    title = f'chapter {section}' + ''.join(f', {k}={v}' for k, v in settings.changed().items())
    plotting.plot_history(trained.records, os.path.join(out, f'{section}_curves.png'), title)
    args = chapter_args(section, seed, **overrides)
    _, test_iter = load_data_fashion_mnist(args.batch_size)
    evaluation.report(trained.model, test_iter, out, section)
    if save_params:
        checkpoint.save(save_params, trained.model, section, args, settings.changed(),
                        release=test_iter.release)
        print(f'parameters saved to {save_params} (and {checkpoint.meta_path(save_params)})')
    return trained
