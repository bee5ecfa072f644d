# %% [markdown]
# # 3.11 Model selection, underfitting and overfitting with Gluon
#
# The book's own code for section 3.11: the three fits of section 3.11 (the
# right features, too simple a model, too little data), with Gluon's parts.
# A `Dense(1)` layer holds the weights and the bias, `L2Loss` is half the
# squared error, a `Trainer` takes the SGD steps and a `DataLoader` serves the
# shuffled minibatches. The steps line up one for one with the scratch
# version, 3.11, on the same data.
#
# Run it as a script (`d2lsoftmax run 3.11-concise --out figures`) or open it
# as a notebook (`d2lsoftmax notebook 3.11-concise`); in Jupyter the options
# come from the environment variable `D2LSOFTMAX_ARGS` (empty: the book's
# settings).

# %%
import d2lsoftmax as d2l  # the book's `import d2lzh as d2l`; first, as there (blas.py)
from mxnet import autograd, gluon
from mxnet.gluon import data as gdata, loss as gloss, nn

from d2lsoftmax.data import synthetic

batch_size, num_epochs, lr = 10, 100, 0.01
seed = 0
d2l.configure(globals())  # options from the command line (Jupyter: $D2LSOFTMAX_ARGS); seeds

# %% [markdown]
# ## The data
#
# The same 200 examples as in 3.11: x drawn from a standard normal
# distribution, y = 1.2 x - 3.4 x^2 + 5.6 x^3 + 5 plus noise of standard
# deviation 0.1; the first 100 for training, the other 100 for testing.

# %%
n_train, n_test, true_w, true_b = synthetic.POLYNOMIAL  # 100, 100, [1.2, -3.4, 5.6], 5
features, poly_features, labels = synthetic.polynomial(n_train, n_test, true_w, true_b)
print('features', features[:2].asnumpy().ravel())  # x of the first two examples
print('poly_features', poly_features[:2].asnumpy())  # (2, 3): x, x^2, x^3
print('labels', labels[:2].asnumpy())

# %% [markdown]
# ## The model
#
# Every fit builds a fresh `Dense(1)`: one output, and as many weights as its
# input has features, which Gluon learns from the first batch. `L2Loss` gives
# half the squared error of each example, as `d2l.squared_loss` does.

# %%
loss = gloss.L2Loss()


def linear_net():
    """A new linear model: one Dense output, initialized with Gluon's default (uniform)."""
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize()
    return net

# %% [markdown]
# ## Training
#
# `fit_and_plot` trains the new model with a `Trainer` (SGD, learning rate
# 0.01) for 100 passes in batches of 10 (or of all examples when there are
# fewer), records the mean training and test losses after each pass, prints
# the last ones with the learned weights and bias, and plots both curves on a
# log scale with `d2l.semilogy`.

# %%
def fit_and_plot(train_features, test_features, train_labels, test_labels, name):
    """Fit a Dense(1) to the training set; print the final losses, weight and bias; plot."""
    net = linear_net()
    batch = min(batch_size, train_labels.shape[0])
    train_iter = gdata.DataLoader(gdata.ArrayDataset(train_features, train_labels),
                                  batch, shuffle=True)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    train_ls, test_ls = [], []
    for _ in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                l = loss(net(X), y)  # (batch,)
            l.backward()
            trainer.step(batch)
        train_ls.append(loss(net(train_features), train_labels).mean().asscalar())
        test_ls.append(loss(net(test_features), test_labels).mean().asscalar())
    print('final epoch: train loss', train_ls[-1], 'test loss', test_ls[-1])
    d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
                 range(1, num_epochs + 1), test_ls, ['train', 'test'],
                 name=name)
    print('weight:', net[0].weight.data().asnumpy(), '\nbias:', net[0].bias.data().asnumpy())

# %% [markdown]
# ## Third-order polynomial fitting (normal)
#
# The features the labels were made from: both losses fall to the noise's
# level and the weights and the bias come close to 1.2, -3.4, 5.6 and 5.

# %%
fit_and_plot(poly_features[:n_train, :], poly_features[n_train:, :],
             labels[:n_train], labels[n_train:], 'normal')

# %% [markdown]
# ## Linear function fitting (underfitting)
#
# x alone: a straight line cannot follow the cubic, so even the training loss
# stays high.

# %%
fit_and_plot(features[:n_train, :], features[n_train:, :],
             labels[:n_train], labels[n_train:], 'underfitting')

# %% [markdown]
# ## Insufficient training data (overfitting)
#
# Two training examples: the model fits them and not the test set, whose loss
# ends far above the training loss.

# %%
fit_and_plot(poly_features[0:2, :], poly_features[n_train:, :],
             labels[0:2], labels[n_train:], 'overfitting')
