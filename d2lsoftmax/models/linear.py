"""Linear regression from scratch (book sections 3.2 and 3.12): the d2lzh helpers it saves.

`data_iter`, `linreg` and `squared_loss` as the book writes them, so that the
book's 3.2, 3.3, 3.12 and 3.16 run with `import d2lsoftmax as d2l`.
"""
import random

from mxnet import nd


def data_iter(batch_size, features, labels):
    """Minibatches (features, labels) in a random order drawn with Python's `random`."""
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)  # the same call d2lzh makes: the same order under one seed
    for i in range(0, num_examples, batch_size):
        j = nd.array(indices[i: min(i + batch_size, num_examples)])  # (b,) row indices
        yield features.take(j), labels.take(j)


def linreg(X, w, b):
    """The linear model X w + b; (num_examples, 1) for w of shape (num_inputs, 1)."""
    return nd.dot(X, w) + b


def squared_loss(y_hat, y):
    """Half the squared error per example; y is reshaped to y_hat's shape first."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2
