"""Stable softmax, log_softmax and cross-entropy on extreme logits (section 3.7.1)."""
import itertools

import numpy as np
import pytest
from mxnet import autograd, nd
from mxnet.gluon import loss as gloss

import d2lsoftmax as d2l
from d2lsoftmax.models import concise, scratch, stable

F32 = np.finfo(np.float32)
TINY = F32.tiny  # below the smallest normal float32 only absolute agreement is possible
RTOL = 1e-5

# Extreme logits whose exact answers are representable in float32, with labels.
EXTREME = np.array([
    [1000, 0, -1000], [-1000, 0, 1000], [0, 0, 0], [F32.max, 0, 1], [-F32.max, 0, 1],
    [F32.max, F32.max, 0], [88.7, 88.7, -88.7], [89, 0, 0], [-120, -110, -100],
    [-1000, -1000, -1000], [10, 0, 0], [20, 0, -1], [1e-30, 0, -1e-30], [1, 2, 3],
    [-60, 60, 0], [45, 0, 0], [3, 3, -3], [F32.tiny, -F32.tiny, 0],
], dtype=np.float32)
LABELS = np.array([0, 0, 1, 1, 0, 2, 2, 1, 0, 2, 0, 0, 1, 2, 0, 1, 0, 2])
rng = np.random.RandomState(0)
RANDOM = (rng.randn(40, 10) * 30).astype(np.float32)  # 10 classes, spread up to ~100
RANDOM_LABELS = rng.randint(0, 10, 40)


def reference_cross_entropy_grad(o, y):
    """softmax(o) - onehot(y) in float64, with p_y - 1 as -sum_{j != y} p_j (no cancellation)."""
    p = np.exp(stable.reference_log_softmax(o))
    grad = p.copy()
    rows = np.arange(len(o))
    grad[rows, y] = -(p.sum(axis=1) - p[rows, y])
    return grad


def assert_rel(actual, expected, rtol=RTOL, atol=TINY):
    """Elementwise relative agreement; subnormal float32 results only absolutely."""
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def assert_vjp_rel(actual, expected, head, rtol=RTOL):
    """Each row's error is within rtol of the upstream gradient's size.

    A vector-Jacobian product like head - p * sum(head) can cancel to almost 0, so its
    float32 error is relative to `head`, not to the (possibly tiny) result.
    """
    err = np.linalg.norm(actual - expected, axis=1)
    assert (err <= rtol * np.linalg.norm(head, axis=1)).all(), err


@pytest.mark.parametrize('o, y', [(EXTREME, LABELS), (RANDOM, RANDOM_LABELS)])
def test_every_output_and_gradient_is_finite(o, y):
    x, y = nd.array(o), nd.array(y)
    for f in (stable.softmax, stable.log_softmax, stable.logsumexp):
        value, grad = stable.loss_and_grad(lambda x, _: f(x), x, y)
        assert np.isfinite(value.asnumpy()).all(), f.__name__
        assert np.isfinite(grad.asnumpy()).all(), f.__name__
    l, grad = stable.loss_and_grad(stable.cross_entropy, x, y)
    assert np.isfinite(l.asnumpy()).all() and np.isfinite(grad.asnumpy()).all()


@pytest.mark.parametrize('o, y', [(EXTREME, LABELS), (RANDOM, RANDOM_LABELS)])
def test_values_match_float64_reference(o, y):
    ref = stable.reference_log_softmax(o)  # (n, k) float64
    x = nd.array(o)
    assert_rel(stable.log_softmax(x).asnumpy(), ref)
    assert_rel(stable.softmax(x).asnumpy(), np.exp(ref))
    rows, m = np.arange(len(o)), o.argmax(axis=1)  # LSE = o_m - log_softmax_m, no cancellation
    assert_rel(stable.logsumexp(x).asnumpy()[:, 0], o[rows, m] - ref[rows, m])
    assert_rel(stable.cross_entropy(x, nd.array(y)).asnumpy(), -ref[np.arange(len(y)), y])


@pytest.mark.parametrize('o, y', [(EXTREME, LABELS), (RANDOM, RANDOM_LABELS)])
def test_cross_entropy_gradient_matches_float64_reference(o, y):
    _, grad = stable.loss_and_grad(stable.cross_entropy, nd.array(o), nd.array(y))
    assert_rel(grad.asnumpy(), reference_cross_entropy_grad(o, y))


@pytest.mark.parametrize('o', [EXTREME, RANDOM])
def test_softmax_and_log_softmax_gradients_match_float64_reference(o):
    head = np.random.RandomState(1).randn(*o.shape)  # upstream gradient
    p = np.exp(stable.reference_log_softmax(o))
    for f, expected in ((stable.log_softmax, head - p * head.sum(axis=1, keepdims=True)),
                        (stable.softmax, p * (head - (head * p).sum(axis=1, keepdims=True)))):
        x = nd.array(o)
        x.attach_grad()
        with autograd.record():
            out = f(x)
        out.backward(nd.array(head))
        assert_vjp_rel(x.grad.asnumpy(), expected, head)


