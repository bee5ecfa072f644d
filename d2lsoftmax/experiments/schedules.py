"""Learning-rate decay: multiply lr by `rate` every `every` epochs, scratch and concise.

Epoch e (from 1) trains with lr * rate ** ((e - 1) // every). Concise models get
MXNet's own FactorScheduler, which counts updates (minibatches), not epochs, so
its step is `every` epochs' worth of updates; scratch models get ScratchSGD, the
book's `sgd` with the epoch's learning rate, shaped like a Trainer for train_ch3.
"""
from mxnet import lr_scheduler

from d2lsoftmax.models.scratch import sgd


def check_decay(rate, every):
    """Raise a clear ValueError unless 0 < rate <= 1 and every is a positive integer."""
    if not 0 < rate <= 1:
        raise ValueError(f'lr decay rate must be in (0, 1] (lr is multiplied by it), got {rate}')
    if isinstance(every, bool) or int(every) != every or every < 1:
        raise ValueError(f'lr decay must happen every k >= 1 whole epochs, got every={every}')


def exponential_lr(lr, rate, every=1):
    """epoch -> lr * rate ** ((epoch - 1) // every): the schedule for epochs 1, 2, ..."""
    check_decay(rate, every)
    return lambda epoch: lr * rate ** ((epoch - 1) // every)


def factor_scheduler(lr, rate, every, steps_per_epoch):
    """MXNet's FactorScheduler giving the same lr per epoch as exponential_lr.

    It multiplies by `rate` once the update count passes every * steps_per_epoch,
    i.e. from the first minibatch of epoch every + 1 on.
    """
    check_decay(rate, every)
    return lr_scheduler.FactorScheduler(step=every * steps_per_epoch, factor=rate,
                                        base_lr=lr, stop_factor_lr=0)


class ScratchSGD:
    """The book's `sgd(params, lr, batch_size)` with a per-epoch lr: a trainer for train_ch3."""

    def __init__(self, params, lr_schedule, steps_per_epoch):
        self.params, self.lr_schedule = params, lr_schedule
        self.steps_per_epoch = steps_per_epoch  # len(train_iter): minibatches per epoch
        self.num_update = 0  # steps taken so far

    @property
    def epoch(self):
        """The epoch (from 1) the next step belongs to."""
        return self.num_update // self.steps_per_epoch + 1

    @property
    def learning_rate(self):
        return self.lr_schedule(self.epoch)

    def step(self, batch_size):
        """One minibatch SGD step; the gradient is of the batch's summed loss."""
        sgd(self.params, self.learning_rate, batch_size)
        self.num_update += 1
