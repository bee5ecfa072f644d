"""The real Fashion-MNIST: golden facts, and batches equal to the book's gluon pipeline."""
import itertools

import numpy as np
import pytest

import d2lsoftmax
from d2lsoftmax.reference import book
from d2lsoftmax import data

BATCH = 256


def _numpy(batch):
    X, y = batch
    return X.asnumpy(), y.asnumpy()


def _same_batches(ours, theirs, seed, limit=None):
    """Number of batches compared; asserts each pair equal bit for bit.

    Each iterator draws its shuffle from numpy's global RNG on its first batch, so
    the RNG is reseeded just before each first batch.
    """
    ours, theirs = iter(ours), iter(theirs)
    np.random.seed(seed)
    first = _numpy(next(ours))
    np.random.seed(seed)
    pairs = itertools.chain([(first, _numpy(next(theirs)))],
                            ((_numpy(a), _numpy(b)) for a, b in zip(ours, theirs)))
    count = 0
    for (Xa, ya), (Xb, yb) in itertools.islice(pairs, limit):
        assert Xa.dtype == Xb.dtype == np.float32 and ya.dtype == yb.dtype == np.int32
        assert np.array_equal(Xa, Xb), f'images of batch {count} differ'
        assert np.array_equal(ya, yb), f'labels of batch {count} differ'
        count += 1
    return count


def _records(pixels, labels):
    """Each example as one bytes record (its 784 uint8 pixels and its label)."""
    rows = np.concatenate([pixels.reshape(len(labels), -1),
                           labels.astype(np.uint8)[:, None]], axis=1)
    return rows.view(np.dtype((np.void, rows.shape[1])))[:, 0]


def _pass_records(iterator):
    """The records of one pass over `iterator`, in the order it serves them."""
    return np.concatenate([_records(np.rint(X.asnumpy() * 255).astype(np.uint8), y.asnumpy())
                           for X, y in iterator])


@pytest.mark.parametrize('split, n', [('train', 60000), ('test', 10000)])
def test_sizes_and_classes(real_data, split, n):
    """60000/10000 uint8 (N, 28, 28, 1) images over 0..255, 6000/1000 of each class."""
    images, labels = data.load_arrays(split)
    assert images.shape == (n, 28, 28, 1) and images.dtype == np.uint8
    assert labels.shape == (n,) and labels.dtype == np.int32
    assert images.min() == 0 and images.max() == 255
    assert np.bincount(labels).tolist() == [n // 10] * 10


def test_label_names(real_data):
    """The first training examples carry the book's text labels."""
    _, labels = data.load_arrays('train')
    assert d2lsoftmax.get_fashion_mnist_labels(labels[:5]) == \
        ['ankle boot', 't-shirt', 't-shirt', 'dress', 't-shirt']


def test_batches_shape_dtype_range(real_data):
    """Batches are float32 (b, 1, 28, 28) in [0, 1] and int32 labels."""
    train_iter, _ = d2lsoftmax.load_data_fashion_mnist(BATCH)
    X, y = next(iter(train_iter))
    assert X.shape == (BATCH, 1, 28, 28) and X.dtype == np.float32
    assert y.shape == (BATCH,) and y.dtype == np.int32
    assert 0 <= X.min().asscalar() and X.max().asscalar() == 1


def test_test_set_in_order_with_last_partial_batch(real_data):
    """The test set comes in file order, the last batch holding 10000 % 256 = 16 examples."""
    images, labels = data.load_arrays('test')
    _, test_iter = d2lsoftmax.load_data_fashion_mnist(BATCH)
    batches = [_numpy(b) for b in test_iter]
    assert len(test_iter) == len(batches) == 40 and len(batches[-1][1]) == 16
    X = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    assert np.array_equal(y, labels)
    assert np.array_equal(X, images.transpose(0, 3, 1, 2).astype(np.float32) / 255)


def test_editing_a_batch_in_place_leaves_the_data_set_intact(real_data):
    """A batch is the caller's own: changing it in place changes no later pass or split."""
    labels = data.load_arrays('test')[1].copy()
    _, test_iter = d2lsoftmax.load_data_fashion_mnist(BATCH)
    for X, y in test_iter:
        X[:] = -1  # NDArray writes go straight to the memory behind the batch
        y[:] = 99
    assert np.array_equal(data.load_arrays('test')[1], labels)
    X, y = next(iter(test_iter))
    assert np.array_equal(y.asnumpy(), labels[:BATCH]) and X.min() >= 0


def test_train_passes_are_shuffled_permutations(real_data):
    """Two passes over train: different orders, each the whole set, the same multiset."""
    images, labels = data.load_arrays('train')
    train_iter, _ = d2lsoftmax.load_data_fashion_mnist(BATCH)
    np.random.seed(0)
    first, second = _pass_records(train_iter), _pass_records(train_iter)
    assert len(first) == len(second) == 60000 and len(train_iter) == 235
    assert not np.array_equal(first, second)
    in_file_order = _records(images, labels)
    assert not np.array_equal(first, in_file_order)
    assert np.array_equal(np.sort(first), np.sort(second))
    assert np.array_equal(np.sort(first), np.sort(in_file_order))


@pytest.mark.slow
def test_every_batch_equals_the_books(real_data):
    """One seed, one epoch of train and all of test: ours == gluon DataLoader, bit for bit."""
    ours = d2lsoftmax.load_data_fashion_mnist(BATCH)
    theirs = book.load_data_fashion_mnist(BATCH, num_workers=0)
    assert _same_batches(ours[0], theirs[0], seed=1) == 235
    assert _same_batches(ours[1], theirs[1], seed=2) == 40


def test_resized_batches_equal_the_books(real_data):
    """resize=32: the first batches of train and test equal the book's Resize + ToTensor."""
    ours = d2lsoftmax.load_data_fashion_mnist(BATCH, resize=32)
    theirs = book.load_data_fashion_mnist(BATCH, resize=32, num_workers=0)
    assert _same_batches(ours[0], theirs[0], seed=3, limit=3) == 3
    assert _same_batches(ours[1], theirs[1], seed=3, limit=2) == 2
    X, _ = next(iter(ours[1]))
    assert X.shape == (BATCH, 1, 32, 32)


@pytest.mark.parametrize('batch_size', [0, -1, 2.5, '256', True])
def test_bad_batch_size(batch_size):
    """A batch size that is not a positive integer is a ValueError, before any file is read."""
    with pytest.raises(ValueError, match='batch_size must be a positive integer, got '):
        d2lsoftmax.load_data_fashion_mnist(batch_size)
