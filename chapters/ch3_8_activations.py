"""Activation functions: ReLU, sigmoid and tanh and their gradients by autograd."""
SECTION = '3.8'

from mxnet import autograd, nd

import d2lsoftmax as d2l
from d2lsoftmax import cli, plotting, scratch

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


def main(argv=None):
    args = cli.chapter_parser(SECTION, __doc__).parse_args(argv)
    d2l.set_seed(args.seed)
    x = nd.arange(-8.0, 8.0, 0.1)  # (160,), the book's grid; it holds 0 exactly
    curves = activation_curves(x)
    print_table()

    # The formulas the book gives for the gradients, checked against autograd.
    s, t = nd.sigmoid(x), nd.tanh(x)
    for name, formula in (('relu', x > 0), ('sigmoid', s * (1 - s)), ('tanh', 1 - t * t)):
        gap = nd.abs(curves[name][1] - formula).max().asscalar()
        print(f"grad of {name} vs its formula: max |difference| {gap:.2g}")

    # ReLU has no derivative at 0: MXNet's relu uses 0 there, the scratch
    # nd.maximum(x, 0) of section 3.9 uses 1. Either works for training.
    _, scratch_grad = value_and_grad(scratch.relu, nd.array([0.0]))
    _, relu_grad = value_and_grad(nd.relu, nd.array([0.0]))
    print(f'at x = 0: grad of nd.relu {relu_grad.asscalar():g}, '
          f'grad of scratch.relu (nd.maximum) {scratch_grad.asscalar():g}')

    plotting.plot_activations(x, curves, cli.out_path(args, SECTION, 'activations'))
    return curves


if __name__ == '__main__':
    cli.script(main)
