"""Chapters 3.9 and 3.10: the MLP from scratch and with Gluon, hybridize, the stable loss."""
import numpy as np
import pytest
from mxnet import autograd, nd

from d2lsoftmax import cli, sections
from d2lsoftmax.models import concise, scratch, stable
from d2lsoftmax.experiments import runs
from d2lsoftmax.data import FashionMNISTIter, load_arrays
from d2lsoftmax.training import set_seed


def small_loader(batch_size, num_train=2048, num_test=512):
    """The first examples of Fashion-MNIST, in the book's batches: for quick runs."""
    (X, y), (X_test, y_test) = load_arrays('train'), load_arrays('test')
    return (FashionMNISTIter(X[:num_train], y[:num_train], batch_size, shuffle=True),
            FashionMNISTIter(X_test[:num_test], y_test[:num_test], batch_size))


@pytest.fixture
def batch(real_data):
    """One real minibatch of 256 images, (256, 1, 28, 28) float32, and its labels."""
    set_seed(0)
    return next(iter(small_loader(256)[0]))


def test_relu():
    X = nd.array([[-2.0, -0.0, 0.0, 0.5, 3.0]])
    np.testing.assert_array_equal(scratch.relu(X).asnumpy(), [[0, 0, 0, 0.5, 3.0]])


def test_init_mlp_params_shapes_scale_and_grads():
    set_seed(0)
    W1, b1, W2, b2 = scratch.init_mlp_params()
    assert [p.shape for p in (W1, b1, W2, b2)] == [(784, 256), (256,), (256, 10), (10,)]
    assert b1.abs().sum().asscalar() == 0 and b2.abs().sum().asscalar() == 0
    assert W1.asnumpy().std() == pytest.approx(0.01, rel=0.02)
    assert all(p.grad is not None for p in (W1, b1, W2, b2))  # attach_grad


def test_scratch_mlp_gives_logits_and_checks_input(batch):
    X, _ = batch
    net = scratch.mlp(*scratch.init_mlp_params())
    assert net(X).shape == (256, 10)
    with pytest.raises(ValueError, match='784 values'):
        net(nd.zeros((2, 1, 32, 32)))


@pytest.mark.parametrize('hybridize', [False, True])
def test_mlp_net_layers_and_input_check(batch, hybridize):
    X, _ = batch
    net = concise.mlp_net(hybridize=hybridize)
    assert net(X).shape == (256, 10)
    assert [p.shape for p in net.collect_params().values()] == [(256, 784), (256,), (10, 256),
                                                                  (10,)]
    assert net[0].act is not None and net[1].act is None  # relu, then logits
    assert ('Hybrid' in type(net).__name__) == hybridize
    with pytest.raises(ValueError, match='784 values'):
        net(nd.zeros((2, 1, 28, 27)))


def concise_copy_of(W1, b1, W2, b2):
    """concise.mlp_net holding copies of the scratch parameters (Dense stores W^T)."""
    net = concise.mlp_net()
    net(nd.zeros((1, 784)))  # fix the deferred shapes
    for layer, W, b in ((net[0], W1, b1), (net[1], W2, b2)):
        layer.weight.set_data(W.T)
        layer.bias.set_data(b)
    return net


def test_scratch_mlp_steps_equal_concise_steps_from_the_same_weights(batch):
    X, y = batch
    set_seed(0)
    params = scratch.init_mlp_params()
    net, twin = scratch.mlp(*params), concise_copy_of(*params)
    loss, trainer = concise.softmax_loss(), concise.sgd_trainer(twin, 0.5)
    for _ in range(3):  # three steps of the book's loop body, lr 0.5
        for model in (net, twin):
            with autograd.record():
                l = loss(model(X), y).sum()
            l.backward()
            if model is net:
                scratch.sgd(params, 0.5, 256)
            else:
                trainer.step(256)
    W1, b1, W2, b2 = params
    concise_params = [twin[0].weight.data().T, twin[0].bias.data(),
                      twin[1].weight.data().T, twin[1].bias.data()]
    assert nd.abs(b2).max().asscalar() > 1e-3  # they moved
    for mine, theirs in zip((W1, b1, W2, b2), concise_params):
        np.testing.assert_allclose(mine.asnumpy(), theirs.asnumpy(), rtol=1e-5, atol=1e-7)


