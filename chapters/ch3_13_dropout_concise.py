# %% [markdown]
# # 3.13 Dropout with Gluon
#
# The network of the scratch version of section 3.13 from Gluon layers: a
# `Dropout` layer after each of the two hidden `Dense` layers, dropping 20%
# and then 50% of the units while training and nothing at test time. The
# loss, the training loop and the settings stay the same.
#
# Run it as a script (`d2lsoftmax run 3.13-concise --hybridize`) or open it
# as a notebook (`d2lsoftmax notebook 3.13-concise`); in Jupyter the options
# come from the environment variable `D2LSOFTMAX_ARGS` (empty: the book's
# settings).

# %%
import d2lsoftmax as d2l  # the book's `import d2lzh as d2l`; first, as there (blas.py)
from mxnet import gluon, init
from mxnet.gluon import loss as gloss, nn

batch_size, num_epochs, lr = 256, 5, 0.5
num_hiddens, drop_prob1, drop_prob2 = 256, 0.2, 0.5
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
# `nn.Dropout(drop_prob)` is the scratch version's `dropout` as a layer: it
# draws a fresh mask on every training batch and passes its input through
# unchanged otherwise. The `Dense` layers replace the six parameters and the
# ReLU; their input sizes are inferred from the first batch. `--hybridize`
# compiles the network into one graph.

# %%
num_outputs = 10  # and num_hiddens hidden units (256, in the first cell)

net = nn.HybridSequential() if hybridize else nn.Sequential()
net.add(nn.Dense(num_hiddens, activation='relu'),  # (batch_size, num_hiddens)
        nn.Dropout(drop_prob1),  # closer to the input: drop less
        nn.Dense(num_hiddens, activation='relu'),  # (batch_size, num_hiddens)
        nn.Dropout(drop_prob2),
        nn.Dense(num_outputs))  # (batch_size, num_outputs) scores
net.initialize(init.Normal(sigma=0.01))
if hybridize:
    net.hybridize()

# %% [markdown]
# ## The loss
#
# Softmax cross-entropy on the scores, as in section 3.9.

# %%
loss = gloss.SoftmaxCrossEntropyLoss()

# %% [markdown]
# ## Training
#
# A `Trainer` makes the stochastic gradient step at a rate of 0.5, and
# `d2l.train_ch3` runs the passes. The training accuracy is measured on the
# thinned network, so it stays below the test accuracy.

# %%
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})

records = d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size,
                        None, None, trainer)

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
# Close to the scratch version's curves: the same network, built another way.

# %%
d2l.plot_history(records)
