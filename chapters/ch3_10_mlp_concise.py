"""Multilayer perceptron with Gluon: Dense(256, relu), Dense(10), SoftmaxCrossEntropyLoss."""
SECTION = '3.10'
DEFAULTS = dict(num_epochs=5, lr=0.5, batch_size=256)
OPTIONS = dict(num_hiddens=256,  # --num-hiddens: width of the hidden layer
               hybridize=False)  # --hybridize: compile the net, same numbers

from d2lsoftmax import cli, runs
from d2lsoftmax.concise import mlp_net, sgd_trainer, softmax_loss

num_outputs = 10  # the input size (784) is inferred on the first batch


def model(args):
    """net, loss and the train_ch3 keywords: both Dense ~ N(0, 0.01^2), gluon's sgd."""
    net = mlp_net(args.num_hiddens, num_outputs, hybridize=args.hybridize)  # logits out
    loss = softmax_loss()  # softmax and cross-entropy fused, numerically stable
    return net, loss, dict(trainer=sgd_trainer(net, args.lr))


def main(argv=None):
    """Train with the book's settings: epoch lines, curves and predictions (runs.chapter_main)."""
    return runs.chapter_main(SECTION, argv)


if __name__ == '__main__':
    cli.script(main)
