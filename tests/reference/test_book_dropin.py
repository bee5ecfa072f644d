"""The book's chapter 3 runs with one changed line: `import d2lsoftmax as d2l` for d2lzh.

Every section of chapter 3 that has code (3.1, 3.2, 3.3, 3.5, 3.6, 3.7, 3.8, 3.9,
3.10, 3.11, 3.12, 3.13, 3.16) is represented by a short program written the way
the book uses d2lzh: the same names, positional signatures and return values
(our reconstruction of the calls, not the book's text). Each runs twice in this
process on the same tiny data, 1 epoch: once with d2lsoftmax and once with d2lzh
itself, and must print the same lines. Two shims let d2lzh run here at all:
IPython 9 removed the `set_matplotlib_formats` its plotting calls, and gluon's
mirror is offline, so its Fashion-MNIST loader is ours (whose batches equal
gluon's: tests/test_data_*). The 3.6 and 3.7 programs also run once as a fresh
process on the real data, against the library's epoch lines.
"""
import os
import subprocess
import sys

import pytest

from support.chapter_runs import seed0_records
from d2lsoftmax.training import EPOCH_LINE

SEEDING = ('import random, numpy, mxnet\n'
           'random.seed(0); numpy.random.seed(0); mxnet.random.seed(0)\n')

BOOK_3_1 = '''
import d2lzh as d2l
from time import time
from mxnet import nd

a, b = nd.ones(shape=200), nd.ones(shape=200)
start = time()
c = nd.zeros(shape=200)
for i in range(200):
    c[i] = a[i] + b[i]
print('element by element: %f sec' % (time() - start))
start = time()
d = a + b
print('vectorized: %f sec' % (time() - start))
print('same result', (c == d).min().asscalar())
print('broadcast', (nd.ones(shape=3) + 10).asnumpy())
'''

SYNTHETIC_LINEAR_DATA = '''
num_inputs, num_examples = 2, 1000
true_w, true_b = [2, -3.4], 4.2
features = nd.random.normal(scale=1, shape=(num_examples, num_inputs))
labels = true_w[0] * features[:, 0] + true_w[1] * features[:, 1] + true_b
labels += nd.random.normal(scale=0.01, shape=labels.shape)
'''

BOOK_3_2 = '''
import d2lzh as d2l
from mxnet import autograd, nd
''' + SYNTHETIC_LINEAR_DATA + '''
print('set_figsize returns', d2l.set_figsize())
d2l.plt.scatter(features[:, 1].asnumpy(), labels.asnumpy(), 1)

batch_size = 10
for X, y in d2l.data_iter(batch_size, features, labels):
    print('first batch', X.asnumpy()[0], y.asnumpy()[0])
    break

w = nd.random.normal(scale=0.01, shape=(num_inputs, 1))
b = nd.zeros(shape=(1,))
w.attach_grad()
b.attach_grad()
lr, num_epochs = 0.03, 3
net, loss = d2l.linreg, d2l.squared_loss
for epoch in range(num_epochs):
    for X, y in d2l.data_iter(batch_size, features, labels):
        with autograd.record():
            l = loss(net(X, w, b), y)
        l.backward()
        d2l.sgd([w, b], lr, batch_size)
    train_l = loss(net(features, w, b), labels)
    print('epoch %d, loss %f' % (epoch + 1, train_l.mean().asscalar()))
print('learned w', w.reshape((-1,)).asnumpy(), 'b', b.asnumpy())
'''

BOOK_3_3 = '''
import d2lzh as d2l
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import data as gdata, loss as gloss, nn
''' + SYNTHETIC_LINEAR_DATA + '''
batch_size = 10
data_iter = gdata.DataLoader(gdata.ArrayDataset(features, labels), batch_size, shuffle=True)
net = nn.Sequential()
net.add(nn.Dense(1))
net.initialize(init.Normal(sigma=0.01))
loss = gloss.L2Loss()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.03})
for epoch in range(1, 4):
    for X, y in data_iter:
        with autograd.record():
            l = loss(net(X), y)
        l.backward()
        trainer.step(batch_size)
    print('epoch %d, loss: %f' % (epoch, loss(net(features), labels).mean().asscalar()))
print('learned w', net[0].weight.data().asnumpy(), 'b', net[0].bias.data().asnumpy())
'''

