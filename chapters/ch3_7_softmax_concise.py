"""Softmax regression with Gluon: nn.Dense, SoftmaxCrossEntropyLoss and a Trainer."""
SECTION = '3.7'
DEFAULTS = dict(num_epochs=5, lr=0.1, batch_size=256)
OPTIONS = dict(hybridize=False)  # --hybridize: compile the net, same numbers

from d2lsoftmax import cli, runs
from d2lsoftmax.concise import sgd_trainer, softmax_loss, softmax_net

num_outputs = 10  # the input size (784) is inferred by nn.Dense on the first batch


def model(args):
    """net, loss and the train_ch3 keywords: Dense(10) ~ N(0, 0.01^2), gluon's sgd."""
    net = softmax_net(num_outputs, hybridize=args.hybridize)  # no softmax layer: loss takes logits
    loss = softmax_loss()  # softmax and cross-entropy fused, numerically stable
    return net, loss, dict(trainer=sgd_trainer(net, args.lr))


def main(argv=None):
    """Train with the book's settings: epoch lines, curves and predictions (runs.chapter_main)."""
    return runs.chapter_main(SECTION, argv)


if __name__ == '__main__':
    cli.script(main)
