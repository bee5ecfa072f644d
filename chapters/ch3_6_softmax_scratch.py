"""Softmax regression from scratch: nd ops, attach_grad, hand-written softmax and loss."""
SECTION = '3.6'
DEFAULTS = dict(num_epochs=5, lr=0.1, batch_size=256)

from d2lsoftmax import cli, runs
from d2lsoftmax.scratch import cross_entropy, init_params, softmax_regression

num_inputs, num_outputs = 784, 10  # 28 * 28 pixels in, 10 classes out


def model(args):
    """net, loss and the train_ch3 keywords: W ~ N(0, 0.01^2), b = 0, our own sgd."""
    W, b = init_params(num_inputs, num_outputs)  # both attach_grad()
    net = softmax_regression(W, b)  # softmax(X W + b) on flattened images
    loss = cross_entropy  # -log(y_hat[y]) via nd.pick
    return net, loss, dict(params=[W, b], lr=args.lr)


def main(argv=None):
    """Train with the book's settings: epoch lines, curves and predictions (runs.chapter_main)."""
    return runs.chapter_main(SECTION, argv)


if __name__ == '__main__':
    cli.script(main)
