"""The model of every training chapter, built from its arguments: (net, loss, how).

`how` holds the train_ch3 keywords: dict(params=, lr=) for a scratch model (the
book's own sgd), dict(trainer=) for a concise one (gluon's Trainer). Experiments,
search, checkpoints, evaluation and the golden tests build models here; the
chapter scripts write the same steps out in full, for reading.
"""
from mxnet.gluon import loss as gloss

from d2lsoftmax.models import concise, scratch, stable
from d2lsoftmax.sections import chapter_args

NUM_INPUTS, NUM_OUTPUTS = scratch.NUM_INPUTS, scratch.NUM_OUTPUTS  # 784 pixels, 10 classes


def softmax_scratch(args):
    """3.6: W ~ N(0, 0.01^2), b = 0; softmax(X W + b); -log(y_hat[y]) via nd.pick; sgd."""
    W, b = scratch.init_params(NUM_INPUTS, NUM_OUTPUTS)
    return (scratch.softmax_regression(W, b), scratch.cross_entropy,
            dict(params=[W, b], lr=args.lr))


def softmax_concise(args):
    """3.7: Dense(10) ~ N(0, 0.01^2) on logits, SoftmaxCrossEntropyLoss, Trainer('sgd')."""
    net = concise.softmax_net(NUM_OUTPUTS, hybridize=args.hybridize)
    return net, concise.softmax_loss(), dict(trainer=concise.sgd_trainer(net, args.lr))


def mlp_scratch(args):
    """3.9: relu(X W1 + b1) W2 + b2 with gluon's loss (or ours: stable_loss); sgd."""
    W1, b1, W2, b2 = params = scratch.init_mlp_params(NUM_INPUTS, args.num_hiddens,
                                                      NUM_OUTPUTS)
    loss = stable.cross_entropy if args.stable_loss else gloss.SoftmaxCrossEntropyLoss()
    return scratch.mlp(W1, b1, W2, b2), loss, dict(params=params, lr=args.lr)


def mlp_concise(args):
    """3.10: Dense(num_hiddens, relu), Dense(10), SoftmaxCrossEntropyLoss, Trainer('sgd')."""
    net = concise.mlp_net(args.num_hiddens, NUM_OUTPUTS, hybridize=args.hybridize)
    return net, concise.softmax_loss(), dict(trainer=concise.sgd_trainer(net, args.lr))


def dropout_scratch(args):
    """3.13: two hidden layers of num_hiddens with dropout (drop_prob1, drop_prob2); sgd."""
    params = scratch.init_dropout_params(NUM_INPUTS, args.num_hiddens, args.num_hiddens,
                                         NUM_OUTPUTS)
    net = scratch.dropout_mlp(*params, drop_prob1=args.drop_prob1, drop_prob2=args.drop_prob2)
    return net, gloss.SoftmaxCrossEntropyLoss(), dict(params=params, lr=args.lr)


def dropout_concise(args):
    """3.13 concise: the same net with nn.Dropout layers, Trainer('sgd')."""
    net = concise.dropout_net(args.num_hiddens, args.drop_prob1, args.drop_prob2,
                              NUM_OUTPUTS, hybridize=args.hybridize)
    return net, concise.softmax_loss(), dict(trainer=concise.sgd_trainer(net, args.lr))


BUILDERS = {'3.6': softmax_scratch, '3.7': softmax_concise, '3.9': mlp_scratch,
            '3.10': mlp_concise, '3.13': dropout_scratch, '3.13-concise': dropout_concise}


def build(section, args=None):
    """(net, loss, how) of chapter `section` for `args` (default: the book's settings)."""
    args = chapter_args(section) if args is None else args
    return BUILDERS[section](args)


def kind(how):
    """'scratch' when `how` holds the model's params (our own sgd), else 'concise'."""
    return 'scratch' if 'params' in how else 'concise'