def test_confident_right_answer_keeps_its_tiny_loss_and_gradient():
    # log(1 + 2e-9) rounds to 0 in float32 and (1 - r) - 1 loses r: log1p and masking keep both
    l, grad = stable.loss_and_grad(stable.cross_entropy, nd.array([[20.0, 0.0]]), nd.array([0]))
    assert_rel(l.asnumpy(), [np.log1p(np.exp(-20.0))])
    assert_rel(grad.asnumpy(), [[-np.exp(-20.0) / (1 + np.exp(-20.0)),
                                 np.exp(-20.0) / (1 + np.exp(-20.0))]])


@pytest.mark.parametrize('o, y, expected', [
    ([[0.0, 0.0]], [1], [[0.5, -0.5]]),
    ([[3.0, 3.0, 3.0]], [0], [[-2 / 3, 1 / 3, 1 / 3]]),
    ([[5.0, 5.0, -1e4]], [2], [[0.5, 0.5, -1.0]]),
])
def test_tied_maxima_share_the_gradient(o, y, expected):
    # nd.max sends the full gradient to every tied entry; the stable pair must not
    _, grad = stable.loss_and_grad(stable.cross_entropy, nd.array(o), nd.array(y))
    np.testing.assert_allclose(grad.asnumpy(), expected, rtol=1e-6)
    _, grad = stable.loss_and_grad(lambda x, _: stable.logsumexp(x), nd.array(o), nd.array(y))
    np.testing.assert_allclose(grad.asnumpy(), np.exp(stable.reference_log_softmax(
        np.array(o))), rtol=1e-6)


def test_cross_entropy_takes_int32_labels_like_the_data_loader():
    o = nd.array(RANDOM[:4])
    y = nd.array(RANDOM_LABELS[:4], dtype='int32')
    assert_rel(stable.cross_entropy(o, y).asnumpy(),
               -stable.reference_log_softmax(RANDOM[:4])[np.arange(4), RANDOM_LABELS[:4]])


# ----------------------------------------------------- the naive version fails

@pytest.mark.parametrize('o, y, naive_loss, stable_loss, why', [
    ([1000.0, 0.0], 0, np.nan, 0.0, 'overflows'),
    ([1000.0, 0.0], 1, np.inf, 1000.0, 'overflows'),
    ([-1000.0, 0.0], 0, np.inf, 1000.0, 'rounds to 0'),
    ([-1000.0, -1000.0], 0, np.nan, np.log(2), 'underflows'),
    ([-60.0, 60.0], 0, np.inf, 120.0, 'rounds to 0'),
    ([float(F32.max), 0.0], 1, np.inf, float(F32.max), 'overflows'),
])
def test_naive_loss_is_not_finite_where_the_stable_one_is(o, y, naive_loss, stable_loss, why):
    r = stable.compare([o], [y])
    np.testing.assert_equal(r['naive_loss'][0], np.float32(naive_loss))
    assert not np.isfinite(r['naive_grad']).all()
    np.testing.assert_allclose(r['loss'][0], stable_loss, rtol=1e-6)
    assert np.isfinite(r['grad']).all()
    assert why in stable.explain(o, y)


def test_naive_gradient_is_silently_wrong_past_44():
    # the loss is right, but backward divides by sum**2 = inf
    r = stable.compare([[45.0, 0.0], [44.0, 0.0]], [1, 1])
    np.testing.assert_allclose(r['naive_loss'], r['loss'], rtol=1e-6)
    np.testing.assert_array_equal(r['grad'][0], [1, -1])
    np.testing.assert_array_equal(r['naive_grad'][0], [0, -1])  # the push-down is lost
    np.testing.assert_allclose(r['naive_grad'][1], r['grad'][1], rtol=1e-6)
    assert 'gradient is wrong' in stable.explain([45.0, 0.0], 1)
    assert 'agree' in stable.explain([44.0, 0.0], 1)


