"""Mini-batches from memory, as the book's pipeline gives them, and the classes' names.

The book's pipeline (gluon ``FashionMNIST`` + ``DataLoader`` + ``ToTensor``) is
reproduced batch for batch, but without per-sample transforms or worker
processes: the images stay in memory as uint8 and each batch is converted once.
MXNet is imported only when a batch is made: `d2lsoftmax list` reads this
package without it.
"""
import math

import numpy as np

from d2lsoftmax.data.finder import locate
from d2lsoftmax.data.splits import TEXT_LABELS, read_split


class FashionMNISTIter:
    """Mini-batches (X, y) like gluon's DataLoader(dataset.transform_first(ToTensor())).

    X is float32 (b, 1, 28, 28) in [0, 1], y int32 (b,). With shuffle=True each pass
    draws its order with numpy's global RNG exactly as gluon's RandomSampler does.
    The images stay uint8 in memory; each batch is gathered and converted by numpy
    (about 10x faster than MXNet's to_tensor kernel, same float32 division) and
    handed to MXNet without a copy, so making a batch never waits for the engine.
    """

    def __init__(self, images, labels, batch_size, shuffle=False, resize=None, location=None):
        self.images, self.labels = images, labels  # (N, 28, 28, 1) uint8, (N,) int32
        self.batch_size, self.shuffle, self.resize = batch_size, shuffle, resize
        self.location = location  # the Location (release, folder) the arrays came from, if known
        self.release = location.release if location else None

    def __len__(self):
        return math.ceil(len(self.labels) / self.batch_size)  # last partial batch kept

    def __iter__(self):
        from mxnet import nd  # once a pass, here: `list` and `--help` read this package
        n, b = len(self.labels), self.batch_size
        indices = np.arange(n)
        if self.shuffle:
            np.random.shuffle(indices)  # the call RandomSampler makes, once per pass
        for start in range(0, n, b):
            idx = indices[start:start + b] if self.shuffle else slice(start, start + b)
            yield self._batch(nd, self.images[idx], self.labels[idx])

    def _batch(self, nd, images, labels):
        y = nd.from_numpy(np.array(labels))  # (b,) int32, an own copy: the cache stays intact
        if self.resize:  # what transforms.Resize then ToTensor do, on the whole batch
            X = nd.from_numpy(np.ascontiguousarray(images))  # (b, 28, 28, 1) uint8
            return nd.image.to_tensor(nd.image.resize(X, self.resize)), y
        # ToTensor: float32(pixel) / 255, and with one channel HWC -> CHW is a reshape.
        X = (images.astype(np.float32) / np.float32(255)).reshape(-1, 1, *images.shape[1:3])
        return nd.from_numpy(X), y  # (b, 1, 28, 28) float32, zero-copy


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size <= 0:
        raise ValueError(f'batch_size must be a positive integer, got {batch_size!r}')


def load_data_fashion_mnist(batch_size, resize=None, root=None, release=None):
    """The book's (train_iter, test_iter): train shuffled each pass, test in order.

    Both from one release (`release`, $D2LSOFTMAX_RELEASE, or the first set found);
    each iterator's .release names it, and .location says where it was found.
    """
    _check_batch_size(batch_size)
    location = locate(root, release)
    train = read_split(location.directory, 'train', release=location.release)
    test = read_split(location.directory, 'test', release=location.release)
    train_iter = FashionMNISTIter(*train, batch_size, shuffle=True, resize=resize,
                                  location=location)
    test_iter = FashionMNISTIter(*test, batch_size, resize=resize, location=location)
    return train_iter, test_iter


def get_fashion_mnist_labels(labels):
    """Text labels of numeric Fashion-MNIST labels (any iterable of ints or floats)."""
    return [TEXT_LABELS[int(i)] for i in labels]
