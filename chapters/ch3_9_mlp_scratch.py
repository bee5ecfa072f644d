# %% [markdown]
# # 3.9 Multilayer perceptron from scratch
#
# Softmax regression can only draw straight boundaries between the classes.
# Putting a hidden layer with a nonlinear activation between the pixels and
# the scores lets the model bend them. We write the two layers' parameters,
# the ReLU activation and the network by hand, and borrow Gluon's loss for
# its numerical care. Section 3.10 builds the same network from Gluon layers.
#
# Run it as a script (`d2lsoftmax run 3.9 --num-hiddens 128`) or open it as
# a notebook (`d2lsoftmax notebook 3.9`); in Jupyter the options come from
# the environment variable `D2LSOFTMAX_ARGS` (empty: the book's settings).

# %%
import d2lsoftmax as d2l  # the book's `import d2lzh as d2l`; first, as there (blas.py)
from mxnet import nd
from mxnet.gluon import loss as gloss

batch_size, num_epochs, lr = 256, 5, 0.5
num_hiddens = 256
stable_loss = False
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
# Two layers: 784 pixels to 256 hidden units, then 256 hidden units to 10
# scores. Each layer has a weight matrix, drawn small and random, and a bias
# vector of zeros.

# %%
num_inputs, num_outputs = 784, 10  # and num_hiddens hidden units (256, in the first cell)

W1 = nd.random.normal(scale=0.01, shape=(num_inputs, num_hiddens))  # (784, 256)
b1 = nd.zeros(num_hiddens)  # (256,)
W2 = nd.random.normal(scale=0.01, shape=(num_hiddens, num_outputs))  # (256, 10)
b2 = nd.zeros(num_outputs)  # (10,)
params = [W1, b1, W2, b2]

for param in params:
    param.attach_grad()

# %% [markdown]
# The activation: ReLU keeps positive values and replaces negative ones by 0.
# Without it the two layers would collapse into a single affine map.

# %%
def relu(X):
    """max(x, 0) elementwise."""
    return nd.maximum(X, 0)


print('relu', relu(nd.array([-2.0, -0.5, 0.0, 0.5, 2.0])).asnumpy())

# %% [markdown]
# The network flattens each image, computes the hidden layer and returns the
# scores of the output layer. It stops at the scores: the loss applies the
# softmax.

# %%
def net(X):
    """Scores of a one-hidden-layer perceptron for a batch of images."""
    X = X.reshape((-1, num_inputs))  # (batch_size, 784)
    H = relu(nd.dot(X, W1) + b1)  # (batch_size, num_hiddens)
    return nd.dot(H, W2) + b2  # (batch_size, num_outputs)

# %% [markdown]
# ## The loss
#
# Gluon's softmax cross-entropy works from the scores directly and does not
# overflow. `--stable-loss` uses the package's own version from section 3.7.1
# instead: the same loss, rounded differently in float32, so the lines differ
# in their last digits.

# %%
loss = d2l.stable.cross_entropy if stable_loss else gloss.SoftmaxCrossEntropyLoss()

# %% [markdown]
# ## Training
#
# The loop of section 3.6, saved in the library as `d2l.train_ch3`, with our
# own `sgd` on the four parameters and the larger learning rate of 0.5.

# %%
records = d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size,
                        params, lr)

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
# The hidden layer buys a few points of accuracy over softmax regression
# (compare section 3.6's curves).

# %%
d2l.plot_history(records)