def test_naive_and_stable_agree_on_ordinary_logits():
    r = stable.compare(RANDOM[:, :3] / 30, RANDOM_LABELS % 3)
    np.testing.assert_allclose(r['naive_loss'], r['loss'], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(r['naive_grad'], r['grad'], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(r['naive_softmax'], r['softmax'], rtol=1e-5, atol=1e-7)


def test_float32_limits():
    with np.errstate(over='ignore'):
        assert np.isinf(np.exp(np.float32(stable.EXP_OVERFLOW + 0.01)))
    assert np.isfinite(np.exp(np.float32(stable.EXP_OVERFLOW - 0.01)))
    assert np.exp(np.float32(stable.EXP_UNDERFLOW - 0.01)) == 0
    assert np.exp(np.float32(stable.EXP_UNDERFLOW + 0.01)) > 0
    assert (nd.array([stable.EXP_UNDERFLOW - 0.01]).exp() == 0).asscalar()  # MXNet too
    assert np.isinf(nd.array([stable.EXP_OVERFLOW + 0.01]).exp().asscalar())


# ----------------------------------------------------------- gluon's loss

def test_gluon_loss_takes_logits_and_matches_ours():
    o, y = nd.array(EXTREME), nd.array(LABELS)
    gluon = gloss.SoftmaxCrossEntropyLoss()(o, y).asnumpy()
    # MXNet's float32 log_softmax is accurate to ~1.5e-6 absolute (it returns -1.4e-6
    # for a loss of 2.8e-9), hence the atol
    np.testing.assert_allclose(gluon, stable.cross_entropy(o, y).asnumpy(), rtol=1e-5,
                               atol=2e-6)
    # fed probabilities it would apply softmax a second time: a different, wrong loss
    twice = gloss.SoftmaxCrossEntropyLoss()(stable.softmax(o), y).asnumpy()
    assert np.abs(twice - gluon).max() > 0.1


def test_gluon_loss_gradient_matches_ours():
    o, y = nd.array(RANDOM), nd.array(RANDOM_LABELS)
    _, ours = stable.loss_and_grad(stable.cross_entropy, o, y)
    _, gluon = stable.loss_and_grad(gloss.SoftmaxCrossEntropyLoss(), o, y)
    # gluon's float32 error again, doubled by its backward (exp of its log_softmax)
    np.testing.assert_allclose(gluon.asnumpy(), ours.asnumpy(), rtol=1e-5, atol=5e-6)


def test_pytorch_agrees_where_installed():
    torch = pytest.importorskip('torch')
    o = np.concatenate([EXTREME, RANDOM[:, :3]])
    y = np.concatenate([LABELS, RANDOM_LABELS % 3])
    t = torch.tensor(o, dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(t, torch.tensor(y), reduction='none')
    loss.sum().backward()
    l, grad = stable.loss_and_grad(stable.cross_entropy, nd.array(o), nd.array(y))
    # torch's float64 uses log, not log1p: it agrees to float64's absolute resolution
    np.testing.assert_allclose(l.asnumpy(), loss.detach().numpy(), rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(grad.asnumpy(), t.grad.numpy(), rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(
        stable.log_softmax(nd.array(o)).asnumpy(),
        torch.log_softmax(torch.tensor(o, dtype=torch.float64), dim=1).numpy(),
        rtol=RTOL, atol=1e-12)


# ------------------------------------------------------------ in training

@pytest.fixture
def batches(real_data):
    """The first 20 shuffled minibatches of 256 under seed 0, and 2 test batches."""
    d2l.set_seed(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    return list(itertools.islice(train_iter, 20)), list(itertools.islice(test_iter, 2))


def test_scratch_stable_pair_takes_the_concise_steps(batches):
    train, test = batches
    d2l.set_seed(0)
    W, b = scratch.init_params()
    twin = stable.concise_twin(W, b)
    assert stable.param_gap(W, b, twin) == 0
    W0 = W.copy()
    r1 = d2l.train_ch3(stable.linear(W, b), train, test, stable.cross_entropy, 1, 256,
                       params=[W, b], lr=0.1, verbose=False)
    r2 = d2l.train_ch3(twin, train, test, concise.softmax_loss(), 1, 256,
                       trainer=concise.sgd_trainer(twin, 0.1), verbose=False)
    moved = nd.abs(W - W0).max().asscalar()
    assert moved > 0.01  # they did train
    assert stable.param_gap(W, b, twin) < 1e-4 * moved
    assert r1[0].loss == pytest.approx(r2[0].loss, rel=1e-5)
    assert r1[0][2:] == r2[0][2:]  # same accuracies


def test_stable_pair_survives_a_rate_where_the_naive_softmax_diverges(batches):
    train, test = batches
    d2l.set_seed(0)
    W, b = scratch.init_params()
    with pytest.raises(d2l.TrainingDiverged, match='nan'):
        d2l.train_ch3(scratch.softmax_regression(W, b), train, test, scratch.cross_entropy,
                      1, 256, params=[W, b], lr=1.0, verbose=False)
    d2l.set_seed(0)
    W, b = scratch.init_params()
    record, = d2l.train_ch3(stable.linear(W, b), train, test, stable.cross_entropy, 1, 256,
                            params=[W, b], lr=1.0, verbose=False)
    assert np.isfinite(record.loss) and record.test_acc > 0.3


def test_linear_net_checks_its_input():
    W, b = scratch.init_params()
    with pytest.raises(ValueError, match='784 values'):
        stable.linear(W, b)(nd.zeros((2, 1, 28, 27)))
