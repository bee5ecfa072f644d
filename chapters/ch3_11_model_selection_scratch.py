# %% [markdown]
# # 3.11 Model selection, underfitting and overfitting from scratch
#
# A model that is too simple for its data cannot even fit the training set
# (underfitting); a model with too few training examples fits them and nothing
# else (overfitting). We see both on a cubic polynomial with noise, fitting a
# linear model to its features three times: with the right features (x, x^2,
# x^3), with x alone, and with the right features but only two training
# examples. The model is written by hand here, with `nd` arrays, autograd and
# the book's `d2l.linreg`, `d2l.squared_loss` and `d2l.sgd`; section
# 3.11-concise does the same with Gluon, step for step.
#
# Run it as a script (`d2lsoftmax run 3.11 --out figures`) or open it as a
# notebook (`d2lsoftmax notebook 3.11`); in Jupyter the options come from the
# environment variable `D2LSOFTMAX_ARGS` (empty: the book's settings).

# %%
import d2lsoftmax as d2l  # the book's `import d2lzh as d2l`; first, as there (blas.py)
from mxnet import autograd, nd

from d2lsoftmax.data import synthetic

batch_size, num_epochs, lr = 10, 100, 0.01
seed = 0
d2l.configure(globals())  # options from the command line (Jupyter: $D2LSOFTMAX_ARGS); seeds

# %% [markdown]
# ## The data
#
# 200 values of x drawn from a standard normal distribution, and their labels
# y = 1.2 x - 3.4 x^2 + 5.6 x^3 + 5 plus normal noise of standard deviation
# 0.1. The first 100 examples are the training set, the other 100 the test
# set. `poly_features` holds x, x^2 and x^3 side by side.

# %%
n_train, n_test, true_w, true_b = synthetic.POLYNOMIAL  # 100, 100, [1.2, -3.4, 5.6], 5
features, poly_features, labels = synthetic.polynomial(n_train, n_test, true_w, true_b)
print('features', features[:2].asnumpy().ravel())  # x of the first two examples
print('poly_features', poly_features[:2].asnumpy())  # (2, 3): x, x^2, x^3
print('labels', labels[:2].asnumpy())

# %% [markdown]
# ## The model
#
# A linear model y_hat = X w + b with as many weights as there are features:
# `d2l.linreg` computes it, `d2l.squared_loss` gives half the squared error of
# each example. The weights start small and random, the bias at zero;
# `attach_grad` asks autograd to keep their gradients.

# %%
net, loss = d2l.linreg, d2l.squared_loss


def init_params(num_inputs):
    """w of shape (num_inputs, 1) drawn with standard deviation 0.01, b = 0; with gradients."""
    w = nd.random.normal(scale=0.01, shape=(num_inputs, 1))  # (num_inputs, 1)
    b = nd.zeros(shape=(1,))  # (1,)
    w.attach_grad()
    b.attach_grad()
    return [w, b]

# %% [markdown]
# ## Training
#
# `fit_and_plot` trains a fresh model with minibatch SGD for 100 passes over
# the training set (batches of 10, or of all examples when there are fewer),
# records the mean loss on the training and on the test set after each pass,
# prints those of the last pass with the learned weights and bias, and draws
# both curves on a log scale with the book's `d2l.semilogy`.

# %%
def fit_and_plot(train_features, test_features, train_labels, test_labels, name):
    """Fit the linear model to the training set; print the final losses, w and b; plot."""
    w, b = init_params(train_features.shape[1])
    batch = min(batch_size, train_labels.shape[0])
    train_ls, test_ls = [], []
    for _ in range(num_epochs):
        for X, y in d2l.data_iter(batch, train_features, train_labels):
            with autograd.record():
                l = loss(net(X, w, b), y)  # (batch, 1)
            l.backward()  # the gradient of l.sum()
            d2l.sgd([w, b], lr, batch)
        train_ls.append(loss(net(train_features, w, b), train_labels).mean().asscalar())
        test_ls.append(loss(net(test_features, w, b), test_labels).mean().asscalar())
    print('final epoch: train loss', train_ls[-1], 'test loss', test_ls[-1])
    d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
                 range(1, num_epochs + 1), test_ls, ['train', 'test'],
                 name=name)
    print('weight:', w.T.asnumpy(), '\nbias:', b.asnumpy())  # w as one row, as Gluon prints it

# %% [markdown]
# ## Third-order polynomial fitting (normal)
#
# With the features the labels were made from, both losses fall to the
# noise's level (half its variance, 0.005) and the weights come close to 1.2,
# -3.4, 5.6 and the bias to 5.

# %%
fit_and_plot(poly_features[:n_train, :], poly_features[n_train:, :],
             labels[:n_train], labels[n_train:], 'normal')

# %% [markdown]
# ## Linear function fitting (underfitting)
#
# With x alone the model is a straight line, which cannot follow a cubic:
# the training loss stays high, and the test loss with it.

# %%
fit_and_plot(features[:n_train, :], features[n_train:, :],
             labels[:n_train], labels[n_train:], 'underfitting')

# %% [markdown]
# ## Insufficient training data (overfitting)
#
# The right features, but only two training examples: the model fits those two
# well and the 100 test examples badly, its test loss far above its training
# loss.

# %%
fit_and_plot(poly_features[0:2, :], poly_features[n_train:, :],
             labels[0:2], labels[n_train:], 'overfitting')
