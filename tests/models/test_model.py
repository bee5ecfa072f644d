"""The model types: a scratch and a concise model answer the same questions, each its own way."""
import numpy as np
import pytest
from mxnet import nd

from d2lsoftmax import models
from d2lsoftmax.sections import chapter, chapter_args, training_sections


def test_scratch_model_trains_with_its_params_and_lr():
    model = models.build('3.6', chapter_args('3.6', lr=0.3))
    assert isinstance(model, models.ScratchModel) and model.kind == 'scratch'
    W, b = model.params
    assert model.train_kwargs() == {'params': [W, b], 'lr': 0.3}
    assert list(model.named_params()) == ['W', 'b'] and model.named_params()['W'] is W
    assert model.param_shapes() == {'W': (784, 10), 'b': (10,)}
    (weights,) = model.layer_weights()
    assert weights.shape == (10, 784)  # as Dense holds it: one row per class
    np.testing.assert_array_equal(weights.asnumpy(), W.asnumpy().T)


def test_scratch_model_with_a_trainer_gives_it_instead_of_the_lr():
    from dataclasses import replace
    model = models.build('3.9')
    trainer = object()
    kwargs = replace(model, trainer=trainer).train_kwargs()
    assert kwargs == {'params': model.params, 'trainer': trainer}
    assert list(model.named_params()) == ['W1', 'b1', 'W2', 'b2']


def test_concise_model_trains_with_its_trainer():
    model = models.build('3.7', chapter_args('3.7', lr=0.3))
    assert isinstance(model, models.ConciseModel) and model.kind == 'concise'
    assert model.train_kwargs() == {'trainer': model.trainer}
    assert model.trainer.learning_rate == 0.3
    assert model.param_shapes() == {'0.weight': (10, 0), '0.bias': (10,)}  # 0: not inferred
    model.net(nd.zeros((1, 1, 28, 28)))
    assert {n: p.shape for n, p in model.named_params().items()} == {
        '0.weight': (10, 784), '0.bias': (10,)}
    assert [w.shape for w in model.layer_weights()] == [(10, 784)]


@pytest.mark.parametrize('section', training_sections())
def test_every_builder_gives_the_kind_its_chapter_declares(section):
    model = models.build(section)
    assert model.kind == chapter(section).kind
    assert set(model.train_kwargs()) == ({'params', 'lr'} if model.kind == 'scratch'
                                         else {'trainer'})


def test_fit_passes_the_model_in_train_ch3s_order():
    model = models.build('3.6')
    seen = model.fit(lambda *args, **kwargs: (args, kwargs), 'train', 'test', 3, 256,
                     verbose=False)
    assert seen == ((model.net, 'train', 'test', model.loss, 3, 256),
                    {'params': model.params, 'lr': model.lr, 'verbose': False})