BOOK_3_5 = '''
import d2lzh as d2l
import time

print('use_svg_display returns', d2l.use_svg_display())
batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
X, y = next(iter(train_iter))
print('a batch', X.shape, X.dtype, y.shape, y.dtype)
labels = d2l.get_fashion_mnist_labels(y[:9].asnumpy())
print('labels', labels)
print('show_fashion_mnist returns', d2l.show_fashion_mnist(X[:9], labels))
d2l.plt.show()
start = time.time()
for X, y in train_iter:
    continue
print('%.2f sec per pass' % (time.time() - start))
'''

BOOK_3_6 = '''
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

BOOK_3_7 = '''
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

BOOK_3_8 = '''
import d2lzh as d2l
from mxnet import autograd, nd

def xyplot(x_vals, y_vals, name):
    d2l.set_figsize(figsize=(5, 2.5))
    d2l.plt.plot(x_vals.asnumpy(), y_vals.asnumpy())
    d2l.plt.xlabel('x')
    d2l.plt.ylabel(name + '(x)')

x = nd.arange(-8.0, 8.0, 0.1)
x.attach_grad()
for name in ('relu', 'sigmoid', 'tanh'):
    with autograd.record():
        y = getattr(x, name)()
    xyplot(x, y, name)
    y.backward()
    xyplot(x, x.grad, 'grad of ' + name)
    print(name, 'sum %.4f, sum of grad %.4f' % (y.sum().asscalar(), x.grad.sum().asscalar()))
'''

BOOK_3_9 = '''
import d2lzh as d2l
from mxnet import nd
from mxnet.gluon import loss as gloss

batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
num_inputs, num_outputs, num_hiddens = 784, 10, 256
W1 = nd.random.normal(scale=0.01, shape=(num_inputs, num_hiddens))
b1 = nd.zeros(num_hiddens)
W2 = nd.random.normal(scale=0.01, shape=(num_hiddens, num_outputs))
b2 = nd.zeros(num_outputs)
params = [W1, b1, W2, b2]
for param in params:
    param.attach_grad()

def relu(X):
    return nd.maximum(X, 0)

def net(X):
    X = X.reshape((-1, num_inputs))
    H = relu(nd.dot(X, W1) + b1)
    return nd.dot(H, W2) + b2

loss = gloss.SoftmaxCrossEntropyLoss()
num_epochs, lr = 1, 0.5
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, params, lr)
'''

BOOK_3_10 = '''
import d2lzh as d2l
from mxnet import gluon, init
from mxnet.gluon import loss as gloss, nn

net = nn.Sequential()
net.add(nn.Dense(256, activation='relu'), nn.Dense(10))
net.initialize(init.Normal(sigma=0.01))
batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
loss = gloss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
num_epochs = 1
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, None, None, trainer)
'''

