"""Softmax regression with Gluon: nn.Dense, SoftmaxCrossEntropyLoss and a Trainer."""
SECTION = '3.7'

import d2lsoftmax as d2l
from d2lsoftmax import cli, plotting
from d2lsoftmax.concise import sgd_trainer, softmax_loss, softmax_net


def main(argv=None):
    args = cli.chapter_parser(SECTION, __doc__, num_epochs=5, lr=0.1,
                              batch_size=256).parse_args(argv)
    d2l.set_seed(args.seed)
    num_outputs = 10  # the input size (784) is inferred by nn.Dense on the first batch

    train_iter, test_iter = d2l.load_data_fashion_mnist(args.batch_size)
    net = softmax_net(num_outputs)  # Dense(10), weights ~ N(0, 0.01^2), no softmax layer
    loss = softmax_loss()  # softmax and cross-entropy fused on the logits
    trainer = sgd_trainer(net, args.lr)

    records = d2l.train_ch3(net, train_iter, test_iter, loss, args.num_epochs,
                            args.batch_size, trainer=trainer)

    plotting.plot_history(records, cli.out_path(args, SECTION, 'curves'), __doc__.split(':')[0])
    d2l.predict_ch3(net, test_iter, path=cli.out_path(args, SECTION, 'predictions'))
    return records


if __name__ == '__main__':
    cli.script(main)