def test_stable_loss_equals_gluon_loss_on_mlp_logits(batch):
    X, y = batch
    set_seed(0)
    net = scratch.mlp(*scratch.init_mlp_params())
    logits = net(X) * 100  # spread them out: losses from ~0 to hundreds
    _, ours = stable.loss_and_grad(stable.cross_entropy, logits, y)
    _, gluon = stable.loss_and_grad(concise.softmax_loss(), logits, y)
    np.testing.assert_allclose(stable.cross_entropy(logits, y).asnumpy(),
                               concise.softmax_loss()(logits, y).asnumpy(), rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(ours.asnumpy(), gluon.asnumpy(), rtol=1e-5, atol=5e-6)


def test_stable_loss_option_gives_the_same_epoch_within_float_tolerance(real_data):
    (gluon,), _ = runs.train_chapter('3.9', loader=small_loader, num_epochs=1)
    (ours,), _ = runs.train_chapter('3.9', loader=small_loader, num_epochs=1, stable_loss=True)
    assert ours.loss == pytest.approx(gluon.loss, rel=1e-5)
    assert ours.train_acc == pytest.approx(gluon.train_acc, abs=1 / 2048)  # a tie at most
    assert ours.test_acc == pytest.approx(gluon.test_acc, abs=1 / 512)


@pytest.mark.parametrize('section', ['3.7', '3.10'])
def test_hybridize_gives_identical_epochs(section, real_data):
    plain, _ = runs.train_chapter(section, loader=small_loader, num_epochs=2)
    hybrid, net = runs.train_chapter(section, loader=small_loader, num_epochs=2, hybridize=True)
    assert 'Hybrid' in type(net).__name__
    assert hybrid == plain  # every number of every epoch, bit for bit


@pytest.mark.parametrize('section, option', [('3.7', '--hybridize'), ('3.9', '--stable-loss'),
                                             ('3.10', '--hybridize')])
def test_chapter_options_are_on_the_command_line(section, option, capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(['run', section, '--help'])
    assert exit.value.code == 0
    assert option in capsys.readouterr().out


@pytest.mark.parametrize('section, lr', [('3.6', 0.1), ('3.7', 0.1), ('3.9', 0.5), ('3.10', 0.5),
                                         ('3.13', 0.5), ('3.13-concise', 0.5)])
def test_training_chapters_have_the_books_settings(section, lr):
    assert sections.chapter(section).defaults == dict(num_epochs=5, lr=lr, batch_size=256)
    assert section in sections.training_sections()


MLPS = sections.taking('num_hiddens')


@pytest.mark.parametrize('section', MLPS)
def test_the_mlps_have_the_books_hidden_layers_and_drop_probabilities(section):
    assert MLPS == ['3.9', '3.10', '3.13', '3.13-concise']
    args = sections.chapter_args(section)
    assert args.num_hiddens == 256
    if section.startswith('3.13'):
        assert (args.drop_prob1, args.drop_prob2) == (0.2, 0.5)


def test_numerical_stability_chapter_runs(tmp_path, capsys, real_data):
    assert cli.main(['run', '3.7.1', '--num-batches', '8', '--out', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert 'inf/inf = nan' in out and 'gradient is wrong' in out
    assert 'naive:  training diverged' in out  # lr 1.0 breaks the naive softmax ...
    stable = next(l for l in out.splitlines() if l.startswith('stable: epoch 1, loss '))
    assert np.isfinite(float(stable.split('loss ')[1].split(',')[0]))  # ... not the stable pair
    gap = float(out.split('max |scratch - concise| = ')[2].split()[0])
    assert gap < 1e-5
    assert '3.7.1' not in sections.training_sections()  # a demonstration, not a training chapter
