# %% [markdown]
# # 3.7 Softmax regression with Gluon
#
# The model of section 3.6 again, this time from Gluon's parts: a `Dense`
# layer holds the weights and the bias, `SoftmaxCrossEntropyLoss` computes
# softmax and cross-entropy in one numerically safe step, and a `Trainer`
# updates the parameters. The steps line up one for one with 3.6, and so do
# the training lines, nearly (the same distribution gives the layer other
# random weights).
#
# Run it as a script (`d2lsoftmax run 3.7 --hybridize`) or open it as a
# notebook (`d2lsoftmax notebook 3.7`); in Jupyter the options come from the
# environment variable `D2LSOFTMAX_ARGS` (empty: the book's settings).

# %%
import d2lsoftmax as d2l  # the book's `import d2lzh as d2l`; first, as there (blas.py)
from mxnet import gluon, init, nd
from mxnet.gluon import loss as gloss, nn

batch_size, num_epochs, lr = 256, 5, 0.1
hybridize = False
seed = 0
d2l.configure(globals())  # options from the command line (Jupyter: $D2LSOFTMAX_ARGS); seeds

# %% [markdown]
# ## The data
#
# The same minibatches as in 3.6: the training set reshuffled on every pass,
# the test set always in order.

# %%
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
print(d2l.data.release_line())  # which release of Fashion-MNIST, and from where

# %% [markdown]
# ## The model
#
# One fully connected layer with ten outputs. Gluon infers its 784 inputs
# from the first batch (a `Dense` layer flattens each image itself) and
# draws the initial weights from the same normal distribution as 3.6.
# There is no softmax layer: the loss below applies it. `--hybridize`
# compiles the network into one graph; the numbers stay the same.

# %%
num_outputs = 10  # one score per class

net = nn.HybridSequential() if hybridize else nn.Sequential()
net.add(nn.Dense(num_outputs))  # (batch_size, 10) scores
net.initialize(init.Normal(sigma=0.01))
if hybridize:
    net.hybridize()

# %% [markdown]
# ## The loss
#
# Computing softmax and then the logarithm of one of its entries can
# overflow or lose everything to rounding. Gluon's loss takes the raw scores
# and computes the logarithm of the softmax directly, which stays accurate
# (section 3.7.1 shows the difference).

# %%
loss = gloss.SoftmaxCrossEntropyLoss()

o = nd.array([[2.0, 1.0, 0.1], [0.1, 0.3, 4.0]])  # two examples' scores, three classes
print('cross-entropy', loss(o, nd.array([0, 1])).asnumpy())  # (2,)

# %% [markdown]
# ## Accuracy
#
# The library's `d2l.evaluate_accuracy` is the function 3.6 writes out. An
# untrained model guesses about one in ten.

# %%
print('accuracy of the untrained model %.4f' % d2l.evaluate_accuracy(test_iter, net))

# %% [markdown]
# ## Training
#
# A `Trainer` performs the same stochastic gradient step as 3.6's `sgd`
# (`step(batch_size)` divides the summed gradient by the batch size), and
# `d2l.train_ch3` is the loop 3.6 writes out, printing the book's line after
# every pass.

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
# The same shape as in 3.6: the two implementations train the same model.

# %%
d2l.plot_history(records)
