# %% [markdown]
# # 3.12 Weight decay from scratch
#
# Weight decay fights overfitting by adding to the loss a penalty on the size
# of the weights, lambda/2 times the squared L2 norm of w: minimizing the sum
# keeps w small unless the data insist. We overfit on purpose with a linear
# model of 200 inputs trained on 20 examples only, then train it again with
# the penalty. The model, the penalty and the SGD step are written by hand
# here; section 3.12-concise does the same with Gluon's `Trainer` and its
# `wd` argument, step for step.
#
# Run it as a script (`d2lsoftmax run 3.12 --out figures`) or open it as a
# notebook (`d2lsoftmax notebook 3.12`); in Jupyter the options come from the
# environment variable `D2LSOFTMAX_ARGS` (empty: the book's settings).

# %%
import d2lsoftmax as d2l  # the book's `import d2lzh as d2l`; first, as there (blas.py)
from mxnet import autograd, nd
from mxnet.gluon import data as gdata

from d2lsoftmax.data import synthetic

batch_size, num_epochs, lr = 1, 100, 0.003
seed = 0
d2l.configure(globals())  # options from the command line (Jupyter: $D2LSOFTMAX_ARGS); seeds

# %% [markdown]
# ## The data
#
# 120 examples of 200 inputs each, drawn from a standard normal distribution,
# with labels y = 0.05 + 0.01 (x_1 + ... + x_200) plus noise of standard
# deviation 0.01. Only the first 20 are for training; the other 100 are the
# test set. With ten times more weights than training examples, the model can
# fit the training set exactly.

# %%
n_train, n_test, num_inputs = synthetic.HIGH_DIMENSIONAL  # 20, 100, 200
features, labels, true_w, true_b = synthetic.high_dimensional(n_train, n_test, num_inputs)
train_features, test_features = features[:n_train], features[n_train:]  # (20, 200), (100, 200)
train_labels, test_labels = labels[:n_train], labels[n_train:]  # (20, 1), (100, 1)
train_iter = gdata.DataLoader(gdata.ArrayDataset(train_features, train_labels), batch_size,
                              shuffle=True)

# %% [markdown]
# ## The model
#
# A linear model, `d2l.linreg`, with the squared loss, `d2l.squared_loss`. The
# weights start from a standard normal distribution (a large norm, about 14),
# the bias at zero. The penalty is half the squared L2 norm of w; its gradient
# is w itself, so each step shrinks w by lr * lambd * w: the weights decay.

# %%
net, loss = d2l.linreg, d2l.squared_loss


def init_params():
    """w of shape (num_inputs, 1) drawn with standard deviation 1, b = 0; with gradients."""
    w = nd.random.normal(scale=1, shape=(num_inputs, 1))  # (num_inputs, 1)
    b = nd.zeros(shape=(1,))  # (1,)
    w.attach_grad()
    b.attach_grad()
    return [w, b]


def l2_penalty(w):
    """Half the squared L2 norm of w, shape (1,)."""
    return (w ** 2).sum() / 2

# %% [markdown]
# ## Training
#
# `fit_and_plot` trains a fresh model with SGD on one example at a time for
# 100 passes, adding `lambd * l2_penalty(w)` to every example's loss (the bias
# is not penalized), records the mean training and test losses after each
# pass, plots both on a log scale with `d2l.semilogy` and prints the L2 norm
# of the learned w.

# %%
def fit_and_plot(lambd):
    """Train with weight decay lambd; plot the losses and print the L2 norm of w."""
    w, b = init_params()
    train_ls, test_ls = [], []
    for _ in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                l = loss(net(X, w, b), y) + lambd * l2_penalty(w)  # (batch_size, 1)
            l.backward()
            d2l.sgd([w, b], lr, batch_size)
        train_ls.append(loss(net(train_features, w, b), train_labels).mean().asscalar())
        test_ls.append(loss(net(test_features, w, b), test_labels).mean().asscalar())
    d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
                 range(1, num_epochs + 1), test_ls, ['train', 'test'],
                 name=f'lambd_{lambd}')
    print('L2 norm of w:', w.norm().asscalar())

# %% [markdown]
# ## Without weight decay (overfitting)
#
# lambd = 0 is plain training: the training loss falls towards zero while the
# test loss stays high, and w keeps a large norm.

# %%
fit_and_plot(lambd=0)

# %% [markdown]
# ## With weight decay
#
# lambd = 3: the training loss stays higher, the test loss falls with it, and
# w ends close to zero, near the true weights (each 0.01, an L2 norm of 0.14).

# %%
fit_and_plot(lambd=3)
