"""Synthetic regression data of sections 3.11 and 3.12, drawn with MXNet's random generator.

No files: seeding mx.random (d2l.set_seed) makes the same data every time. Each
function returns the book's arrays; the chapters split them into training and test
rows, the first `n_train` rows being the training set.
"""
from mxnet import nd

# 3.11: y = 1.2 x - 3.4 x^2 + 5.6 x^3 + 5 + noise, 100 training and 100 test examples
POLYNOMIAL = (100, 100, [1.2, -3.4, 5.6], 5)  # n_train, n_test, true_w, true_b
POLYNOMIAL_NOISE = 0.1
# 3.12: y = 0.05 + sum of 0.01 x_i over 200 inputs + noise, only 20 training examples
HIGH_DIMENSIONAL = (20, 100, 200)  # n_train, n_test, num_inputs
HIGH_DIMENSIONAL_NOISE = 0.01


def polynomial(n_train, n_test, true_w, true_b, noise=POLYNOMIAL_NOISE):
    """(features, poly_features, labels) of 3.11: x, [x, x^2, x^3] and the cubic's y + noise."""
    features = nd.random.normal(shape=(n_train + n_test, 1))  # (n, 1)
    poly_features = nd.concat(features, nd.power(features, 2),
                              nd.power(features, 3))  # (n, 3)
    labels = (true_w[0] * poly_features[:, 0] + true_w[1] * poly_features[:, 1]
              + true_w[2] * poly_features[:, 2] + true_b)  # (n,)
    labels += nd.random.normal(scale=noise, shape=labels.shape)
    return features, poly_features, labels


def high_dimensional(n_train, n_test, num_inputs, noise=HIGH_DIMENSIONAL_NOISE):
    """(features, labels, true_w, true_b) of 3.12: y = X w + b + noise, every w_i 0.01, b 0.05."""
    true_w, true_b = nd.ones((num_inputs, 1)) * 0.01, 0.05  # (num_inputs, 1)
    features = nd.random.normal(shape=(n_train + n_test, num_inputs))  # (n, num_inputs)
    labels = nd.dot(features, true_w) + true_b  # (n, 1)
    labels += nd.random.normal(scale=noise, shape=labels.shape)
    return features, labels, true_w, true_b
