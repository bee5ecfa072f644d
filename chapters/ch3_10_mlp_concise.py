# %% [markdown]
# # 3.10 Multilayer perceptron with Gluon
#
# The network of section 3.9 from Gluon layers: a `Dense` layer with 256
# units and ReLU activation, then a `Dense` layer with the ten scores. The
# loss, the training loop and the settings stay those of 3.9.
#
# Run it as a script (`d2lsoftmax run 3.10 --hybridize`) or open it as a
# notebook (`d2lsoftmax notebook 3.10`); in Jupyter the options come from the
# environment variable `D2LSOFTMAX_ARGS` (empty: the book's settings).

# %%
import d2lsoftmax as d2l  # the book's `import d2lzh as d2l`; first, as there (blas.py)
from mxnet import gluon, init
from mxnet.gluon import loss as gloss, nn

batch_size, num_epochs, lr = 256, 5, 0.5
num_hiddens = 256
hybridize = False
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
# Two `Dense` layers replace 3.9's parameters, activation and `net`: the
# first applies ReLU to its 256 outputs, the second gives the scores. Their
# input sizes are inferred from the first batch, and their weights are drawn
# from the same normal distribution as in 3.9. `--hybridize` compiles the
# network into one graph; the numbers stay the same.

# %%
num_outputs = 10  # and num_hiddens hidden units (256, in the first cell)

net = nn.HybridSequential() if hybridize else nn.Sequential()
net.add(nn.Dense(num_hiddens, activation='relu'),  # (batch_size, num_hiddens)
        nn.Dense(num_outputs))  # (batch_size, num_outputs) scores, no softmax
net.initialize(init.Normal(sigma=0.01))
if hybridize:
    net.hybridize()

# %% [markdown]
# ## The loss
#
# The same softmax cross-entropy on the scores as in 3.9.

# %%
loss = gloss.SoftmaxCrossEntropyLoss()

# %% [markdown]
# ## Training
#
# A `Trainer` makes 3.9's stochastic gradient step at the rate of 0.5, and
# `d2l.train_ch3` runs the passes.

# %%
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})

records = d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size,
                        None, None, trainer)

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
# Close to 3.9's curves: the same network, built another way.

# %%
d2l.plot_history(records)
