"""Figures: the book's plotting helpers, shown inline in Jupyter and saved as PNG in a terminal.

This is the only module that imports matplotlib. Every figure goes through
`finish`, so a terminal run never prints ``<Figure size ...>`` and never blocks.
The package's own figures are plain `matplotlib.figure.Figure`s: no pyplot, no
figure manager. pyplot (the book's `d2l.plt`) is imported when a name needs it.
The image grids are drawn as one picture composed in numpy, with the titles as text:
18 images cost one image to draw, where 18 subplots cost 18 axes with their ticks.
"""
import io
import os
import sys

import matplotlib
import numpy as np

from d2lsoftmax.util import outputs
from d2lsoftmax.data import get_fashion_mnist_labels

INLINE_BACKEND = 'module://matplotlib_inline.backend_inline'
DPI = 100  # of every saved figure


def _choose_backend():
    """Agg in a headless terminal (figures go to files, plt.show() is a no-op)."""
    if 'ipykernel' not in sys.modules and not os.environ.get('DISPLAY') \
            and 'MPLBACKEND' not in os.environ:
        matplotlib.use('Agg')


_choose_backend()


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


def __getattr__(name):
    """`plt` (the book's `d2l.plt`): pyplot, imported and set up on first use."""
    if name != 'plt':
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    from matplotlib import pyplot
    _inline_figures_from_now()
    globals()['plt'] = pyplot
    return pyplot


def warm_up():
    """Import matplotlib's figure machinery in a background thread; returns the thread.

    A command that will draw calls this before it trains: most of a training step runs
    in MXNet with the GIL released, so the import (about 1 s) overlaps the training.
    """
    import threading
    thread = threading.Thread(target=_import_figure_machinery, name='matplotlib warm-up',
                              daemon=True)
    thread.start()
    return thread


def _import_figure_machinery():
    import matplotlib.backends.backend_agg  # noqa: F401  (what savefig draws with)
    import matplotlib.figure  # noqa: F401


def _figure(figsize):
    """A Figure outside pyplot: nothing registered, nothing to close, savefig draws with Agg."""
    from matplotlib.figure import Figure
    return Figure(figsize=figsize, dpi=DPI)


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
    _pyplot().rcParams['figure.figsize'] = figsize


def _pyplot():
    """pyplot, for the book's helpers that draw on its current figure."""
    return globals().get('plt') or __getattr__('plt')  # set up once, on first use


def save_png(fig, target, tight=True):
    """Write the figure as PNG to a path or file object; tight crops it to what is drawn."""
    fig.savefig(target, format='png', dpi=DPI, bbox_inches='tight' if tight else None)


def png_bytes(fig, tight=True):
    """The figure as PNG bytes, exactly as `finish` saves it."""
    buffer = io.BytesIO()
    save_png(fig, buffer, tight)
    return buffer.getvalue()


def finish(fig, path=None, tight=True):
    """Show `fig` inline in Jupyter; in a terminal save it to `path` (PNG) if given.

    Either way a pyplot figure is closed, so nothing piles up and nothing is echoed.
    Jupyter is given the same PNG a terminal saves. tight=False keeps a layout that is
    exact already (the image grids). Returns the path written, or None.
    """
    try:
        if in_notebook():
            from IPython.display import Image, display
            display(Image(png_bytes(fig, tight)), exclude=['text/plain'])  # no '<Figure ...>'
            path = None
        elif path is not None:
            outputs.write_bytes(path, png_bytes(fig, tight))  # whole, or not at all
            print('saved', path)
    finally:
        if getattr(fig.canvas, 'manager', None) is not None:  # made by pyplot: let it go
            _pyplot().close(fig)
    return path


def chapter_path(path, name):
    """`path`, or in a chapter script (d2l.configure) its <out>/<section>_<name>.png."""
    return outputs.figure_path(name) if path is None else path


