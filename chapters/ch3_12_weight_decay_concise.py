# %% [markdown]
# # 3.12 Weight decay with Gluon
#
# The book's own code for section 3.12 with Gluon: the same overfitting
# experiment as in 3.12 (200 inputs, 20 training examples), with weight decay
# given to a `Trainer` as its `wd` argument instead of added to the loss. A
# `Dense(1)` layer holds the weights and the bias, and two `Trainer`s update
# them, so that only the weights decay. The steps line up one for one with
# the scratch version, 3.12.
#
# Run it as a script (`d2lsoftmax run 3.12-concise --out figures`) or open it
# as a notebook (`d2lsoftmax notebook 3.12-concise`); in Jupyter the options
# come from the environment variable `D2LSOFTMAX_ARGS` (empty: the book's
# settings).

# %%
import d2lsoftmax as d2l  # the book's `import d2lzh as d2l`; first, as there (blas.py)
from mxnet import autograd, gluon, init
from mxnet.gluon import data as gdata, loss as gloss, nn

from d2lsoftmax.data import synthetic

batch_size, num_epochs, lr = 1, 100, 0.003
seed = 0
d2l.configure(globals())  # options from the command line (Jupyter: $D2LSOFTMAX_ARGS); seeds

# %% [markdown]
# ## The data
#
# The same data as in 3.12: 20 training and 100 test examples of 200 inputs,
# labels y = 0.05 + 0.01 (x_1 + ... + x_200) plus noise of standard deviation
# 0.01, served one training example at a time in a random order.

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
# Every fit builds a fresh `Dense(1)` whose parameters start from a standard
# normal distribution (`init.Normal(sigma=1)`), as the scratch weights do.
# `L2Loss` is half the squared error, as `d2l.squared_loss`; the penalty is
# not in the loss: the `Trainer` adds wd * w to the gradient of each weight.

# %%
loss = gloss.L2Loss()


def linear_net():
    """A new linear model: one Dense output, every parameter drawn from N(0, 1)."""
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize(init.Normal(sigma=1))
    return net

# %% [markdown]
# ## Training
#
# `fit_and_plot_gluon` gives the weights a `Trainer` with weight decay `wd`
# and the bias one without (Gluon names them '...weight' and '...bias'),
# steps both after every example for 100 passes, records the mean training
# and test losses after each pass, plots them with `d2l.semilogy` and prints
# the L2 norm of the learned weights.

# %%
def fit_and_plot_gluon(wd):
    """Train with weight decay wd on the weights only; plot the losses, print the L2 norm."""
    net = linear_net()
    trainer_w = gluon.Trainer(net.collect_params('.*weight'), 'sgd',
                              {'learning_rate': lr, 'wd': wd})  # decays the weights
    trainer_b = gluon.Trainer(net.collect_params('.*bias'), 'sgd',
                              {'learning_rate': lr})  # leaves the bias alone
    train_ls, test_ls = [], []
    for _ in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                l = loss(net(X), y)  # (batch_size,)
            l.backward()
            trainer_w.step(batch_size)
            trainer_b.step(batch_size)
        train_ls.append(loss(net(train_features), train_labels).mean().asscalar())
        test_ls.append(loss(net(test_features), test_labels).mean().asscalar())
    d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
                 range(1, num_epochs + 1), test_ls, ['train', 'test'],
                 name=f'wd_{wd}')
    print('L2 norm of w:', net[0].weight.data().norm().asscalar())

# %% [markdown]
# ## Without weight decay (overfitting)
#
# wd = 0: the training loss falls far below the test loss, and the weights
# keep a large norm.

# %%
fit_and_plot_gluon(0)

# %% [markdown]
# ## With weight decay
#
# wd = 3: the weights shrink towards zero and the test loss falls with the
# training loss.

# %%
fit_and_plot_gluon(3)
