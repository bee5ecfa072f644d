"""The book's training loop `train_ch3`, shared by scratch and concise models.

It prints the book's epoch line and returns the per-epoch records. The numbers are
those of d2lzh's loop; only the host reads are batched (one per epoch instead of
two per batch), so MXNet's engine can run ahead of Python.
"""
import random
from collections import namedtuple

import mxnet as mx
import numpy as np
from mxnet import autograd, nd

from d2lsoftmax.data import get_fashion_mnist_labels
from d2lsoftmax.models.scratch import sgd

EPOCH_LINE = 'epoch %d, loss %.4f, train acc %.3f, test acc %.3f'
EpochRecord = namedtuple('EpochRecord', 'epoch loss train_acc test_acc')


class History(list):
    """The EpochRecords train_ch3 returns: a list that Jupyter does not echo.

    The book's train_ch3 returns None, so a cell ending in it shows only the epoch
    lines; `print(history)` or `list(history)` shows the records.
    """

    def _ipython_display_(self):
        pass  # the epoch lines were printed already


class TrainingDiverged(FloatingPointError):
    """The training loss became nan or inf: the parameters are no longer usable."""


def set_seed(seed):
    """Seed Python's `random`, numpy (data order) and mx.random (initial weights)."""
    random.seed(seed)
    np.random.seed(seed)
    mx.random.seed(seed)


def _correct(y_hat, y):
    """Number of rows whose argmax is the label, as a float32 NDArray (no host sync)."""
    return (y_hat.argmax(axis=1) == y.astype('float32')).sum()


def evaluate_accuracy(data_iter, net, ctx=None):
    """Accuracy of `net` over `data_iter`; one host read at the end, like d2lzh's."""
    if isinstance(ctx, (list, tuple)):  # d2lzh takes a list of contexts; one CPU here
        ctx = ctx[0]
    y_hats, ys = [], []
    for X, y in data_iter:
        if ctx is not None:
            X, y = X.as_in_context(ctx), y.as_in_context(ctx)
        y_hats.append(net(X))
        ys.append(y)
    if not ys:
        raise ValueError('evaluate_accuracy: the data iterator yielded no examples.')
    y = nd.concat(*ys, dim=0)
    # One exact count over all batches: the number d2lzh's per-batch sum gives; the ratio
    # in Python floats, as numpy 1 computed it (numpy 2 divides a float32 in float32).
    return float(_correct(nd.concat(*y_hats, dim=0), y).asscalar()) / len(y)


def _host_read(values):
    """Per-batch (1,) NDArrays as one float32 numpy array: one host read per epoch."""
    return nd.concat(*values, dim=0).asnumpy()


# MXNet runs operators asynchronously: without a read per batch, Python can queue much
# of an epoch ahead of the engine, each batch holding its inputs and activations (3.13:
# peak RSS 431 MiB against 330 MiB for the book's loop, which reads every batch).
# Waiting for the loss of the batch LOOKAHEAD back bounds that queue (3.13: 275 MiB)
# and still keeps the engine fed (2 epochs of 3.9: 4.48 s against 4.34-4.40 s
# unbounded; 4 batches: 4.55-4.73 s). Waiting changes no computation, only when
# Python goes on: the lines are the same.
LOOKAHEAD = 16


def _bound_lookahead(batch_losses):
    """Block until the batch LOOKAHEAD before the newest one is computed."""
    if len(batch_losses) > LOOKAHEAD:
        batch_losses[-1 - LOOKAHEAD].wait_to_read()


def _book_sum(values):
    """Sum as d2lzh does, batch by batch, in float64 as numpy 1 did (numpy 2 would keep
    float32 for `0.0 + float32`), for the book's digits on any numpy."""
    total = 0.0
    for v in values:
        total += float(v)
    return total


def _check_finite(losses, epoch, lr):
    """Stop with a clear message at the first batch whose loss is nan or inf."""
    bad = np.flatnonzero(~np.isfinite(losses))
    if bad.size:
        i = bad[0]
        raise TrainingDiverged(
            f'training diverged in epoch {epoch}, batch {i + 1} of {len(losses)}: the '
            f'summed batch loss is {losses[i]} (lr={lr}). A softmax computed naively '
            'overflows (exp of a large logit is inf, inf/inf is nan). Lower the learning '
            'rate (the book uses 0.1), or use a numerically stable loss '
            '(gluon.loss.SoftmaxCrossEntropyLoss on logits).')


# A finite divergence (3.9 and 3.10 at lr 50: a loss of 13 to 1700, accuracy 0.100)
# is called so only when both hold at the end of an epoch:
# - the mean loss is over twice that of guessing uniformly, 2 ln C (4.61 for C = 10
#   classes). Every run starts near ln C (small initial weights give near-uniform
#   outputs; Xavier's start gives about 2.5) and a run that learns only goes down from
#   there, so no epoch of a healthy run, its first included, averages above 2 ln C;
#   a run that merely learns slowly (a tiny lr) stays near ln C and is left alone;
# - the train accuracy is within 5 points of chance, 1/C. This keeps runs that are
#   rough but still learn: 3.7 at lr 50 averages a loss of 174 in epoch 1, yet its
#   accuracy is 0.68. The book's runs are far from it: every chapter's first epoch
#   is at 0.55 (3.13, dropout) or above.
CHANCE_MARGIN = 0.05


