# %% [markdown]
# # 3.7.1 Numerical stability of softmax and cross-entropy
#
# Section 3.6 computes softmax and then the logarithm of one of its entries.
# In float32 that breaks down: `exp` of a score above about 88.7 is `inf`,
# and `inf / inf` is `nan`; a very unlikely true class rounds to probability
# 0, whose logarithm is `-inf`. Section 3.7 sidesteps this by handing the raw
# scores to Gluon's loss. Here we look at the failures one case at a time,
# check that the stable version (subtract the row maximum, take `log_softmax`
# directly) agrees with Gluon's, and train both on real batches.
#
# Run it as a script (`d2lsoftmax run 3.7.1 --num-batches 20`) or open it as
# a notebook (`d2lsoftmax notebook 3.7.1`); in Jupyter the options come from
# the environment variable `D2LSOFTMAX_ARGS` (empty: the defaults).

# %%
import d2lsoftmax as d2l  # the book's `import d2lzh as d2l`; first, as there (blas.py)
import itertools

import numpy as np
from mxnet import nd
from mxnet.gluon import loss as gloss

from d2lsoftmax.models import stable
from d2lsoftmax.models.concise import sgd_trainer, softmax_loss
from d2lsoftmax.models.scratch import cross_entropy, init_params, softmax_regression

BOOK_LR = 0.1  # the steps of scratch and concise are compared at the book's rate

batch_size, lr = 256, 1.0  # lr: a rate at which the naive softmax of section 3.6 produces nan
num_batches = 100
seed = 0
d2l.configure(globals())  # options from the command line (Jupyter: $D2LSOFTMAX_ARGS); seeds

# %% [markdown]
# ## Where float32 runs out
#
# The limits that matter: the largest and smallest arguments `exp` can take
# without overflowing to `inf` or underflowing to 0, and the largest score
# whose exponential can still be squared (a sum of squares appears in the
# gradient).

# %%
print(f'float32: exp(x) = inf for x > {stable.EXP_OVERFLOW:.2f}, exp(x) = 0 for x < '
      f'{stable.EXP_UNDERFLOW:.2f}; sum**2 = inf once a logit > {stable.SQUARE_OVERFLOW:.2f}')

# %% [markdown]
# ## One example at a time
#
# For each case, the scores `o` and the label `y`; then softmax, loss and
# gradient with respect to the scores, computed naively (softmax, then log)
# and stably (from the scores), and what went wrong with the naive one.

# %%
F32 = np.finfo(np.float32)
# (what it shows, logits o, label y): one example each
CASES = [
    ('ordinary logits', [1.0, 2.0, 3.0], 2),
    ('a huge logit, right class', [1000.0, 0.0], 0),
    ('a huge logit, wrong class', [1000.0, 0.0], 1),
    ('true class far below', [-1000.0, 0.0], 0),
    ('all logits very negative', [-1000.0, -1000.0], 0),
    ('confidently wrong', [-60.0, 60.0], 0),
    ('confidently wrong, mild', [45.0, 0.0], 1),
    ('confidently right', [20.0, 0.0], 0),
    ('float32 limit, wrong class', [float(F32.max), 0.0], 1),
]


def row(a):
    """A numpy row in 4 significant digits."""
    return np.array2string(a, precision=4)


print()
for what, o, y in CASES:
    r = stable.compare([o], [y])  # naive and stable softmax, loss and gradient
    print(f'{what}: o = [{", ".join(f"{v:g}" for v in o)}], y = {y}')
    print(f'  naive  softmax {row(r["naive_softmax"][0])}  loss {r["naive_loss"][0]:<11.4g} '
          f'grad {row(r["naive_grad"][0])}')
    print(f'  stable softmax {row(r["softmax"][0])}  loss {r["loss"][0]:<11.4g} '
          f'grad {row(r["grad"][0])}')
    print(f'  -> {stable.explain(o, y)}')

# %% [markdown]
# ## Gluon's loss takes scores, not probabilities
#
# `SoftmaxCrossEntropyLoss` applies softmax itself. On scores it equals our
# stable cross-entropy; fed probabilities it applies softmax a second time
# and gives a different, wrong loss. That is why the concise network ends in
# `Dense(10)` with no softmax layer.

# %%
o = nd.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0], [-60.0, 60.0, 0.0]])  # (3, 3)
y = nd.array([2, 0, 0])
ours = stable.cross_entropy(o, y)
gluon = gloss.SoftmaxCrossEntropyLoss()(o, y)
on_probs = gloss.SoftmaxCrossEntropyLoss()(stable.softmax(o), y)  # softmax twice
print()
print('stable.cross_entropy(o, y)              ', row(ours.asnumpy()))
print('SoftmaxCrossEntropyLoss()(o, y)         ', row(gluon.asnumpy()),
      '<- the same, to MXNet\'s float32 log_softmax (about 1.5e-6 absolute)')
print('SoftmaxCrossEntropyLoss()(softmax(o), y)', row(on_probs.asnumpy()),
      '<- wrong: a softmax layer in the net would be applied twice')
print('so the concise net ends in Dense(10), with no softmax layer')

# %% [markdown]
# ## Training on real batches
#
# The first `--num-batches` minibatches of the training set, the same for
# every model below.

# %%
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
print('\n' + d2l.data.release_line())  # the release the comparisons train on
batches = list(itertools.islice(train_iter, num_batches))  # the same for every model
batch_size = len(batches[0][1])

# %% [markdown]
# Scratch with the stable loss against concise: from the same starting
# parameters, over the same batches, the two end with the same parameters up
# to float32 rounding.

# %%
print(f'\nscratch with the stable pair against concise, on the first {len(batches)} batches:')
W, b = init_params()  # W ~ N(0, 0.01^2), b = 0, attach_grad
twin = stable.concise_twin(W, b)  # Dense(10) holding copies of W and b
print('start: max |scratch - concise| =', stable.param_gap(W, b, twin))
print('scratch: ', end='')
d2l.train_ch3(stable.linear(W, b), batches, test_iter, stable.cross_entropy, 1,
              batch_size, params=[W, b], lr=BOOK_LR)
print('concise: ', end='')
d2l.train_ch3(twin, batches, test_iter, softmax_loss(), 1, batch_size,
              trainer=sgd_trainer(twin, BOOK_LR))
gap = stable.param_gap(W, b, twin)
print(f'after {len(batches)} steps at lr {BOOK_LR}: max |scratch - concise| = {gap:.2g} '
      f'(float32 rounding; the largest weight is {nd.abs(W).max().asscalar():.3g})')

# %% [markdown]
# At a learning rate of 1 the scores grow large quickly: section 3.6's naive
# softmax produces `nan` and training stops with a message, while the same
# model on scores with the stable loss trains on.

# %%
print(f'\nthe naive softmax of section 3.6 against the stable pair at lr {lr}:')
W, b = init_params()
print('naive:  ', end='')
try:
    d2l.train_ch3(softmax_regression(W, b), batches, test_iter, cross_entropy, 1,
                  batch_size, params=[W, b], lr=lr)
    print(f'  (no nan in {len(batches)} batches at lr {lr}; try a larger --lr)')
except d2l.TrainingDiverged as e:
    print(e)
W, b = init_params()
print('stable: ', end='')
records = d2l.train_ch3(stable.linear(W, b), batches, test_iter, stable.cross_entropy, 1,
                        batch_size, params=[W, b], lr=lr)
