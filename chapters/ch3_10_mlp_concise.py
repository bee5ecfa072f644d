"""Multilayer perceptron with Gluon: Dense(256, relu), Dense(10), SoftmaxCrossEntropyLoss."""
SECTION = '3.10'
DEFAULTS = dict(num_epochs=5, lr=0.5, batch_size=256)
OPTIONS = dict(num_hiddens=256,  # --num-hiddens: width of the hidden layer
               hybridize=False)  # --hybridize: compile the net, same numbers

import d2lsoftmax as d2l
from d2lsoftmax import cli, plotting
from d2lsoftmax.concise import mlp_net, sgd_trainer, softmax_loss

num_outputs = 10  # the input size (784) is inferred on the first batch


def model(args):
    """net, loss and the train_ch3 keywords: both Dense ~ N(0, 0.01^2), gluon's sgd."""
    net = mlp_net(args.num_hiddens, num_outputs, hybridize=args.hybridize)  # logits out
    loss = softmax_loss()  # softmax and cross-entropy fused, numerically stable
    return net, loss, dict(trainer=sgd_trainer(net, args.lr))


def main(argv=None):
    args = cli.chapter_parser(SECTION, __doc__, options=OPTIONS, **DEFAULTS).parse_args(argv)
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
