"""Judge a trained model on the test set: accuracy, confusion matrix, softmax weight images."""
import os
import sys

import numpy as np
from mxnet import nd

from d2lsoftmax.util import outputs
from d2lsoftmax.data import TEXT_LABELS

NUM_CLASSES = len(TEXT_LABELS)


def predict_labels(net, data_iter):
    """(true labels, predicted labels) over `data_iter`, as int numpy arrays of shape (n,)."""
    ys, preds = [], []
    for X, y in data_iter:
        ys.append(y)
        preds.append(net(X).argmax(axis=1))  # (batch_size,) float32
    return (nd.concat(*ys, dim=0).asnumpy().astype(int),
            nd.concat(*preds, dim=0).asnumpy().astype(int))


def confusion_matrix(y, y_pred, num_classes=NUM_CLASSES):
    """(num_classes, num_classes) counts: row = true class, column = predicted class."""
    cm = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(cm, (y, y_pred), 1)
    return cm


def format_confusion(cm, labels=TEXT_LABELS):
    """The confusion matrix as a text table, rows true and columns predicted classes."""
    short = [label[:7] for label in labels]
    width = max(6, len(str(cm.max())) + 1)
    lines = ['true \\ predicted'.ljust(17) + ''.join(s.rjust(width + 2) for s in short)]
    for label, row in zip(labels, cm):
        lines.append(label.ljust(17) + ''.join(str(c).rjust(width + 2) for c in row))
    return '\n'.join(lines)


def softmax_weights(model):
    """The (10, 784) weight vectors of a softmax regression, one per class; None otherwise."""
    weights = model.layer_weights()  # each (outputs, inputs)
    if len(weights) != 1:
        return None  # more than one layer: no single weight vector per class
    W = weights[0].asnumpy()
    return W if W.shape == (NUM_CLASSES, 28 * 28) else None


def report(model, test_iter, out, section):
    """Print test accuracy and confusion matrix; save it and any weight images under `out`.

    Returns the test accuracy.
    """
    from d2lsoftmax.training import plotting  # matplotlib only where a figure is drawn
    y, y_pred = predict_labels(model.net, test_iter)
    cm = confusion_matrix(y, y_pred)
    acc = np.trace(cm) / len(y)
    print(f'test acc {acc:.4f} ({np.trace(cm)} of {len(y)} test images)')
    print(format_confusion(cm))
    plotting.plot_confusion(cm, os.path.join(out, f'{section}_confusion.png'))
    W = softmax_weights(model)
    if W is not None:
        plotting.show_weights(W, os.path.join(out, f'{section}_weights.png'))
    return acc


def evaluate_file(path, batch_size=256, out='out'):
    """Load a saved model, then print its test accuracy and confusion matrix (`report`).

    The figures' folder is checked first, the file next, the data is read last.
    """
    from d2lsoftmax.experiments.checkpoint import load
    from d2lsoftmax.data import load_data_fashion_mnist, release_line
    outputs.check_folder(out, '--out')
    model, meta = load(path)
    print(f'{path}: chapter {meta["section"]} {meta["kind"]} model')
    _, test_iter = load_data_fashion_mnist(batch_size)
    print(release_line())
    warn_other_release(path, meta.get('release'), test_iter.release)
    return report(model, test_iter, out, meta['section'])


def warn_other_release(path, trained_on, scored_on):
    """Warn on stderr when a model trained on one Fashion-MNIST release is scored on the other."""
    if trained_on and scored_on and trained_on != scored_on:
        print(f'warning: {path} was trained on Fashion-MNIST {trained_on} and is scored on '
              f'{scored_on}, whose test set holds some of its training images (the releases '
              f'split train and test differently); D2LSOFTMAX_RELEASE={trained_on} scores it '
              'on its own release.', file=sys.stderr)