def check_divergence(record, lr=None, num_classes=10):
    """Stop with TrainingDiverged when an epoch's record shows a diverged training.

    Called once per epoch with its EpochRecord, before its line is printed: a loss that
    is nan or inf, or finite but with the model collapsed (see CHANCE_MARGIN), says in
    one message what happened, in which epoch, and what to try. A healthy epoch passes.
    """
    at = '' if lr is None else f' (lr={lr:g})'
    lower = (f'lower the learning rate (--lr), e.g. to {lr / 10:g}' if lr is not None
             else 'lower the learning rate')
    if not np.isfinite(record.loss):
        raise TrainingDiverged(
            f'training diverged in epoch {record.epoch}: the mean loss is {record.loss}'
            f'{at}: the steps are too large and the numbers overflowed. Try again: '
            f'{lower} (the book uses 0.1 to 0.5).')
    if num_classes < 2:
        return  # one output: not a classifier, no chance level
    uniform = float(np.log(num_classes))
    if record.loss > 2 * uniform and record.train_acc <= 1 / num_classes + CHANCE_MARGIN:
        raise TrainingDiverged(
            f'training diverged in epoch {record.epoch}: the mean loss {record.loss:.4g} is '
            f'over twice that of guessing ({2 * uniform:.2f}) and the train accuracy '
            f'{record.train_acc:.3f} is chance{at}. The steps are too large for this '
            f'model: {lower} (the book uses 0.1 to 0.5).')


def train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size,
              params=None, lr=None, trainer=None, verbose=True):
    """Train with minibatch SGD (`sgd(params, lr, batch_size)` or `trainer.step`).

    Prints the book's line per epoch and returns the EpochRecords (a History).
    """
    if trainer is None and (params is None or lr is None):
        raise ValueError('train_ch3 needs either trainer=, or both params= and lr=.')
    records = History()
    for epoch in range(1, num_epochs + 1):
        batch_losses, y_hats, ys = [], [], []
        for X, y in train_iter:
            with autograd.record():
                y_hat = net(X)
                l = loss(y_hat, y).sum()  # summed over the batch: step by batch_size
            l.backward()
            if trainer is None:
                sgd(params, lr, batch_size)
            else:
                trainer.step(batch_size)
            batch_losses.append(l)  # kept on the device: no host read per batch
            y_hats.append(y_hat)
            ys.append(y)
            _bound_lookahead(batch_losses)
        if not ys:
            raise ValueError('train_ch3: the training iterator yielded no examples.')
        losses = _host_read(batch_losses)
        rate = lr if trainer is None else trainer.learning_rate
        _check_finite(losses, epoch, rate)
        test_acc = evaluate_accuracy(test_iter, net)
        # Counts are exact integers, so one count over the epoch equals the book's sum.
        y = nd.concat(*ys, dim=0)  # (num_examples,): n is read once, not per batch
        correct, n = _correct(nd.concat(*y_hats, dim=0), y).asscalar(), len(y)
        record = EpochRecord(epoch, _book_sum(losses) / n, float(correct) / n,
                             float(test_acc))
        check_divergence(record, rate, y_hats[0].shape[-1])
        if verbose:
            print(EPOCH_LINE % record)
        records.append(record)
    return records


def predict_ch3(net, test_iter, n=18, path=None):
    """True against predicted labels of the first n test images: a table and a grid.

    Prints a table marking the mistakes and their count; the image grid, titled
    'true\\npred', is shown inline in Jupyter or saved to `path` (PNG) in a terminal;
    in a chapter `path` defaults to its <out>/<section>_predictions.png.
    Returns (true_labels, pred_labels).
    """
    from d2lsoftmax.training import plotting  # matplotlib only where a figure is drawn
    path = plotting.chapter_path(path, 'predictions')
    Xs, ys, seen = [], [], 0
    for X, y in test_iter:
        Xs.append(X)
        ys.append(y)
        seen += len(y)
        if seen >= n:
            break
    X, y = nd.concat(*Xs, dim=0)[:n], nd.concat(*ys, dim=0)[:n]
    trues = get_fashion_mnist_labels(y.asnumpy())
    preds = get_fashion_mnist_labels(net(X).argmax(axis=1).asnumpy())
    print(f'{"#":>3}  {"true":<11} predicted')
    for i, (true, pred) in enumerate(zip(trues, preds)):
        print(f'{i:>3}  {true:<11} {pred:<11}{"" if true == pred else " <- wrong"}'.rstrip())
    wrong = sum(t != p for t, p in zip(trues, preds))
    print(f'{wrong} of {len(trues)} predictions wrong')
    plotting.prediction_grid(X, [t + '\n' + p for t, p in zip(trues, preds)], path)
    return trues, preds
