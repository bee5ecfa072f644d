"""Softmax regression from scratch: nd ops, attach_grad, hand-written softmax and loss."""
SECTION = '3.6'

import d2lsoftmax as d2l
from d2lsoftmax import cli, plotting
from d2lsoftmax.scratch import cross_entropy, init_params, softmax_regression


def main(argv=None):
    args = cli.chapter_parser(SECTION, __doc__, num_epochs=5, lr=0.1,
                              batch_size=256).parse_args(argv)
    d2l.set_seed(args.seed)
    num_inputs, num_outputs = 784, 10  # 28 * 28 pixels in, 10 classes out

    train_iter, test_iter = d2l.load_data_fashion_mnist(args.batch_size)
    W, b = init_params(num_inputs, num_outputs)  # W ~ N(0, 0.01^2), b = 0, attach_grad
    net = softmax_regression(W, b)  # softmax(X W + b)
    loss = cross_entropy  # -log(y_hat[y]) via nd.pick

    records = d2l.train_ch3(net, train_iter, test_iter, loss, args.num_epochs,
                            args.batch_size, params=[W, b], lr=args.lr)

    plotting.plot_history(records, cli.out_path(args, SECTION, 'curves'), __doc__.split(':')[0])
    d2l.predict_ch3(net, test_iter, path=cli.out_path(args, SECTION, 'predictions'))
    return records


if __name__ == '__main__':
    cli.script(main)
