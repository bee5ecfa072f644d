# %% [markdown]
# # 3.5 Image classification data (Fashion-MNIST)
#
# Before training a classifier we look at the data it learns from:
# Fashion-MNIST, 70,000 small grey pictures of ten kinds of clothing and
# shoes. We count the examples, look at the shape and type of one of them,
# translate the numeric labels into words, draw a few pictures, and time how
# long it takes to read the training set once in minibatches.
#
# Run it as a script (`d2lsoftmax run 3.5 --batch-size 1000`) or open it as a
# notebook (`d2lsoftmax notebook 3.5`); in Jupyter the options come from the
# environment variable `D2LSOFTMAX_ARGS` (empty: the defaults).

# %%
import time

import d2lsoftmax as d2l  # the book's `import d2lzh as d2l`; first, as there (blas.py)
from mxnet import nd

batch_size = 256
seed = 0
d2l.configure(globals())  # options from the command line (Jupyter: $D2LSOFTMAX_ARGS); seeds

# %% [markdown]
# ## The data set
#
# 60,000 training and 10,000 test images of 28 x 28 grey pixels, 6,000 and
# 1,000 of each class. Each image is an array of height, width and one
# channel of bytes; its label is an integer from 0 to 9.

# %%
print(d2l.data.release_line())  # which release (the book's or the current one), from where
mnist_train, mnist_test = d2l.data.load_arrays('train'), d2l.data.load_arrays('test')
print('training examples:', len(mnist_train[1]), ' test examples:', len(mnist_test[1]))
feature, label = mnist_train[0][0], mnist_train[1][0]
print('one example:', feature.shape, feature.dtype, ' its label:', label, label.dtype)

# %% [markdown]
# ## Labels and pictures
#
# `d2l.get_fashion_mnist_labels` turns the numbers into the names of the
# classes. Below, the first training images, each titled with its label.

# %%
X, y = nd.array(mnist_train[0][:18]), nd.array(mnist_train[1][:18])
print('labels of the first 9:', ', '.join(d2l.get_fashion_mnist_labels(y[:9].asnumpy())))
d2l.plotting.label_grid(X.transpose((0, 3, 1, 2)), y)  # (18, 1, 28, 28): channel first

# %% [markdown]
# ## Reading minibatches
#
# `d2l.load_data_fashion_mnist` serves the images as the book's loader does:
# float32 pixels in [0, 1], channel first, the training set reshuffled on
# every pass. Reading must be much faster than training, or training waits
# for it.

# %%
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
X, y = next(iter(train_iter))
print('a minibatch: X', X.shape, X.dtype, ' y', y.shape, y.dtype,
      ' pixel range [%.1f, %.1f]' % (X.min().asscalar(), X.max().asscalar()))
start = time.time()
for X, y in train_iter:
    continue
nd.waitall()  # the batches are computed asynchronously: wait before stopping the clock
print('%.2f sec to read the training set once (%d batches)' % (time.time() - start, len(train_iter)))