BOOK_3_11 = '''
import d2lzh as d2l
from mxnet import autograd, gluon, nd
from mxnet.gluon import data as gdata, loss as gloss, nn

n_train, n_test, true_w, true_b = 100, 100, [1.2, -3.4, 5.6], 5
features = nd.random.normal(shape=(n_train + n_test, 1))
poly_features = nd.concat(features, nd.power(features, 2), nd.power(features, 3))
labels = (true_w[0] * poly_features[:, 0] + true_w[1] * poly_features[:, 1]
          + true_w[2] * poly_features[:, 2] + true_b)
labels += nd.random.normal(scale=0.1, shape=labels.shape)
num_epochs, loss = 10, gloss.L2Loss()

def fit_and_plot(train_features, test_features, train_labels, test_labels):
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize()
    batch_size = min(10, train_labels.shape[0])
    train_iter = gdata.DataLoader(gdata.ArrayDataset(train_features, train_labels),
                                  batch_size, shuffle=True)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.01})
    train_ls, test_ls = [], []
    for _ in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(batch_size)
        train_ls.append(loss(net(train_features), train_labels).mean().asscalar())
        test_ls.append(loss(net(test_features), test_labels).mean().asscalar())
    print('final epoch: train loss', train_ls[-1], 'test loss', test_ls[-1])
    print('semilogy returns', d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
                                           range(1, num_epochs + 1), test_ls, ['train', 'test']))
    print('weight', net[0].weight.data().asnumpy(), 'bias', net[0].bias.data().asnumpy())

fit_and_plot(poly_features[:n_train, :], poly_features[n_train:, :], labels[:n_train],
             labels[n_train:])  # the right model
fit_and_plot(features[:n_train, :], features[n_train:, :], labels[:n_train],
             labels[n_train:])  # too simple: underfits
fit_and_plot(poly_features[0:2, :], poly_features[n_train:, :], labels[0:2],
             labels[n_train:])  # too little data: overfits
'''

BOOK_3_12 = '''
import d2lzh as d2l
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import data as gdata, loss as gloss, nn

n_train, n_test, num_inputs = 20, 100, 200
true_w, true_b = nd.ones((num_inputs, 1)) * 0.01, 0.05
features = nd.random.normal(shape=(n_train + n_test, num_inputs))
labels = nd.dot(features, true_w) + true_b
labels += nd.random.normal(scale=0.01, shape=labels.shape)
train_features, test_features = features[:n_train, :], features[n_train:, :]
train_labels, test_labels = labels[:n_train], labels[n_train:]

def init_params():
    w = nd.random.normal(scale=1, shape=(num_inputs, 1))
    b = nd.zeros(shape=(1,))
    w.attach_grad()
    b.attach_grad()
    return [w, b]

def l2_penalty(w):
    return (w ** 2).sum() / 2

batch_size, num_epochs, lr = 1, 10, 0.003
net, loss = d2l.linreg, d2l.squared_loss
train_iter = gdata.DataLoader(gdata.ArrayDataset(train_features, train_labels), batch_size,
                              shuffle=True)

def fit_and_plot(lambd):
    w, b = init_params()
    train_ls, test_ls = [], []
    for _ in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                l = loss(net(X, w, b), y) + lambd * l2_penalty(w)
            l.backward()
            d2l.sgd([w, b], lr, batch_size)
        train_ls.append(loss(net(train_features, w, b), train_labels).mean().asscalar())
        test_ls.append(loss(net(test_features, w, b), test_labels).mean().asscalar())
    d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
                 range(1, num_epochs + 1), test_ls, ['train', 'test'])
    print('lambd', lambd, 'train loss', train_ls[-1], 'test loss', test_ls[-1],
          'L2 norm of w', w.norm().asscalar())

def fit_and_plot_gluon(wd):
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize(init.Normal(sigma=1))
    trainer_w = gluon.Trainer(net.collect_params('.*weight'), 'sgd',
                              {'learning_rate': lr, 'wd': wd})
    trainer_b = gluon.Trainer(net.collect_params('.*bias'), 'sgd', {'learning_rate': lr})
    train_ls, test_ls = [], []
    for _ in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer_w.step(batch_size)
            trainer_b.step(batch_size)
        train_ls.append(loss(net(train_features), train_labels).mean().asscalar())
        test_ls.append(loss(net(test_features), test_labels).mean().asscalar())
    d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
                 range(1, num_epochs + 1), test_ls, ['train', 'test'])
    print('wd', wd, 'L2 norm of w', net[0].weight.data().norm().asscalar())

fit_and_plot(lambd=0)
fit_and_plot(lambd=3)
fit_and_plot_gluon(0)
fit_and_plot_gluon(3)
'''

