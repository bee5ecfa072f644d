"""Softmax regression from scratch: nd ops, attach_grad, hand-written softmax and loss."""
SECTION = '3.6'
DEFAULTS = dict(num_epochs=5, lr=0.1, batch_size=256)

import d2lsoftmax as d2l
from d2lsoftmax import cli, plotting
from d2lsoftmax.scratch import cross_entropy, init_params, softmax_regression

num_inputs, num_outputs = 784, 10  # 28 * 28 pixels in, 10 classes out


def model(args):
    """net, loss and the train_ch3 keywords: W ~ N(0, 0.01^2), b = 0, our own sgd."""
    W, b = init_params(num_inputs, num_outputs)  # both attach_grad()
    net = softmax_regression(W, b)  # softmax(X W + b) on flattened images
    loss = cross_entropy  # -log(y_hat[y]) via nd.pick
    return net, loss, dict(params=[W, b], lr=args.lr)


def main(argv=None):
    args = cli.chapter_parser(SECTION, __doc__, **DEFAULTS).parse_args(argv)
    d2l.set_seed(args.seed)
    train_iter, test_iter = d2l.load_data_fashion_mnist(args.batch_size)
    net, loss, how = model(args)
    records = d2l.train_ch3(net, train_iter, test_iter, loss, args.num_epochs,
                            args.batch_size, **how)
    plotting.plot_history(records, cli.out_path(args, SECTION, 'curves'), __doc__.split(':')[0])
    d2l.predict_ch3(net, test_iter, path=cli.out_path(args, SECTION, 'predictions'))
    return records


if __name__ == '__main__':
    cli.script(main)