def _chapter_title():
    """The title of the chapter being run (d2l.configure), or None outside one."""
    found = outputs.chapter_figures()
    return None if found is None else found.title


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
    _, figs = _pyplot().subplots(1, len(images), figsize=(12, 12), squeeze=False)
    for f, img, lbl in zip(figs[0], images, labels):
        f.imshow(_to_image(img))
        f.set_title(lbl)
        f.axes.get_xaxis().set_visible(False)
        f.axes.get_yaxis().set_visible(False)


def semilogy(x_vals, y_vals, x_label, y_label, x2_vals=None, y2_vals=None,
             legend=None, figsize=(3.5, 2.5), name=None, path=None):
    """Plot y (and optionally y2) on a log scale against x: d2lzh's helper of 3.11-3.16.

    The book's signature, plus where a terminal run saves the figure (PNG): `path`, or in
    a chapter script (d2l.configure) <out>/<section>_<name>.png.
    """
    set_figsize(figsize)
    plt = _pyplot()
    fig = plt.figure()
    plt.xlabel(x_label)
    plt.ylabel(y_label)
    plt.semilogy(x_vals, y_vals)
    if x2_vals and y2_vals:
        plt.semilogy(x2_vals, y2_vals, linestyle=':')
        plt.legend(legend)
    finish(fig, chapter_path(path, name) if name else path)  # inline once in Jupyter


def show_images(imgs, num_rows, num_cols, scale=2, titles=None):
    """Plot a grid of images, optionally titled; returns the axes (d2lzh's signature)."""
    _, axes = _pyplot().subplots(num_rows, num_cols,
                                 figsize=(num_cols * scale, num_rows * scale), squeeze=False)
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


# One cell of an image grid, in pixels of the saved PNG (DPI pixels per inch).
ZOOM = 4  # each image pixel drawn as ZOOM x ZOOM (28 -> 112), unsmoothed, as imshow draws it
GAP = 20  # between cells
TITLE_LINE = 19  # height of a line of 12-point title text
TITLE_PAD = 6  # between a title and its image
BORDER = (0, 0, 0, 255)  # the 1-pixel black frame of each image, as an axes' spines


def _colored(img, cmap, limits):
    """(h, w) values -> (h*ZOOM + 2, w*ZOOM + 2, 4) RGBA bytes, framed.

    limits (lo, hi) fix the colour scale; None scales each image to its own range,
    as imshow does.
    """
    lo, hi = (img.min(), img.max()) if limits is None else limits
    scaled = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    rgba = matplotlib.colormaps[cmap](np.clip(scaled, 0, 1), bytes=True)  # (h, w, 4)
    rgba = rgba.repeat(ZOOM, axis=0).repeat(ZOOM, axis=1)
    framed = np.empty((rgba.shape[0] + 2, rgba.shape[1] + 2, 4), np.uint8)
    framed[:] = BORDER
    framed[1:-1, 1:-1] = rgba
    return framed


