"""The book's own pipeline over our arrays: the reference for parity tests and benchmarks.

gluon's FashionMNIST class (fed from memory instead of its download), the
DataLoader with ToTensor that `d2lzh.load_data_fashion_mnist` builds, and
`d2lzh.train_ch3`. Needs the test extra (`pip install -e .[test]`) for d2lzh.
"""
import contextlib
import io
import tempfile
from functools import lru_cache

from mxnet import nd
from mxnet.gluon import data as gdata

from d2lsoftmax.data import load_arrays


class BookFashionMNIST(gdata.vision.FashionMNIST):
    """gluon's FashionMNIST dataset, holding given arrays instead of downloading."""

    def __init__(self, images, labels):
        self._arrays = images, labels
        super().__init__(root=tempfile.gettempdir(), train=True)

    def _get_data(self):
        images, labels = self._arrays
        self._data = nd.array(images, dtype=images.dtype)  # (N, 28, 28, 1) uint8, as gluon
        self._label = labels  # int32 numpy, as gluon


def load_data_fashion_mnist(batch_size, resize=None, num_workers=0, root=None, eager=False):
    """`d2lzh.load_data_fashion_mnist` on the same data: DataLoader + ToTensor per sample.

    eager=True applies the same per-sample transforms once, up front
    (gluon's `transform_first(..., lazy=False)`), and keeps the transformed sets
    for the next call: the batches are the same, without paying ToTensor every pass.
    """
    mnist_train = _transformed('train', resize, root, eager)
    mnist_test = _transformed('test', resize, root, eager)
    train_iter = gdata.DataLoader(mnist_train, batch_size, shuffle=True, num_workers=num_workers)
    test_iter = gdata.DataLoader(mnist_test, batch_size, shuffle=False, num_workers=num_workers)
    return train_iter, test_iter


def _transformed(split, resize, root, eager):
    """The book's dataset of `split` with Resize (if asked) and ToTensor on each image."""
    if eager:
        return _eager_transformed(split, resize, root)
    return BookFashionMNIST(*load_arrays(split, root)).transform_first(_transformer(resize))


@lru_cache(maxsize=4)
def _eager_transformed(split, resize, root):
    """The same, transformed once (lazy=False) and kept for the process."""
    dataset = BookFashionMNIST(*load_arrays(split, root))
    return dataset.transform_first(_transformer(resize), lazy=False)


def _transformer(resize):
    """The book's transforms: Resize (optional), then ToTensor."""
    transformer = [gdata.vision.transforms.Resize(resize)] if resize else []
    return gdata.vision.transforms.Compose(transformer + [gdata.vision.transforms.ToTensor()])


@contextlib.contextmanager
def python_float_scalars():
    """`NDArray.asscalar()` returns a Python float (the same value) while inside.

    d2lzh sums `asscalar()` results into `0.0`: numpy 1 made that sum a float64,
    numpy 2 (NEP 50) keeps it float32, so under numpy 2 d2lzh's own printed ratios
    can differ in the last digit. With Python floats its sums are the book's era's
    on any numpy: the same per-batch values, summed in float64.
    """
    asscalar = nd.NDArray.asscalar
    nd.NDArray.asscalar = lambda self: float(asscalar(self))
    try:
        yield
    finally:
        nd.NDArray.asscalar = asscalar


def train_ch3_lines(*args, **kwargs):
    """Run `d2lzh.train_ch3` (its sums in float64, as in the book) and return the lines it printed."""
    import d2lzh
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), python_float_scalars():
        d2lzh.train_ch3(*args, **kwargs)
    return buffer.getvalue().splitlines()
