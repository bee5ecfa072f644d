"""The book's code runs with one changed line: `import d2lsoftmax as d2l` for `import d2lzh as d2l`.

Each program below is written the way the book's 3.6 / 3.7 sections use d2lzh
(same names, same positional signatures, the book's own train_ch3 loop in 3.6),
run as a fresh Python process with the Agg backend, 1 epoch.
"""
import os
import subprocess
import sys

import pytest

from chapter_runs import seed0_records
from d2lsoftmax.training import EPOCH_LINE

SEEDING = 'import random, numpy, mxnet\nrandom.seed(0); numpy.random.seed(0); mxnet.random.seed(0)\n'

SCRATCH_3_6 = '''
import d2lzh as d2l
from mxnet import autograd, nd

batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
num_inputs, num_outputs = 784, 10
W = nd.random.normal(scale=0.01, shape=(num_inputs, num_outputs))
b = nd.zeros(num_outputs)
W.attach_grad()
b.attach_grad()

def softmax(X):
    X_exp = X.exp()
    return X_exp / X_exp.sum(axis=1, keepdims=True)

def net(X):
    return softmax(nd.dot(X.reshape((-1, num_inputs)), W) + b)

def cross_entropy(y_hat, y):
    return -nd.pick(y_hat, y).log()

def evaluate_accuracy(data_iter, net):
    acc_sum, n = 0.0, 0
    for X, y in data_iter:
        y = y.astype('float32')
        acc_sum += (net(X).argmax(axis=1) == y).sum().asscalar()
        n += y.size
    return acc_sum / n

def train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size,
              params=None, lr=None, trainer=None):
    for epoch in range(num_epochs):
        train_l_sum, train_acc_sum, n = 0.0, 0.0, 0
        for X, y in train_iter:
            with autograd.record():
                y_hat = net(X)
                l = loss(y_hat, y).sum()
            l.backward()
            if trainer is None:
                d2l.sgd(params, lr, batch_size)
            else:
                trainer.step(batch_size)
            y = y.astype('float32')
            train_l_sum += l.asscalar()
            train_acc_sum += (y_hat.argmax(axis=1) == y).sum().asscalar()
            n += y.size
        test_acc = evaluate_accuracy(test_iter, net)
        print('epoch %d, loss %.4f, train acc %.3f, test acc %.3f'
              % (epoch + 1, train_l_sum / n, train_acc_sum / n, test_acc))

num_epochs, lr = 1, 0.1
train_ch3(net, train_iter, test_iter, cross_entropy, num_epochs, batch_size, [W, b], lr)

for X, y in test_iter:
    break
true_labels = d2l.get_fashion_mnist_labels(y.asnumpy())
pred_labels = d2l.get_fashion_mnist_labels(net(X).argmax(axis=1).asnumpy())
titles = [true + '\\n' + pred for true, pred in zip(true_labels, pred_labels)]
d2l.show_fashion_mnist(X[0:9], titles[0:9])
d2l.plt.show()
print('library evaluate_accuracy %.4f' % d2l.evaluate_accuracy(test_iter, net))
'''

CONCISE_3_7 = '''
import d2lzh as d2l
from mxnet import gluon, init
from mxnet.gluon import loss as gloss, nn

batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
net = nn.Sequential()
net.add(nn.Dense(10))
net.initialize(init.Normal(sigma=0.01))
loss = gloss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
num_epochs = 1
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, None, None, trainer)
d2l.plt.show()
'''


def run_book_code(code, tmp_path):
    """Run `code` with its import line changed, as a reader would; return stdout."""
    assert code.count('import d2lzh as d2l') == 1
    script = tmp_path / 'book.py'
    script.write_text(SEEDING + code.replace('import d2lzh as d2l', 'import d2lsoftmax as d2l'))
    env = {k: v for k, v in os.environ.items() if k != 'DISPLAY'}
    env['MPLBACKEND'] = 'Agg'
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert '<Figure' not in done.stdout
    return done.stdout.splitlines()


@pytest.mark.parametrize('section, code', [('3.6', SCRATCH_3_6), ('3.7', CONCISE_3_7)],
                         ids=['3.6', '3.7'])
def test_book_code_runs_with_only_the_import_changed(section, code, tmp_path):
    lines = run_book_code(code, tmp_path)
    # Same seed, same data order, same model: the book's loop prints our first epoch.
    assert lines[0] == EPOCH_LINE % seed0_records(section)[0]
    if section == '3.6':
        test_acc = seed0_records(section)[0].test_acc
        assert lines[1] == 'library evaluate_accuracy %.4f' % test_acc