BOOK_3_13 = '''
import d2lzh as d2l
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn

def dropout(X, drop_prob):
    assert 0 <= drop_prob <= 1
    keep_prob = 1 - drop_prob
    if keep_prob == 0:
        return X.zeros_like()
    mask = nd.random.uniform(0, 1, X.shape) < keep_prob
    return mask * X / keep_prob

X = nd.arange(16).reshape((2, 8))
print(dropout(X, 0).asnumpy(), dropout(X, 0.5).asnumpy(), dropout(X, 1).asnumpy())

num_inputs, num_outputs, num_hiddens1, num_hiddens2 = 784, 10, 256, 256
W1 = nd.random.normal(scale=0.01, shape=(num_inputs, num_hiddens1))
b1 = nd.zeros(num_hiddens1)
W2 = nd.random.normal(scale=0.01, shape=(num_hiddens1, num_hiddens2))
b2 = nd.zeros(num_hiddens2)
W3 = nd.random.normal(scale=0.01, shape=(num_hiddens2, num_outputs))
b3 = nd.zeros(num_outputs)
params = [W1, b1, W2, b2, W3, b3]
for param in params:
    param.attach_grad()
drop_prob1, drop_prob2 = 0.2, 0.5

def net(X):
    X = X.reshape((-1, num_inputs))
    H1 = (nd.dot(X, W1) + b1).relu()
    if autograd.is_training():
        H1 = dropout(H1, drop_prob1)
    H2 = (nd.dot(H1, W2) + b2).relu()
    if autograd.is_training():
        H2 = dropout(H2, drop_prob2)
    return nd.dot(H2, W3) + b3

num_epochs, lr, batch_size = 1, 0.5, 256
loss = gloss.SoftmaxCrossEntropyLoss()
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, params, lr)

net = nn.Sequential()
net.add(nn.Dense(256, activation='relu'), nn.Dropout(drop_prob1),
        nn.Dense(256, activation='relu'), nn.Dropout(drop_prob2), nn.Dense(10))
net.initialize(init.Normal(sigma=0.01))
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, None, None, trainer)
'''

