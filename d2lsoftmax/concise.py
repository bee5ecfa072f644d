"""Softmax regression with Gluon (book section 3.7): `nn.Dense`, its loss and `Trainer`."""
from mxnet import gluon, init
from mxnet.gluon import loss as gloss, nn

from .scratch import NUM_INPUTS, NUM_OUTPUTS, check_input


def check_input_hook(num_inputs):
    """A forward pre-hook that gives a clear error for wrongly shaped input."""
    def hook(block, inputs):
        check_input(inputs[0], num_inputs)
    return hook


def softmax_net(num_outputs=NUM_OUTPUTS, sigma=0.01, num_inputs=NUM_INPUTS):
    """nn.Sequential(Dense(num_outputs)) with weights N(0, sigma^2), initialized.

    No softmax layer: SoftmaxCrossEntropyLoss takes the logits (numerically stable).
    """
    net = nn.Sequential()
    net.add(nn.Dense(num_outputs))
    net.initialize(init.Normal(sigma=sigma))
    net.register_forward_pre_hook(check_input_hook(num_inputs))
    return net


def softmax_loss():
    """The book's loss: softmax and cross-entropy fused, per example (not averaged)."""
    return gloss.SoftmaxCrossEntropyLoss()


def sgd_trainer(net, lr):
    """gluon.Trainer with plain SGD; step(batch_size) divides the summed gradient by b."""
    return gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
