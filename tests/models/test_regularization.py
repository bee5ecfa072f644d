"""Weight decay and lr decay: the scratch and concise implementations take the same steps."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, nd

from d2lsoftmax.experiments import experiment, schedules
from d2lsoftmax.models import regularization
from d2lsoftmax.data import DataError, FashionMNISTIter, find_data_dir, load_arrays
from d2lsoftmax.experiments.experiment import Settings
from d2lsoftmax import models
from d2lsoftmax.sections import chapter_args
from d2lsoftmax.training import train_ch3

N, BATCH = 1000, 100  # the batch size divides N: no partial batch, identical decay


@pytest.fixture(scope='module')
def data():
    try:  # never downloads: module fixtures run before conftest's isolation
        images, labels = load_arrays('train', root=find_data_dir(download=False))
    except DataError as e:
        pytest.skip(f'real Fashion-MNIST not found: {e}')
    return images[:N], labels[:N]


def test_l2_penalty_gradient_is_the_weight():
    W = nd.array([[1.0, -2.0], [3.0, 0.5]])
    W.attach_grad()
    with autograd.record():
        penalty = regularization.l2_penalty(W)
    penalty.backward()
    assert penalty.asscalar() == pytest.approx((1 + 4 + 9 + 0.25) / 2)
    np.testing.assert_allclose(W.grad.asnumpy(), W.asnumpy())


def test_penalized_loss_adds_the_penalty_to_every_example():
    W = nd.ones((3, 2))
    loss = regularization.penalized_loss(lambda y_hat, y: y_hat, [W], lambd=0.1)
    l = loss(nd.array([1.0, 2.0]), None)  # (2,): each example's loss + 0.1 * 3
    np.testing.assert_allclose(l.asnumpy(), [1.3, 2.3], rtol=1e-6)


def test_factor_scheduler_gives_the_scratch_lr_of_every_epoch():
    lr, rate, every, steps = 0.5, 0.3, 2, 7  # 7 minibatches per epoch
    scratch = schedules.exponential_lr(lr, rate, every)
    concise = schedules.factor_scheduler(lr, rate, every, steps)
    for update in range(1, 6 * steps + 1):  # MXNet counts updates from 1
        epoch = (update - 1) // steps + 1
        assert concise(update) == pytest.approx(scratch(epoch)), (update, epoch)
    assert [scratch(e) for e in (1, 2, 3, 4, 5)] == pytest.approx(
        [0.5, 0.5, 0.15, 0.15, 0.045])


def test_scratch_sgd_changes_lr_at_epoch_boundaries():
    W = nd.zeros(1)
    W.attach_grad()
    trainer = schedules.ScratchSGD([W], schedules.exponential_lr(1.0, 0.5), steps_per_epoch=3)
    seen = []
    for _ in range(7):
        seen.append(trainer.learning_rate)
        trainer.step(1)
    assert seen == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]


@pytest.mark.parametrize('rate, every', [(0, 1), (1.5, 1), (0.5, 0), (0.5, 1.5)])
def test_bad_decay_is_refused(rate, every):
    with pytest.raises(ValueError, match='lr decay'):
        schedules.exponential_lr(0.1, rate, every)


def _train(section, settings, data, init, num_epochs=2):
    """Train chapter `section`'s model from weights `init` (W (784, 10), b) on `data`."""
    model = models.build(section, chapter_args(section, lr=0.1))
    images, labels = data
    train_iter = FashionMNISTIter(images, labels, BATCH, shuffle=True)
    W0, b0 = init
    model.net(next(iter(FashionMNISTIter(images, labels, BATCH)))[0])  # Gluon infers shapes
    W, b = model.named_params().values()
    W[:] = nd.array(W0 if model.kind == 'scratch' else W0.T)  # Dense holds (10, 784)
    b[:] = nd.array(b0)
    model = experiment.apply(settings, model, len(train_iter))
    np.random.seed(1)  # the same minibatch order for both
    model.fit(train_ch3, train_iter, train_iter, num_epochs, BATCH, verbose=False)
    _, b = model.named_params().values()
    return [model.layer_weights()[0].asnumpy().T, b.asnumpy()]  # W as (784, 10)


@pytest.fixture(scope='module')
def init():
    rng = np.random.RandomState(0)
    return rng.normal(0, 0.01, (784, 10)).astype('float32'), np.zeros(10, 'float32')


@pytest.mark.parametrize('settings', [
    Settings(wd=0.5),
    Settings(lr_decay=0.3),
    Settings(wd=0.2, lr_decay=0.3, lr_decay_every=1),
], ids=['wd', 'lr-decay', 'both'])
def test_scratch_and_concise_take_the_same_steps(settings, data, init):
    W_s, b_s = _train('3.6', settings, data, init)
    W_c, b_c = _train('3.7', settings, data, init)
    plain_W, _ = _train('3.7', Settings(), data, init)
    assert np.abs(W_c - plain_W).max() > 1e-2  # the setting does change the training
    np.testing.assert_allclose(W_s, W_c, atol=1e-6)  # float32 rounding apart, the same
    np.testing.assert_allclose(b_s, b_c, atol=1e-6)


def test_weight_decay_shrinks_the_weights_but_not_the_bias(data, init):
    plain_W, plain_b = _train('3.6', Settings(), data, init, num_epochs=1)
    decayed_W, decayed_b = _train('3.6', Settings(wd=0.5), data, init, num_epochs=1)
    assert np.linalg.norm(decayed_W) < 0.8 * np.linalg.norm(plain_W)
    # the bias sees only the (slightly different) data gradient, never the decay
    assert np.abs(decayed_b - plain_b).max() < 0.2 * np.abs(plain_b).max()


def test_concise_decay_spares_the_bias():
    from d2lsoftmax.models.concise import softmax_net
    net = softmax_net()
    regularization.no_bias_decay(net)
    mults = {name.split('_')[-1]: p.wd_mult for name, p in net.collect_params().items()}
    assert mults == {'weight': 1, 'bias': 0}


def test_concise_options_build_the_named_optimizer_and_init():
    mx.random.seed(0)
    model = experiment.apply(Settings(optimizer='adam', init='xavier', lr_decay=0.5),
                             models.build('3.7'), steps_per_epoch=10)
    optimizer = model.trainer._optimizer
    assert type(optimizer).__name__ == 'Adam' and optimizer.lr_scheduler.step == 10
    model.net(nd.zeros((2, 1, 28, 28)))  # deferred init happens now, with Xavier
    W = model.net[0].weight.data().asnumpy()
    bound = np.sqrt(6 / (784 + 10))  # Xavier uniform, 'avg' fan, magnitude 3
    assert np.abs(W).max() <= bound and np.abs(W).max() > 0.5 * bound  # not N(0, 0.01)


def test_scratch_refuses_concise_only_options():
    with pytest.raises(ValueError, match='only the concise'):
        experiment.apply(Settings(optimizer='adam'), models.build('3.6'), 10)


def test_default_settings_leave_the_chapter_model_untouched():
    for section in ('3.6', '3.7'):
        model = models.build(section)
        assert experiment.apply(Settings(), model, 10) is model
