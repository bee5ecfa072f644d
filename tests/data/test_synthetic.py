"""The synthetic data of 3.11 and 3.12: the book's formulas plus the book's noise, drawn
from mx.random, so one seed gives the same data every time."""
import mxnet as mx
import numpy as np

from d2lsoftmax.data import synthetic


def test_polynomial_labels_are_the_cubic_plus_small_noise():
    mx.random.seed(0)
    n_train, n_test, true_w, true_b = synthetic.POLYNOMIAL
    features, poly_features, labels = synthetic.polynomial(n_train, n_test, true_w, true_b)
    x = features.asnumpy()[:, 0]  # (200,)
    assert features.shape == (200, 1) and poly_features.shape == (200, 3)
    assert np.allclose(poly_features.asnumpy(), np.stack([x, x ** 2, x ** 3], axis=1), rtol=1e-5)
    noise = labels.asnumpy() - (1.2 * x - 3.4 * x ** 2 + 5.6 * x ** 3 + 5)
    assert 0.07 < noise.std() < 0.13 and abs(noise.mean()) < 0.03  # the book's 0.1


def test_high_dimensional_labels_are_linear_in_200_inputs_plus_small_noise():
    mx.random.seed(0)
    features, labels, true_w, true_b = synthetic.high_dimensional(*synthetic.HIGH_DIMENSIONAL)
    assert features.shape == (120, 200) and labels.shape == (120, 1)
    assert (true_w.asnumpy() == np.float32(0.01)).all() and true_b == 0.05
    noise = labels.asnumpy() - (features.asnumpy() @ true_w.asnumpy() + true_b)
    assert 0.007 < noise.std() < 0.013  # the book's 0.01


def test_one_seed_gives_the_same_data():
    draws = []
    for _ in range(2):
        mx.random.seed(3)
        draws.append(synthetic.high_dimensional(20, 100, 200)[1].asnumpy())
    assert (draws[0] == draws[1]).all()
    mx.random.seed(4)
    assert not (synthetic.high_dimensional(20, 100, 200)[1].asnumpy() == draws[0]).all()
