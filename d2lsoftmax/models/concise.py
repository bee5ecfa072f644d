"""Softmax regression with Gluon (book section 3.7): `nn.Dense`, its loss and `Trainer`."""
from mxnet import gluon, init
from mxnet.gluon import loss as gloss, nn

from d2lsoftmax.models.scratch import NUM_HIDDENS, NUM_INPUTS, NUM_OUTPUTS, check_input


def check_input_hook(num_inputs):
    """A forward pre-hook that gives a clear error for wrongly shaped input."""
    def hook(block, inputs):
        check_input(inputs[0], num_inputs)
    return hook


def softmax_net(num_outputs=NUM_OUTPUTS, sigma=0.01, num_inputs=NUM_INPUTS, hybridize=False):
    """nn.Sequential(Dense(num_outputs)) with weights N(0, sigma^2), initialized.

    No softmax layer: SoftmaxCrossEntropyLoss takes the logits (numerically stable).
    hybridize=True compiles it (see `sequential`); the numbers stay the same.
    """
    net = sequential(hybridize)
    net.add(nn.Dense(num_outputs))
    return finish_net(net, sigma, num_inputs, hybridize)


def softmax_loss():
    """The book's loss: softmax and cross-entropy fused, per example (not averaged)."""
    return gloss.SoftmaxCrossEntropyLoss()


def sgd_trainer(net, lr):
    """gluon.Trainer with plain SGD; step(batch_size) divides the summed gradient by b."""
    return gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})


# ------------------------------------------------------------ hybridize switch

def sequential(hybridize=False):
    """nn.Sequential, or nn.HybridSequential when the net is to be hybridized.

    Only a HybridSequential compiles as one graph; a hybridized nn.Sequential would
    compile each layer alone and warn. Both hold the same layers and parameters.
    """
    return nn.HybridSequential() if hybridize else nn.Sequential()


def finish_net(net, sigma=0.01, num_inputs=NUM_INPUTS, hybridize=False):
    """Initialize `net` with N(0, sigma^2) weights, add the input check, hybridize if asked."""
    net.initialize(init.Normal(sigma=sigma))
    if hybridize:
        net.hybridize()  # traced into a graph at the first call, then run as one op
    net.register_forward_pre_hook(check_input_hook(num_inputs))  # after: gluon warns before
    return net


# ------------------------------------------ multilayer perceptron (book section 3.10)

def mlp_net(num_hiddens=NUM_HIDDENS, num_outputs=NUM_OUTPUTS, sigma=0.01,
            num_inputs=NUM_INPUTS, hybridize=False):
    """Dense(num_hiddens, relu) then Dense(num_outputs), weights N(0, sigma^2): logits out."""
    net = sequential(hybridize)
    net.add(nn.Dense(num_hiddens, activation='relu'),  # (batch_size, num_hiddens)
            nn.Dense(num_outputs))  # (batch_size, num_outputs), no softmax layer
    return finish_net(net, sigma, num_inputs, hybridize)


# ------------------------------------------------------------ dropout (book section 3.13)

def dropout_net(num_hiddens=NUM_HIDDENS, drop_prob1=0.2, drop_prob2=0.5,
                num_outputs=NUM_OUTPUTS, sigma=0.01, num_inputs=NUM_INPUTS, hybridize=False):
    """Dense(256, relu), Dropout, Dense(256, relu), Dropout, Dense(10): the book's 3.13 net.

    nn.Dropout drops only while training (inside autograd.record()).
    """
    net = sequential(hybridize)
    net.add(nn.Dense(num_hiddens, activation='relu'), nn.Dropout(drop_prob1),
            nn.Dense(num_hiddens, activation='relu'), nn.Dropout(drop_prob2),
            nn.Dense(num_outputs))
    return finish_net(net, sigma, num_inputs, hybridize)
