"""The model of every training chapter, built from its arguments: a ScratchModel or a ConciseModel.

Both hold the net and its loss and answer the same questions: what they are (`kind`),
what train_ch3 takes to train them (`train_kwargs`: params= and lr= for the book's own
sgd, trainer= for gluon's Trainer), their parameters by the names their files use, and
how those files are written and read back. Experiments, search, checkpoints, evaluation
and the golden tests build models here; the chapter scripts write the same steps out in
full, for reading.
"""
import io
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

import numpy as np
from mxnet import nd
from mxnet.gluon import loss as gloss

from d2lsoftmax.models import concise, scratch, stable
from d2lsoftmax.sections import chapter_args, training_chapter

NUM_INPUTS, NUM_OUTPUTS = scratch.NUM_INPUTS, scratch.NUM_OUTPUTS  # 784 pixels, 10 classes


@dataclass(frozen=True, eq=False)
class Model:
    """A chapter's net and loss; a subclass says how train_ch3 updates the parameters."""
    net: Callable
    loss: Callable
    kind: ClassVar[str]  # 'scratch' or 'concise', as the chapter table declares it

    def fit(self, train, train_iter, test_iter, num_epochs, batch_size, **kwargs):
        """Run `train` (train_ch3, or a function of its signature) on this model."""
        return train(self.net, train_iter, test_iter, self.loss, num_epochs, batch_size,
                     **self.train_kwargs(), **kwargs)

    def param_shapes(self):
        """{name: shape} the model needs; 0 marks a size Gluon has not inferred yet."""
        return {name: p.shape for name, p in self.named_params().items()}


@dataclass(frozen=True, eq=False)
class ScratchModel(Model):
    """A model of plain NDArrays, trained by the book's sgd(params, lr, batch_size)."""
    params: list  # [W, b] or [W1, b1, W2, b2, ...], each with attach_grad
    lr: float
    trainer: Any = None  # schedules.ScratchSGD when the lr decays: it steps the params then
    kind: ClassVar[str] = 'scratch'

    def train_kwargs(self):
        """train_ch3's keywords: params and lr, or params and the trainer that steps them."""
        if self.trainer is None:
            return dict(params=self.params, lr=self.lr)
        return dict(params=self.params, trainer=self.trainer)

    def named_params(self):
        """{name: NDArray}: W, b for one layer, else W1, b1, W2, ... (scratch_names)."""
        return dict(zip(scratch_names(self.params), self.params))

    def layer_weights(self):
        """Each layer's weights as (outputs, inputs); scratch W is (inputs, outputs)."""
        return [p.T for p in self.params if p.ndim >= 2]

    def save_params(self, path):
        """Write the parameters to `path` as NumPy .npz, composed in memory first: a zip
        archive cut short by a full disk would complain again when it is collected."""
        buffer = io.BytesIO()
        np.savez(buffer, **{n: p.asnumpy() for n, p in self.named_params().items()})
        with open(path, 'wb') as f:
            f.write(buffer.getbuffer())

    def load_params(self, path, arrays):
        """Copy `arrays` ({name: array}, read from `path`, checked to fit) into the params."""
        for name, param in self.named_params().items():
            param[:] = nd.array(arrays[name], dtype=param.dtype)


@dataclass(frozen=True, eq=False)
class ConciseModel(Model):
    """A Gluon net trained by a gluon Trainer (or an optimizers.make_trainer one)."""
    trainer: Any
    kind: ClassVar[str] = 'concise'

    def train_kwargs(self):
        """train_ch3's keyword: the trainer."""
        return dict(trainer=self.trainer)

    def named_params(self):
        """{name: NDArray} by the structural names ('0.weight', ...) save_parameters writes."""
        return {name: p.data() for name, p in self._gluon_params().items()}

    def param_shapes(self):
        """{name: shape}; 0 marks a size Gluon has not inferred yet (no data() before that)."""
        return {name: p.shape for name, p in self._gluon_params().items()}

    def layer_weights(self):
        """Each layer's weights as (outputs, inputs), as Dense holds them."""
        return [p for p in self.named_params().values() if p.ndim >= 2]

    def save_params(self, path):
        """Write the parameters to `path` with Gluon's save_parameters."""
        self.net.save_parameters(path)

    def load_params(self, path, arrays):
        """Load `path` (whose `arrays` were checked to fit) with Gluon's load_parameters."""
        self.net.load_parameters(path)

    def _gluon_params(self):
        return self.net._collect_params_with_prefix()


