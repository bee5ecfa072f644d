# %% [markdown]
# # 3.8 Activation functions: ReLU, sigmoid, tanh
#
# A hidden layer needs a nonlinear function between its affine maps, or
# the layers add up to a single affine map. We look at the three classic
# choices and at their gradients, which autograd computes for us: ReLU
# passes positive values and blocks negative ones, sigmoid squashes any
# number into (0, 1), tanh into (-1, 1).
#
# Run it as a script (`d2lsoftmax run 3.8 --out figures`) or open it as a
# notebook (`d2lsoftmax notebook 3.8`).

# %%
import d2lsoftmax as d2l  # the book's `import d2lzh as d2l`; first, as there (blas.py)
from mxnet import autograd, nd

seed = 0
d2l.configure(globals())  # options from the command line (Jupyter: $D2LSOFTMAX_ARGS); seeds

# %% [markdown]
# ## Values and gradients
#
# `value_and_grad` records `f(x)` and back-propagates it: for an elementwise
# function the gradient of the sum is the derivative at every point.

# %%
ACTIVATIONS = {'relu': nd.relu, 'sigmoid': nd.sigmoid, 'tanh': nd.tanh}
SHOW_AT = [-4.0, -1.0, 0.0, 1.0, 4.0]  # the x values printed in the table


def value_and_grad(f, x):
    """f(x) and f'(x) elementwise: autograd's gradient of sum(f(x)) with respect to x."""
    x = x.copy()
    x.attach_grad()
    with autograd.record():
        y = f(x)
    y.backward()  # a non-scalar y is back-propagated as y.sum()
    return y, x.grad


def activation_curves(x, activations=ACTIVATIONS):
    """{name: (f(x), f'(x))} for every activation, the gradients by autograd."""
    return {name: value_and_grad(f, x) for name, f in activations.items()}


def print_table(at=SHOW_AT, activations=ACTIVATIONS):
    """f(x) and f'(x) of each activation at a few x, two rows per activation."""
    x = nd.array(at)
    print(f'{"x":>13}  ' + ''.join(f'{v:>8g}' for v in at))
    for name, f in activations.items():
        y, grad = value_and_grad(f, x)
        print(f'{name + "(x)":>13}  ' + ''.join(f'{v:8.4f}' for v in y.asnumpy()))
        print(f'{"grad " + name:>13}  ' + ''.join(f'{v:8.4f}' for v in grad.asnumpy()))


x = nd.arange(-8.0, 8.0, 0.1)  # (160,), the book's grid; it holds 0 exactly
curves = activation_curves(x)
print_table()

# %% [markdown]
# ## The formulas
#
# The derivatives have closed forms: 1 for positive x and 0 for negative x
# (ReLU), `s (1 - s)` with `s = sigmoid(x)`, and `1 - tanh(x)^2`. Autograd
# agrees with them.

# %%
s, t = nd.sigmoid(x), nd.tanh(x)
for name, formula in (('relu', x > 0), ('sigmoid', s * (1 - s)), ('tanh', 1 - t * t)):
    gap = nd.abs(curves[name][1] - formula).max().asscalar()
    print(f"grad of {name} vs its formula: max |difference| {gap:.2g}")

# %% [markdown]
# ReLU has no derivative at 0: MXNet's `relu` uses 0 there, the scratch
# `nd.maximum(x, 0)` of section 3.9 uses 1. Either works for training.

# %%
_, scratch_grad = value_and_grad(d2l.scratch.relu, nd.array([0.0]))
_, relu_grad = value_and_grad(nd.relu, nd.array([0.0]))
print(f'at x = 0: grad of nd.relu {relu_grad.asscalar():g}, '
      f'grad of scratch.relu (nd.maximum) {scratch_grad.asscalar():g}')

# %% [markdown]
# ## The curves
#
# Each function with its gradient. The gradients of sigmoid and tanh vanish
# for large |x|: a unit stuck there barely learns. ReLU's gradient does not
# shrink for positive inputs.

# %%
d2l.plotting.plot_activations(x, curves)
