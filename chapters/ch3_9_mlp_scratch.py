"""Multilayer perceptron from scratch: W1, b1, W2, b2, a hand-written relu, gluon's loss."""
SECTION = '3.9'
DEFAULTS = dict(num_epochs=5, lr=0.5, batch_size=256)
OPTIONS = dict(num_hiddens=256,  # --num-hiddens: width of the hidden layer
               stable_loss=False)  # --stable-loss: our LogSumExp cross-entropy

from mxnet.gluon import loss as gloss

from d2lsoftmax import cli, runs, stable
from d2lsoftmax.scratch import init_mlp_params, mlp

num_inputs, num_outputs = 784, 10  # 28 * 28 pixels in, 10 classes out


def model(args):
    """net, loss and the train_ch3 keywords: W ~ N(0, 0.01^2), b = 0, our own sgd."""
    W1, b1, W2, b2 = params = init_mlp_params(num_inputs, args.num_hiddens, num_outputs)
    net = mlp(W1, b1, W2, b2)  # relu(X W1 + b1) W2 + b2: logits
    # The book uses gluon's loss here for its numerical stability; --stable-loss uses
    # ours (d2lsoftmax.stable, section 3.7.1), which computes the same thing.
    loss = stable.cross_entropy if args.stable_loss else gloss.SoftmaxCrossEntropyLoss()
    return net, loss, dict(params=params, lr=args.lr)


def main(argv=None):
    """Train with the book's settings: epoch lines, curves and predictions (runs.chapter_main)."""
    return runs.chapter_main(SECTION, argv)


if __name__ == '__main__':
    cli.script(main)
