# %% [markdown]
# # 3.13 Dropout from scratch
#
# Dropout fights overfitting by making the network unreliable on purpose:
# while training, every hidden unit is switched off at random, so no unit can
# count on any particular other one being there. We write the dropout
# function with a random mask and put it after each of the two hidden layers
# of a perceptron, dropping 20% of the first layer's units and 50% of the
# second's. Section 3.13 concise builds the same network from Gluon layers.
#
# Run it as a script (`d2lsoftmax run 3.13 --drop-prob2 0.3`) or open it as a
# notebook (`d2lsoftmax notebook 3.13`); in Jupyter the options come from the
# environment variable `D2LSOFTMAX_ARGS` (empty: the book's settings).

# %%
import d2lsoftmax as d2l  # the book's `import d2lzh as d2l`; first, as there (blas.py)
from mxnet import autograd, nd
from mxnet.gluon import loss as gloss

batch_size, num_epochs, lr = 256, 5, 0.5
num_hiddens, drop_prob1, drop_prob2 = 256, 0.2, 0.5
seed = 0
d2l.configure(globals())  # options from the command line (Jupyter: $D2LSOFTMAX_ARGS); seeds

# %% [markdown]
# ## The data
#
# Minibatches of 256 Fashion-MNIST images, as in section 3.6.

# %%
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
print(d2l.data.release_line())  # which release of Fashion-MNIST, and from where

# %% [markdown]
# ## The model
#
# `dropout(X, drop_prob)` draws a uniform random number for every entry and
# keeps the entry where the number falls below the keep probability
# `1 - drop_prob`. The kept entries are divided by that probability, so each
# entry keeps its expected value and nothing has to be rescaled at test time.

# %%
def dropout(X, drop_prob):
    """Zero each entry of X with probability drop_prob, scale the others by 1 / keep_prob."""
    assert 0 <= drop_prob <= 1
    keep_prob = 1 - drop_prob
    if keep_prob == 0:  # everything dropped (and 0 / 0 avoided)
        return X.zeros_like()
    mask = nd.random.uniform(0, 1, X.shape) < keep_prob  # same shape as X, 0s and 1s
    return mask * X / keep_prob

# %% [markdown]
# On a small matrix: nothing dropped, about half dropped (the survivors
# doubled), everything dropped. These masks use up random numbers, so we
# reseed afterwards: the training below is then the very run that
# `d2lsoftmax run 3.13` and the library's tests make.

# %%
X = nd.arange(16).reshape((2, 8))
for p in (0, 0.5, 1):
    print(f'drop_prob {p}:\n{dropout(X, p).asnumpy()}')

d2l.set_seed(seed)

# %% [markdown]
# The parameters of three layers: 784 pixels to 256 hidden units, 256 to
# another 256, and 256 to the 10 scores.

# %%
num_inputs, num_outputs = 784, 10
num_hiddens1 = num_hiddens2 = num_hiddens  # 256 each

W1 = nd.random.normal(scale=0.01, shape=(num_inputs, num_hiddens1))  # (784, 256)
b1 = nd.zeros(num_hiddens1)
W2 = nd.random.normal(scale=0.01, shape=(num_hiddens1, num_hiddens2))  # (256, 256)
b2 = nd.zeros(num_hiddens2)
W3 = nd.random.normal(scale=0.01, shape=(num_hiddens2, num_outputs))  # (256, 10)
b3 = nd.zeros(num_outputs)
params = [W1, b1, W2, b2, W3, b3]

for param in params:
    param.attach_grad()

# %% [markdown]
# The network applies dropout only while training: `autograd.is_training()`
# is true inside `autograd.record()`, where `train_ch3` computes the loss,
# and false when the accuracy is measured.

# %%
def net(X):
    """Scores of the two-hidden-layer perceptron, with dropout while training."""
    X = X.reshape((-1, num_inputs))  # (batch_size, 784)
    H1 = (nd.dot(X, W1) + b1).relu()  # (batch_size, num_hiddens1)
    if autograd.is_training():
        H1 = dropout(H1, drop_prob1)  # closer to the input: drop less
    H2 = (nd.dot(H1, W2) + b2).relu()  # (batch_size, num_hiddens2)
    if autograd.is_training():
        H2 = dropout(H2, drop_prob2)
    return nd.dot(H2, W3) + b3  # (batch_size, num_outputs)

# %% [markdown]
# ## The loss
#
# Softmax cross-entropy on the scores, as in section 3.9.

# %%
loss = gloss.SoftmaxCrossEntropyLoss()

# %% [markdown]
# ## Training
#
# `d2l.train_ch3` with our own `sgd` on the six parameters at a rate of 0.5.
# The training accuracy is measured on the thinned network, so it starts
# below the test accuracy.

# %%
records = d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size,
                        params, lr)

# %% [markdown]
# ## Predictions
#
# The first test images, each titled with its true label above the predicted
# one; the mistakes are marked. No unit is dropped here.

# %%
true_labels, pred_labels = d2l.predict_ch3(net, test_iter)

# %% [markdown]
# ## Curves
#
# The training accuracy stays below the test accuracy: the network is
# trained with units missing and tested whole.

# %%
d2l.plot_history(records)
