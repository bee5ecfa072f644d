"""Units of softmax regression, each checked against an independent implementation."""
import numpy as np
import pytest
from mxnet import autograd, gluon, nd
from numpy.testing import assert_allclose

from d2lsoftmax.models import concise, scratch


def test_softmax_rows_sum_to_one_and_equal_nd_softmax():
    X = nd.random.normal(shape=(4, 10))
    X_prob = scratch.softmax(X)
    assert_allclose(X_prob.sum(axis=1).asnumpy(), np.ones(4), rtol=1e-6)
    assert_allclose(X_prob.asnumpy(), nd.softmax(X).asnumpy(), rtol=1e-6)
    assert (X_prob.asnumpy() > 0).all()


def test_cross_entropy_is_minus_log_of_the_picked_probability():
    y_hat = nd.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    y = nd.array([0, 2], dtype='int32')
    assert_allclose(scratch.cross_entropy(y_hat, y).asnumpy(), -np.log([0.1, 0.5]), rtol=1e-6)


def test_cross_entropy_equals_gluon_loss_on_the_same_logits():
    logits = nd.random.normal(scale=3, shape=(8, 10))
    y = nd.array(np.arange(8) % 10, dtype='int32')
    ours = scratch.cross_entropy(scratch.softmax(logits), y)
    gluons = gluon.loss.SoftmaxCrossEntropyLoss()(logits, y)
    # float32: log of a rounded probability is off by a few 1e-6 absolute, which is a large
    # relative error where the loss is near 0 (a confident right answer)
    assert_allclose(ours.asnumpy(), gluons.asnumpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('y_hat, y, expected', [
    ([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], [0, 2], 0.5),
    ([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], [0, 1, 0], 1.0),
    ([[0.9, 0.1], [0.2, 0.8]], [1, 0], 0.0),
])
def test_accuracy_on_hand_made_cases(y_hat, y, expected):
    assert scratch.accuracy(nd.array(y_hat), nd.array(y, dtype='int32')) == expected


def test_init_params_shapes_and_spread():
    W, b = scratch.init_params(784, 10)
    assert W.shape == (784, 10) and b.shape == (10,)
    assert abs(W.asnumpy().std() - 0.01) < 0.001 and not b.asnumpy().any()
    assert W.grad is not None and b.grad is not None  # attach_grad() was called


def test_one_scratch_step_equals_one_concise_step():
    """From the same W, b and batch, our sgd and gluon's Trainer give the same parameters."""
    batch_size, lr = 32, 0.1
    X = nd.random.uniform(shape=(batch_size, 1, 28, 28))
    y = nd.array(np.random.randint(0, 10, batch_size), dtype='int32')
    W, b = scratch.init_params()
    net = concise.softmax_net()
    net(X)  # materialise the deferred shapes, then copy our W, b in
    dense = net[0]
    dense.weight.set_data(W.T)  # gluon stores (num_outputs, num_inputs)
    dense.bias.set_data(b)

    with autograd.record():
        l = scratch.cross_entropy(scratch.softmax_regression(W, b)(X), y).sum()
    l.backward()
    scratch.sgd([W, b], lr, batch_size)

    trainer = concise.sgd_trainer(net, lr)
    with autograd.record():
        l2 = concise.softmax_loss()(net(X), y).sum()
    l2.backward()
    trainer.step(batch_size)

    assert_allclose(l.asscalar(), l2.asscalar(), rtol=1e-5)
    assert_allclose(dense.weight.data().T.asnumpy(), W.asnumpy(), rtol=1e-5, atol=1e-7)
    assert_allclose(dense.bias.data().asnumpy(), b.asnumpy(), rtol=1e-5, atol=1e-7)
    assert np.abs(b.asnumpy()).max() > 1e-4  # the step really moved the parameters
