"""The book's own pipeline over our arrays: the reference for parity tests and benchmarks.

gluon's FashionMNIST class (fed from memory instead of its download), the
DataLoader with ToTensor that `d2lzh.load_data_fashion_mnist` builds, and
`d2lzh.train_ch3`. Needs the test extra (`pip install -e .[test]`) for d2lzh.
"""
import contextlib
import io
import tempfile

from mxnet import nd
from mxnet.gluon import data as gdata

from .data import load_arrays


class BookFashionMNIST(gdata.vision.FashionMNIST):
    """gluon's FashionMNIST dataset, holding given arrays instead of downloading."""

    def __init__(self, images, labels):
        self._arrays = images, labels
        super().__init__(root=tempfile.gettempdir(), train=True)

    def _get_data(self):
        images, labels = self._arrays
        self._data = nd.array(images, dtype=images.dtype)  # (N, 28, 28, 1) uint8, as gluon
        self._label = labels  # int32 numpy, as gluon


def load_data_fashion_mnist(batch_size, resize=None, num_workers=0, root=None):
    """`d2lzh.load_data_fashion_mnist` on the same data: DataLoader + ToTensor per sample."""
    transformer = []
    if resize:
        transformer += [gdata.vision.transforms.Resize(resize)]
    transformer += [gdata.vision.transforms.ToTensor()]
    transformer = gdata.vision.transforms.Compose(transformer)
    mnist_train = BookFashionMNIST(*load_arrays('train', root))
    mnist_test = BookFashionMNIST(*load_arrays('test', root))
    train_iter = gdata.DataLoader(mnist_train.transform_first(transformer), batch_size,
                                  shuffle=True, num_workers=num_workers)
    test_iter = gdata.DataLoader(mnist_test.transform_first(transformer), batch_size,
                                 shuffle=False, num_workers=num_workers)
    return train_iter, test_iter


def train_ch3_lines(*args, **kwargs):
    """Run `d2lzh.train_ch3` and return the epoch lines it printed."""
    import d2lzh
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        d2lzh.train_ch3(*args, **kwargs)
    return buffer.getvalue().splitlines()