BOOK_3_16 = '''
import d2lzh as d2l
import numpy as np
import pandas as pd
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import data as gdata, loss as gloss, nn

# A tiny random stand-in for Kaggle's train.csv / test.csv: numbers, categories, gaps.
rng = np.random.RandomState(0)
def house_frame(n, with_price):
    frame = pd.DataFrame({'Id': np.arange(n), 'LotArea': rng.uniform(1e3, 2e4, n),
                          'YearBuilt': rng.randint(1900, 2010, n),
                          'MSZoning': rng.choice(['RL', 'RM', 'FV'], n),
                          'Street': rng.choice(['Pave', 'Grvl'], n)})
    frame.loc[::7, 'LotArea'] = np.nan
    frame.loc[::5, 'MSZoning'] = None
    if with_price:
        frame['SalePrice'] = rng.uniform(5e4, 4e5, n)
    return frame
train_data, test_data = house_frame(60, True), house_frame(20, False)

all_features = pd.concat((train_data.iloc[:, 1:-1], test_data.iloc[:, 1:]))
numeric_features = all_features.dtypes[all_features.dtypes != 'object'].index
all_features[numeric_features] = all_features[numeric_features].apply(
    lambda x: (x - x.mean()) / (x.std()))
all_features[numeric_features] = all_features[numeric_features].fillna(0)
all_features = pd.get_dummies(all_features, dummy_na=True).astype('float32')
n_train = train_data.shape[0]
train_features = nd.array(all_features[:n_train].values)
test_features = nd.array(all_features[n_train:].values)
train_labels = nd.array(train_data.SalePrice.values).reshape((-1, 1))

loss = gloss.L2Loss()

def get_net():
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize()
    return net

def log_rmse(net, features, labels):
    clipped_preds = nd.clip(net(features), 1, float('inf'))  # log needs positive prices
    return nd.sqrt(2 * loss(clipped_preds.log(), labels.log()).mean()).asscalar()

def train(net, train_features, train_labels, test_features, test_labels,
          num_epochs, learning_rate, weight_decay, batch_size):
    train_ls, test_ls = [], []
    train_iter = gdata.DataLoader(gdata.ArrayDataset(train_features, train_labels),
                                  batch_size, shuffle=True)
    trainer = gluon.Trainer(net.collect_params(), 'adam',
                            {'learning_rate': learning_rate, 'wd': weight_decay})
    for epoch in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(batch_size)
        train_ls.append(log_rmse(net, train_features, train_labels))
        if test_labels is not None:
            test_ls.append(log_rmse(net, test_features, test_labels))
    return train_ls, test_ls

def get_k_fold_data(k, i, X, y):
    size = X.shape[0] // k
    parts = [(X[j * size:(j + 1) * size, :], y[j * size:(j + 1) * size]) for j in range(k)]
    X_valid, y_valid = parts[i]
    rest = [part for j, part in enumerate(parts) if j != i]
    return (nd.concat(*[p[0] for p in rest], dim=0), nd.concat(*[p[1] for p in rest], dim=0),
            X_valid, y_valid)

def k_fold(k, X_train, y_train, num_epochs, learning_rate, weight_decay, batch_size):
    train_l_sum, valid_l_sum = 0, 0
    for i in range(k):
        net = get_net()
        train_ls, valid_ls = train(net, *get_k_fold_data(k, i, X_train, y_train),
                                   num_epochs, learning_rate, weight_decay, batch_size)
        train_l_sum += train_ls[-1]
        valid_l_sum += valid_ls[-1]
        if i == 0:
            d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'rmse',
                         range(1, num_epochs + 1), valid_ls, ['train', 'valid'])
        print('fold %d, train rmse %f, valid rmse %f' % (i, train_ls[-1], valid_ls[-1]))
    return train_l_sum / k, valid_l_sum / k

k, num_epochs, lr, weight_decay, batch_size = 3, 5, 5, 0, 16
train_l, valid_l = k_fold(k, train_features, train_labels, num_epochs, lr, weight_decay,
                          batch_size)
print('%d-fold validation: avg train rmse %f, avg valid rmse %f' % (k, train_l, valid_l))

net = get_net()
train_ls, _ = train(net, train_features, train_labels, None, None, num_epochs, lr,
                    weight_decay, batch_size)
d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'rmse')
print('train rmse %f' % train_ls[-1])
test_data['SalePrice'] = pd.Series(net(test_features).asnumpy().reshape(-1))
pd.concat([test_data['Id'], test_data['SalePrice']], axis=1).to_csv('submission.csv', index=False)
print('submission rows', len(pd.read_csv('submission.csv')))
'''

CHAPTER_3 = {'3.1': BOOK_3_1, '3.2': BOOK_3_2, '3.3': BOOK_3_3, '3.5': BOOK_3_5, '3.6': BOOK_3_6,
             '3.7': BOOK_3_7, '3.8': BOOK_3_8, '3.9': BOOK_3_9, '3.10': BOOK_3_10,
             '3.11': BOOK_3_11, '3.12': BOOK_3_12, '3.13': BOOK_3_13, '3.16': BOOK_3_16}
EPOCH_SECTIONS = {'3.2', '3.3', '3.6', '3.7', '3.9', '3.10', '3.13'}  # print epoch lines


def as_ours(code):
    """The program with its one import line changed, as a reader would change it."""
    assert code.count('import d2lzh as d2l') == 1
    return code.replace('import d2lzh as d2l', 'import d2lsoftmax as d2l')


def comparable(out):
    """The printed lines, minus those that time something (they differ run to run)."""
    return [line for line in out.splitlines() if ' sec' not in line]


