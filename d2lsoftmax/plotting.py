"""Figures: the book's plotting helpers, shown inline in Jupyter and saved as PNG in a terminal.

This is the only module that imports matplotlib. Every figure goes through
`finish`, so a terminal run never prints ``<Figure size ...>`` and never blocks.
"""
import os
import sys

import matplotlib

if 'ipykernel' not in sys.modules and not os.environ.get('DISPLAY') \
        and 'MPLBACKEND' not in os.environ:
    matplotlib.use('Agg')  # headless terminal: draw to files, plt.show() is a no-op
from matplotlib import pyplot as plt  # noqa: E402  (exported as d2l.plt, as in the book)

from .data import get_fashion_mnist_labels  # noqa: E402

INLINE_BACKEND = 'module://matplotlib_inline.backend_inline'


def _inline_figures_from_now():
    """In Jupyter, set up inline figures now rather than after the importing cell.

    matplotlib-inline 0.1.6 under IPython 9 postpones its set-up to the end of the
    cell that first imports pyplot, so a figure shown in that cell came out as the
    text '<Figure size ...>' only. This is the set-up it would do then.
    """
    if matplotlib.get_backend() != INLINE_BACKEND or 'ipykernel' not in sys.modules:
        return
    from IPython import get_ipython
    from IPython.core.pylabtools import activate_matplotlib
    from matplotlib_inline.backend_inline import configure_inline_support
    shell = get_ipython()
    if shell is not None:
        activate_matplotlib(INLINE_BACKEND)
        configure_inline_support(shell, INLINE_BACKEND)


_inline_figures_from_now()