def image_grid(images, titles, num_cols, cmap='viridis', limits=None, colors=None,
               suptitle=None):
    """A Figure of images in rows of num_cols, each titled; one composed picture.

    images: (n, h, w) numpy; titles: n strings (may hold '\\n'); colors: n title colours
    (black by default); limits: per image (lo, hi), or None for each image's own range.
    """
    n = len(images)
    num_rows = -(-n // num_cols)
    lines = max((t.count('\n') + 1 for t in titles), default=0)
    head = lines * TITLE_LINE + TITLE_PAD if lines else 0
    tile_h, tile_w = images.shape[1] * ZOOM + 2, images.shape[2] * ZOOM + 2
    cell_h, cell_w = head + tile_h + GAP, tile_w + GAP
    top = 36 if suptitle else 0
    height, width = top + num_rows * cell_h, num_cols * cell_w
    canvas = np.full((height, width, 4), 255, np.uint8)  # white, opaque
    fig = _figure(((width + 0.5) / DPI, (height + 0.5) / DPI))  # Agg truncates to pixels
    for i, img in enumerate(images):
        row, col = divmod(i, num_cols)
        y0, x0 = top + row * cell_h + head, col * cell_w + GAP // 2
        canvas[y0:y0 + tile_h, x0:x0 + tile_w] = _colored(
            img, cmap, None if limits is None else limits[i])
        fig.text((x0 + tile_w / 2) / width, 1 - (y0 - TITLE_PAD) / height, titles[i],
                 ha='center', va='bottom', fontsize=12, linespacing=1.1,
                 color='black' if colors is None else colors[i])
    fig.figimage(canvas, 0, 0, origin='upper')
    if suptitle:
        fig.suptitle(suptitle, y=1 - 8 / height, va='top')
    return fig


def label_grid(X, y, path=None, num_rows=2, num_cols=9):
    """Grid of the first images of a batch titled with their text labels; see `finish`.
    In a chapter, `path` defaults to its <out>/<section>_examples.png."""
    path = chapter_path(path, 'examples')
    n = min(len(y), num_rows * num_cols)
    images = np.stack([_to_image(img) for img in X[:n]])  # (n, 28, 28)
    fig = image_grid(images, get_fashion_mnist_labels(y[:n].asnumpy()), num_cols)
    return finish(fig, path, tight=False)


def prediction_grid(X, titles, path=None, num_cols=9):
    """Images titled 'true\\npred' (mistakes in red); see `finish`."""
    images = np.stack([_to_image(img) for img in X[:len(titles)]])  # (n, 28, 28)
    colors = ['red' if len(set(t.split('\n'))) > 1 else 'black' for t in titles]  # true != pred
    return finish(image_grid(images, titles, num_cols, colors=colors), path, tight=False)


def plot_history(records, path=None, title=None):
    """Per-epoch loss, train acc and test acc of `train_ch3` records; see `finish`.
    In a chapter, saved to its <out>/<section>_curves.png and titled after it by default."""
    path, title = chapter_path(path, 'curves'), title or _chapter_title()
    epochs = [r.epoch for r in records]
    fig = _figure((8, 3))
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(epochs, [r.loss for r in records], 'o-', label='train loss')
    ax_acc.plot(epochs, [r.train_acc for r in records], 'o-', label='train acc')
    ax_acc.plot(epochs, [r.test_acc for r in records], 's--', label='test acc')
    set_axes(ax_loss, 'epoch', 'loss', None, None, 'linear', 'linear', ['train loss'])
    set_axes(ax_acc, 'epoch', 'accuracy', None, None, 'linear', 'linear',
                      ['train acc', 'test acc'])
    if title:
        fig.suptitle(title)
    # Fixed margins that fit the labels: no layout pass (tight_layout draws the figure).
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.84 if title else 0.95,
                        wspace=0.25)
    return finish(fig, path, tight=False)


def show_weights(W, path=None, labels=None):
    """The ten softmax-regression weight vectors W (10, 784) as 28x28 images; see `finish`.

    Red pixels raise a class's score, blue ones lower it (colour scale centred on 0).
    """
    W = W.asnumpy() if hasattr(W, 'asnumpy') else W
    labels = labels or get_fashion_mnist_labels(range(len(W)))
    limits = [(-m, m) for m in (abs(w).max() or 1.0 for w in W)]  # centred on 0
    fig = image_grid(W.reshape(len(W), 28, 28), labels, 5, cmap='bwr', limits=limits,
                     suptitle='learned weights per class')
    return finish(fig, path, tight=False)


def plot_confusion(cm, path=None, title='test confusion matrix'):
    """A (10, 10) confusion matrix (rows true, columns predicted) as a heat map; see `finish`."""
    labels = get_fashion_mnist_labels(range(len(cm)))
    fig = _figure((6.5, 5.5))
    ax = fig.subplots()
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
    fig = _figure((3.2 * len(names), 3))
    axes = fig.subplots(1, len(names), squeeze=False)
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
    In a chapter, `path` defaults to its <out>/<section>_activations.png.
    """
    path = chapter_path(path, 'activations')
    x = _numpy(x)
    fig = _figure((3.3 * len(curves), 2.8))
    axes = fig.subplots(1, len(curves), squeeze=False)
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
