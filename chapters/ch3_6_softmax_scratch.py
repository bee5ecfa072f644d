# %% [markdown]
# # 3.6 Softmax regression from scratch
#
# We build a classifier for Fashion-MNIST's ten kinds of clothing out of nothing
# but `nd` arrays and automatic differentiation: a weight matrix, a bias, the
# softmax that turns scores into probabilities, the cross-entropy loss and a
# training loop. Section 3.7 does the same with Gluon's building blocks, step
# for step.
#
# Run it as a script (`d2lsoftmax run 3.6 --num-epochs 3`) or open it as a
# notebook (`d2lsoftmax notebook 3.6`); in Jupyter the options come from the
# environment variable `D2LSOFTMAX_ARGS` (empty: the book's settings).

# %%
import d2lsoftmax as d2l  # the book's `import d2lzh as d2l`; first, as there (blas.py)
from mxnet import autograd, nd

batch_size, num_epochs, lr = 256, 5, 0.1
seed = 0
d2l.configure(globals())  # options from the command line (Jupyter: $D2LSOFTMAX_ARGS); seeds

# %% [markdown]
# ## The data
#
# Minibatches of 256 images with their labels. `train_iter` reshuffles the
# training set on every pass; `test_iter` always goes through the test set in
# the same order.

# %%
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
print(d2l.data.release_line())  # which release of Fashion-MNIST, and from where

# %% [markdown]
# ## The model
#
# Each 28 x 28 image becomes a vector of 784 pixels, and each of the ten
# classes gets one output. The weights start as small random numbers, the
# biases at zero; `attach_grad` asks autograd to keep their gradients.

# %%
num_inputs = 784  # 28 * 28 pixels, flattened
num_outputs = 10  # one score per class

W = nd.random.normal(scale=0.01, shape=(num_inputs, num_outputs))  # (784, 10)
b = nd.zeros(num_outputs)  # (10,)
W.attach_grad()
b.attach_grad()

# %% [markdown]
# Softmax needs sums along one axis of a matrix. `keepdims=True` keeps the
# summed axis with length 1, so the result still lines up with the matrix
# when we divide by it.

# %%
X = nd.array([[1, 2, 3], [4, 5, 6]])
print('column sums', X.sum(axis=0, keepdims=True).asnumpy())  # (1, 3)
print('row sums', X.sum(axis=1, keepdims=True).asnumpy())  # (2, 1)

# %% [markdown]
# Softmax exponentiates every score, which makes it positive, and divides each
# row by its sum, so every row becomes a probability distribution over the
# classes. (Large scores overflow `exp`; section 3.7.1 shows what goes wrong.)

# %%
def softmax(X):
    """Row-wise softmax: exponentiate, then divide each row by its sum."""
    X_exp = X.exp()  # (batch_size, num_outputs), all positive
    partition = X_exp.sum(axis=1, keepdims=True)  # (batch_size, 1)
    return X_exp / partition  # broadcast along each row: every row sums to 1


X_prob = softmax(nd.array([[1.0, 2.0, 3.0], [0.5, 0.5, 4.0]]))
print('probabilities', X_prob.asnumpy())  # (2, 3)
print('row sums', X_prob.sum(axis=1).asnumpy())  # (2,): both 1

# %% [markdown]
# The model itself: flatten each image of the batch, apply one affine map, then
# softmax.

# %%
def net(X):
    """Softmax regression: class probabilities of each flattened image."""
    return softmax(nd.dot(X.reshape((-1, num_inputs)), W) + b)  # (batch_size, num_outputs)

# %% [markdown]
# ## The loss
#
# Cross-entropy only looks at the probability the model gives to the true
# class: the loss is minus its logarithm. `nd.pick` takes, from each row of
# `y_hat`, the entry that `y` names.

# %%
y_hat = nd.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])  # two examples, three classes
y = nd.array([0, 1], dtype='int32')  # their true classes
print('picked', nd.pick(y_hat, y).asnumpy())  # (2,): 0.7 of class 0, 0.3 of class 1


def cross_entropy(y_hat, y):
    """-log of the probability given to the true class, one value per example."""
    return -nd.pick(y_hat, y).log()  # (batch_size,)


print('cross-entropy', cross_entropy(y_hat, y).asnumpy())

# %% [markdown]
# ## Accuracy
#
# A prediction is the class with the highest probability. Accuracy is the
# fraction of predictions that equal the label; over a whole data set we count
# the correct ones batch by batch. An untrained model guesses about one in ten.

# %%
def accuracy(y_hat, y):
    """Fraction of the rows of y_hat whose largest entry is at the label."""
    return (y_hat.argmax(axis=1) == y.astype('float32')).mean().asscalar()


def evaluate_accuracy(data_iter, net):
    """Accuracy of net over every batch of data_iter."""
    acc_sum, n = 0.0, 0
    for X, y in data_iter:
        y = y.astype('float32')  # argmax returns float32: compare like with like
        acc_sum += float((net(X).argmax(axis=1) == y).sum().asscalar())  # see below
        n += y.size
    return acc_sum / n


print('accuracy of the example', accuracy(y_hat, y))
print('accuracy of the untrained model %.4f' % evaluate_accuracy(test_iter, net))

# %% [markdown]
# ## Training
#
# Minibatch stochastic gradient descent: for each batch, record the forward
# pass, back-propagate the summed loss and let `d2l.sgd` step every parameter
# by `lr` times its gradient divided by the batch size. After each pass we
# print the book's line: the mean training loss, the training accuracy and the
# test accuracy. This is the loop the book saves as `d2l.train_ch3`; the
# library's version gives the same lines and is reused by the later chapters.
# One line more than the book's: `d2l.check_divergence` stops a run whose loss
# became `nan` or ran away (too large a learning rate) with a message saying so.

# %%
def train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size,
              params=None, lr=None, trainer=None):
    """Train net with minibatch SGD, print one line per epoch, return the EpochRecords."""
    records = []
    for epoch in range(1, num_epochs + 1):
        train_l_sum, train_acc_sum, n = 0.0, 0.0, 0
        for X, y in train_iter:
            with autograd.record():
                y_hat = net(X)  # (batch_size, num_outputs)
                l = loss(y_hat, y).sum()  # summed: sgd divides by batch_size
            l.backward()
            if trainer is None:
                d2l.sgd(params, lr, batch_size)
            else:
                trainer.step(batch_size)
            y = y.astype('float32')
            # float(): the sums stay Python floats, as they were with the book's numpy 1
            # (numpy 2 keeps `0.0 + float32` a float32 and can change a printed digit)
            train_l_sum += float(l.asscalar())
            train_acc_sum += float((y_hat.argmax(axis=1) == y).sum().asscalar())
            n += y.size
        test_acc = evaluate_accuracy(test_iter, net)
        record = d2l.EpochRecord(epoch, train_l_sum / n, train_acc_sum / n, test_acc)
        d2l.check_divergence(record, lr)  # a nan or runaway loss stops here, saying what to try
        print('epoch %d, loss %.4f, train acc %.3f, test acc %.3f' % record)
        records.append(record)
    return records


records = train_ch3(net, train_iter, test_iter, cross_entropy, num_epochs, batch_size,
                    [W, b], lr)

# %% [markdown]
# ## Predictions
#
# The first test images, each titled with its true label above the predicted
# one; the mistakes are marked.

# %%
true_labels, pred_labels = d2l.predict_ch3(net, test_iter)

# %% [markdown]
# ## Curves
#
# The training loss falls and both accuracies rise with every pass; the test
# accuracy follows the training accuracy closely, so the model is not
# overfitting.

# %%
d2l.plot_history(records)
