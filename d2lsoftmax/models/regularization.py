"""Weight decay (L2 regularization, book section 3.12) for scratch and concise models.

Scratch adds the penalty to each example's loss, as the book does:
l = loss(y_hat, y) + lambd * l2_penalty(W). train_ch3 sums l over the batch of b
examples and `sgd` divides by b, so the step gains lambd * W: exactly what a
Trainer with wd=lambd adds (rescaled gradient + wd * w). Biases are not decayed,
in either implementation (the book's 3.12 decays only the weights).
A last, partial batch of b' < b examples gets b'/b of the decay in scratch (as
in the book), the full decay in concise: use a batch size dividing the data for
identical steps.
"""
from mxnet import nd


def l2_penalty(w):
    """Half the squared L2 norm of `w`, shape (1,): its gradient is w itself."""
    return (w ** 2).sum() / 2


def is_weight(param):
    """True for a weight matrix (2-D or more), False for a bias vector (1-D)."""
    return param.ndim >= 2


def penalized_loss(loss, weights, lambd):
    """The book's loss with weight decay: loss(y_hat, y) + lambd * sum of l2_penalty(W)."""
    def l(y_hat, y):
        penalty = nd.add_n(*[l2_penalty(W) for W in weights])  # (1,)
        return loss(y_hat, y) + lambd * penalty  # (batch_size,): the penalty per example
    return l


def no_bias_decay(net):
    """Set wd_mult = 0 on every bias of a Gluon net, so a Trainer's wd decays weights only."""
    for param in net.collect_params('.*bias').values():
        param.wd_mult = 0