def in_notebook():
    """True inside a Jupyter kernel, where figures are shown inline."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and 'IPKernelApp' in getattr(shell, 'config', {})


def use_svg_display():
    """Draw inline figures as SVG in Jupyter (the book's call; a no-op in a terminal)."""
    if in_notebook():
        from matplotlib_inline.backend_inline import set_matplotlib_formats
        set_matplotlib_formats('svg')


def set_figsize(figsize=(3.5, 2.5)):
    """Set the default matplotlib figure size, as the book does."""
    use_svg_display()
    plt.rcParams['figure.figsize'] = figsize


def finish(fig, path=None):
    """Show `fig` inline in Jupyter; in a terminal save it to `path` (PNG) if given.

    Either way the figure is closed, so nothing piles up and nothing is echoed.
    Returns the path written, or None.
    """
    if in_notebook():
        from IPython.display import display
        display(fig, exclude=['text/plain'])  # the image only, not '<Figure size ...>'
        plt.close(fig)
        return None
    if path is not None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        fig.savefig(path, dpi=100, bbox_inches='tight')
        print('saved', path)
    plt.close(fig)
    return path


def _to_image(img):
    """A (1, h, w), (h, w, 1) or (h, w) NDArray/array as a (h, w) numpy array."""
    img = img.asnumpy() if hasattr(img, 'asnumpy') else img
    return img.reshape(img.shape[-2:] if img.shape[0] == 1 else img.shape[:2])


def show_fashion_mnist(images, labels):
    """Plot Fashion-MNIST images in one row, each titled by its label (the book's helper).

    Returns None, as d2lzh's does: Jupyter's inline backend then shows the figure
    once, at the end of the cell (a returned Figure would be drawn a second time).
    """
    use_svg_display()
    _, figs = plt.subplots(1, len(images), figsize=(12, 12), squeeze=False)
    for f, img, lbl in zip(figs[0], images, labels):
        f.imshow(_to_image(img))
        f.set_title(lbl)
        f.axes.get_xaxis().set_visible(False)
        f.axes.get_yaxis().set_visible(False)


def semilogy(x_vals, y_vals, x_label, y_label, x2_vals=None, y2_vals=None,
             legend=None, figsize=(3.5, 2.5)):
    """Plot y (and optionally y2) on a log scale against x: d2lzh's helper of 3.11-3.16."""
    set_figsize(figsize)
    fig = plt.figure()
    plt.xlabel(x_label)
    plt.ylabel(y_label)
    plt.semilogy(x_vals, y_vals)
    if x2_vals and y2_vals:
        plt.semilogy(x2_vals, y2_vals, linestyle=':')
        plt.legend(legend)
    finish(fig)  # inline once in Jupyter; in a terminal nothing to save, nothing printed


def show_images(imgs, num_rows, num_cols, scale=2, titles=None):
    """Plot a grid of images, optionally titled; returns the axes (d2lzh's signature)."""
    _, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale),
                           squeeze=False)
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(_to_image(img))
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    for ax in axes[len(imgs):]:
        ax.axis('off')  # unused cells of a grid that is not full
    return axes


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend):
    """Label, scale and limit one matplotlib axes, with a grid (the d2l book's helper)."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


def label_grid(X, y, path=None, num_rows=2, num_cols=9):
    """Grid of the first images of a batch titled with their text labels; see `finish`."""
    n = min(len(y), num_rows * num_cols)
    axes = show_images(X[:n], num_rows, num_cols, scale=1.5,
                       titles=get_fashion_mnist_labels(y[:n].asnumpy()))
    return finish(axes.flat[0].figure, path)


def prediction_grid(X, titles, path=None, num_cols=9):
    """Images titled 'true\\npred' (mistakes in red); see `finish`."""
    num_rows = -(-len(titles) // num_cols)
    axes = show_images(X[:len(titles)], num_rows, num_cols, scale=1.5, titles=titles)
    for ax, title in zip(axes.flat, titles):
        true, pred = title.split('\n')
        if true != pred:
            ax.title.set_color('red')
    fig = axes.flat[0].figure
    fig.set_figheight(fig.get_figheight() * 1.3)  # room for two-line titles
    fig.subplots_adjust(hspace=0.6)
    return finish(fig, path)


def plot_history(records, path=None, title=None):
    """Per-epoch loss, train acc and test acc of `train_ch3` records; see `finish`."""
    epochs = [r.epoch for r in records]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(8, 3))
    ax_loss.plot(epochs, [r.loss for r in records], 'o-', label='train loss')
    ax_acc.plot(epochs, [r.train_acc for r in records], 'o-', label='train acc')
    ax_acc.plot(epochs, [r.test_acc for r in records], 's--', label='test acc')
    set_axes(ax_loss, 'epoch', 'loss', None, None, 'linear', 'linear', ['train loss'])
    set_axes(ax_acc, 'epoch', 'accuracy', None, None, 'linear', 'linear',
                      ['train acc', 'test acc'])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return finish(fig, path)


def show_weights(W, path=None, labels=None):
    """The ten softmax-regression weight vectors W (10, 784) as 28x28 images; see `finish`.

    Red pixels raise a class's score, blue ones lower it (colour scale centred on 0).
    """
    W = W.asnumpy() if hasattr(W, 'asnumpy') else W
    labels = labels or get_fashion_mnist_labels(range(len(W)))
    fig, axes = plt.subplots(2, 5, figsize=(10, 4.4))
    for ax, w, label in zip(axes.flat, W, labels):
        limit = abs(w).max() or 1.0
        ax.imshow(w.reshape(28, 28), cmap='bwr', vmin=-limit, vmax=limit)
        ax.set_title(label)
        ax.axis('off')
    fig.suptitle('learned weights per class')
    return finish(fig, path)


def plot_confusion(cm, path=None, title='test confusion matrix'):
    """A (10, 10) confusion matrix (rows true, columns predicted) as a heat map; see `finish`."""
    labels = get_fashion_mnist_labels(range(len(cm)))
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    image = ax.imshow(cm, cmap='Blues')
    ax.set_xticks(range(len(cm)), labels, rotation=45, ha='right')
    ax.set_yticks(range(len(cm)), labels)
    ax.set_xlabel('predicted')
    ax.set_ylabel('true')
    for i in range(len(cm)):
        for j in range(len(cm)):
            ax.text(j, i, cm[i, j], ha='center', va='center', fontsize=7,
                    color='white' if cm[i, j] > cm.max() / 2 else 'black')
    fig.colorbar(image, ax=ax)
    ax.set_title(title)
    fig.tight_layout()
    return finish(fig, path)


def plot_cv_accuracy(rows, names, path=None, title='mean CV accuracy per setting'):
    """Per search axis in `names`: each configuration's mean CV accuracy at its setting
    (dots) and the best one per setting (line). rows: dicts with 'config' and 'mean'."""
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3), squeeze=False)
    for ax, name in zip(axes[0], names):
        values = sorted({row['config'][name] for row in rows})
        where = {v: i for i, v in enumerate(values)}  # settings at evenly spaced x
        xs = [where[row['config'][name]] for row in rows]
        ax.plot(xs, [row['mean'] for row in rows], 'o', alpha=0.4, label='each config')
        best = [max(row['mean'] for row in rows if row['config'][name] == v) for v in values]
        ax.plot(range(len(values)), best, 's-', label='best')
        ax.set_xticks(range(len(values)), [f'{v:g}' for v in values])
        ax.set_xlabel(name)
        ax.set_ylabel('mean CV accuracy')
        ax.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return finish(fig, path)


def _numpy(a):
    """An NDArray as numpy; numpy arrays and lists pass through."""
    return a.asnumpy() if hasattr(a, 'asnumpy') else a


def plot_activations(x, curves, path=None):
    """One panel per activation: f(x) and its autograd gradient f'(x); see `finish`.

    curves: {name: (y, grad)}, x and the arrays NDArrays or numpy of the same length.
    """
    x = _numpy(x)
    fig, axes = plt.subplots(1, len(curves), figsize=(3.3 * len(curves), 2.8), squeeze=False)
    for ax, (name, (y, grad)) in zip(axes[0], curves.items()):
        ax.plot(x, _numpy(y), '-', label=f'{name}(x)')
        ax.plot(x, _numpy(grad), '--', label=f'grad of {name}')
        ax.axhline(0, color='grey', linewidth=0.5)
        ax.axvline(0, color='grey', linewidth=0.5)
        ax.set_xlabel('x')
        ax.set_title(name)
        ax.legend(fontsize=8, loc='upper left')
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return finish(fig, path)
