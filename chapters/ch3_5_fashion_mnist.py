"""Image classification data (Fashion-MNIST): sizes, labels, example images, read time."""
SECTION = '3.5'

from d2l import mxnet as d2l_book  # the book's Timer
from mxnet import nd

import d2lsoftmax as d2l
from d2lsoftmax import cli, data, plotting


def main(argv=None):
    args = cli.chapter_parser(SECTION, __doc__, batch_size=256).parse_args(argv)
    d2l.set_seed(args.seed)

    # The data set: 60000 training and 10000 test images of 28x28 grey pixels.
    mnist_train, mnist_test = data.load_arrays('train'), data.load_arrays('test')
    print('training examples:', len(mnist_train[1]), ' test examples:', len(mnist_test[1]))
    feature, label = mnist_train[0][0], mnist_train[1][0]
    print('one example:', feature.shape, feature.dtype, ' its label:', label, label.dtype)

    # Text labels of the first examples, and a picture of them.
    X, y = nd.array(mnist_train[0][:18]), nd.array(mnist_train[1][:18])
    print('labels of the first 9:', ', '.join(d2l.get_fashion_mnist_labels(y[:9].asnumpy())))
    plotting.label_grid(X.transpose((0, 3, 1, 2)), y,
                                cli.out_path(args, SECTION, 'examples'))

    # Minibatches as the book's loader gives them, and the time to read one pass.
    train_iter, test_iter = d2l.load_data_fashion_mnist(args.batch_size)
    X, y = next(iter(train_iter))
    print('a minibatch: X', X.shape, X.dtype, ' y', y.shape, y.dtype,
          ' pixel range [%.1f, %.1f]' % (X.min().asscalar(), X.max().asscalar()))
    timer = d2l_book.Timer()
    for X, y in train_iter:
        continue
    nd.waitall()  # the batches are computed asynchronously: wait before stopping the clock
    print('%.2f sec to read the training set once (%d batches)' % (timer.stop(), len(train_iter)))


if __name__ == '__main__':
    cli.script(main)