@pytest.fixture
def tiny_fashion_mnist(fake_data, tmp_path, monkeypatch):
    """A 600 / 200 image Fashion-MNIST in $D2LSOFTMAX_DATA: three batches of 256 and a test pass."""
    folder = tmp_path / 'tiny-fashion-mnist'
    fake_data(str(folder), sizes={'train': 600, 'test': 200})
    monkeypatch.setenv('D2LSOFTMAX_DATA', str(folder))
    return folder


@pytest.fixture
def d2lzh_runs_here(monkeypatch):
    """Let d2lzh run in this process: the IPython 9 plotting call, the offline data loader."""
    import d2lzh
    import IPython.display
    import d2lsoftmax
    # removed in IPython 9; in a terminal the figure format does not matter
    monkeypatch.setattr(IPython.display, 'set_matplotlib_formats', lambda *a, **k: None,
                        raising=False)
    monkeypatch.setattr(d2lzh, 'load_data_fashion_mnist', d2lsoftmax.load_data_fashion_mnist)
    return d2lzh


def run_in_process(code, capsys):
    """exec a seeded program in a fresh namespace; returns what it printed."""
    from d2lsoftmax.training import plotting
    capsys.readouterr()
    exec(compile(SEEDING + code, '<book program>', 'exec'), {'__name__': '__book__'})
    plotting.plt.close('all')  # d2lzh leaves its figures open
    return capsys.readouterr().out


SLOWER = {'3.11', '3.12', '3.16'}  # they train for many epochs (1 to 2 s each, twice)


@pytest.mark.parametrize('section', [pytest.param(s, marks=pytest.mark.slow) if s in SLOWER
                                     else s for s in CHAPTER_3])
def test_chapter_3_runs_with_only_the_import_changed_and_prints_what_d2lzh_prints(
        section, tiny_fashion_mnist, d2lzh_runs_here, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # 3.16 writes submission.csv
    ours = run_in_process(as_ours(CHAPTER_3[section]), capsys)
    theirs = run_in_process(CHAPTER_3[section], capsys)
    assert '<Figure' not in ours
    assert comparable(ours) == comparable(theirs)
    if section in EPOCH_SECTIONS:
        assert any(line.startswith('epoch ') for line in ours.splitlines())


def test_the_d2lzh_names_of_chapter_3_are_all_there():
    import d2lsoftmax as d2l
    for name in ('data_iter', 'linreg', 'squared_loss', 'sgd', 'semilogy', 'set_figsize',
                 'use_svg_display', 'plt', 'show_fashion_mnist', 'show_images',
                 'get_fashion_mnist_labels', 'load_data_fashion_mnist', 'evaluate_accuracy',
                 'train_ch3'):
        assert callable(getattr(d2l, name)) or name == 'plt', name


# ------------------------------------------- a fresh process on the real data

def run_book_code(code, tmp_path):
    """Run `code` with its import line changed in a fresh Python process; return stdout."""
    script = tmp_path / 'book.py'
    script.write_text(SEEDING + as_ours(code))
    env = {k: v for k, v in os.environ.items() if k != 'DISPLAY'}
    env['MPLBACKEND'] = 'Agg'
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert '<Figure' not in done.stdout
    return done.stdout.splitlines()


@pytest.mark.slow
@pytest.mark.parametrize('section', ['3.6', '3.7'])
def test_book_code_in_a_fresh_process_prints_the_librarys_first_epoch(section, real_data,
                                                                     tmp_path):
    lines = run_book_code(CHAPTER_3[section], tmp_path)
    # Same seed, same data order, same model: the book's loop prints our first epoch.
    assert lines[0] == EPOCH_LINE % seed0_records(section)[0]
    if section == '3.6':
        test_acc = seed0_records(section)[0].test_acc
        assert lines[1] == 'library evaluate_accuracy %.4f' % test_acc