def scratch_names(params):
    """Names of a scratch model's params in order: W, b for one layer, else W1, b1, W2, ..."""
    weights = sum(p.ndim >= 2 for p in params)
    names, layer = [], 0
    for p in params:
        if p.ndim >= 2:
            layer += 1
        letter = 'W' if p.ndim >= 2 else 'b'
        names.append(letter if weights == 1 else f'{letter}{max(layer, 1)}')
    if len(set(names)) != len(names):  # not weight/bias pairs: fall back to positions
        names = [f'param{i}' for i in range(len(params))]
    return names


def softmax_scratch(args):
    """3.6: W ~ N(0, 0.01^2), b = 0; softmax(X W + b); -log(y_hat[y]) via nd.pick; sgd."""
    W, b = scratch.init_params(NUM_INPUTS, NUM_OUTPUTS)
    return ScratchModel(scratch.softmax_regression(W, b), scratch.cross_entropy, [W, b], args.lr)


def softmax_concise(args):
    """3.7: Dense(10) ~ N(0, 0.01^2) on logits, SoftmaxCrossEntropyLoss, Trainer('sgd')."""
    net = concise.softmax_net(NUM_OUTPUTS, hybridize=args.hybridize)
    return ConciseModel(net, concise.softmax_loss(), concise.sgd_trainer(net, args.lr))


def mlp_scratch(args):
    """3.9: relu(X W1 + b1) W2 + b2 with gluon's loss (or ours: stable_loss); sgd."""
    W1, b1, W2, b2 = params = scratch.init_mlp_params(NUM_INPUTS, args.num_hiddens,
                                                      NUM_OUTPUTS)
    loss = stable.cross_entropy if args.stable_loss else gloss.SoftmaxCrossEntropyLoss()
    return ScratchModel(scratch.mlp(W1, b1, W2, b2), loss, params, args.lr)


def mlp_concise(args):
    """3.10: Dense(num_hiddens, relu), Dense(10), SoftmaxCrossEntropyLoss, Trainer('sgd')."""
    net = concise.mlp_net(args.num_hiddens, NUM_OUTPUTS, hybridize=args.hybridize)
    return ConciseModel(net, concise.softmax_loss(), concise.sgd_trainer(net, args.lr))


def dropout_scratch(args):
    """3.13: two hidden layers of num_hiddens with dropout (drop_prob1, drop_prob2); sgd."""
    params = scratch.init_dropout_params(NUM_INPUTS, args.num_hiddens, args.num_hiddens,
                                         NUM_OUTPUTS)
    net = scratch.dropout_mlp(*params, drop_prob1=args.drop_prob1, drop_prob2=args.drop_prob2)
    return ScratchModel(net, gloss.SoftmaxCrossEntropyLoss(), params, args.lr)


def dropout_concise(args):
    """3.13 concise: the same net with nn.Dropout layers, Trainer('sgd')."""
    net = concise.dropout_net(args.num_hiddens, args.drop_prob1, args.drop_prob2,
                              NUM_OUTPUTS, hybridize=args.hybridize)
    return ConciseModel(net, concise.softmax_loss(), concise.sgd_trainer(net, args.lr))


def builder(section):
    """The function above that builds chapter `section`'s model: its record names it."""
    return globals()[training_chapter(section).model]


def build(section, args=None):
    """Chapter `section`'s ScratchModel or ConciseModel for `args` (default: the book's)."""
    args = chapter_args(section) if args is None else args
    return builder(section)(args)

