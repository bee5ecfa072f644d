"""Figures: saved as PNG in a terminal, shown inline in Jupyter, never echoed, always closed."""
import os
import subprocess
import sys

import IPython.display
import numpy as np
import pytest
from mxnet import nd

from d2lsoftmax.training import plotting
from d2lsoftmax.training import EpochRecord

RECORDS = [EpochRecord(1, 0.79, 0.75, 0.79), EpochRecord(2, 0.57, 0.81, 0.81)]


def test_terminal_saves_a_png_and_closes_the_figure(tmp_path, capsys):
    assert not plotting.in_notebook()
    path = str(tmp_path / 'sub' / 'curves.png')
    assert plotting.plot_history(RECORDS, path) == path
    assert open(path, 'rb').read(8) == b'\x89PNG\r\n\x1a\n'
    assert capsys.readouterr().out == f'saved {path}\n'
    assert plotting.plt.get_fignums() == []


def test_jupyter_shows_inline_and_saves_nothing(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(plotting, 'in_notebook', lambda: True)
    monkeypatch.setattr(IPython.display, 'display', lambda obj, **kw: shown.append((obj, kw)))
    assert plotting.plot_history(RECORDS, str(tmp_path / 'curves.png')) is None
    (image, kw), = shown  # once, as the PNG a terminal would save, without its text form
    assert isinstance(image, IPython.display.Image) and image.data[:8] == b'\x89PNG\r\n\x1a\n'
    assert kw == {'exclude': ['text/plain']}
    assert list(tmp_path.iterdir()) == [] and plotting.plt.get_fignums() == []


def test_jupyter_gets_the_same_png_a_terminal_saves(tmp_path, monkeypatch):
    X = nd.array(np.random.RandomState(0).uniform(size=(3, 1, 28, 28)))
    titles = ['coat\ncoat', 'bag\nshirt', 'dress\ndress']
    path = plotting.prediction_grid(X, titles, str(tmp_path / 'grid.png'), num_cols=3)
    shown = []
    monkeypatch.setattr(plotting, 'in_notebook', lambda: True)
    monkeypatch.setattr(IPython.display, 'display', lambda obj, **kw: shown.append(obj))
    plotting.prediction_grid(X, titles, num_cols=3)
    assert shown[0].data == open(path, 'rb').read()


def _title_colors(fig):
    return {text.get_text(): text.get_color() for text in fig.texts}


def test_prediction_grid_marks_mistakes_in_red(tmp_path, monkeypatch):
    figures = []
    monkeypatch.setattr(plotting, 'finish', lambda fig, path=None, tight=True: figures.append(fig))
    X = nd.array(np.random.uniform(size=(3, 1, 28, 28)))
    plotting.prediction_grid(X, ['coat\ncoat', 'bag\nshirt', 'dress\ndress'], num_cols=3)
    assert _title_colors(figures[0]) == {'coat\ncoat': 'black', 'bag\nshirt': 'red',
                                         'dress\ndress': 'black'}


def _tile(png, row, col, cell_h, cell_w, head, side):
    """The pixels of grid cell (row, col) of a saved image grid, inside its frame."""
    y0, x0 = row * cell_h + head + 1, col * cell_w + plotting.GAP // 2 + 1
    return png[y0:y0 + side, x0:x0 + side]


def test_image_grid_draws_each_image_in_its_cell_as_imshow_colours_it(tmp_path):
    """Each 28x28 image, scaled to its own range and coloured with viridis, is drawn
    pixel for pixel (ZOOM x ZOOM each) inside a black frame, row by row."""
    import matplotlib
    import matplotlib.image
    rng = np.random.RandomState(1)
    images = rng.uniform(0.2, 0.9, size=(5, 28, 28)).astype(np.float32)
    fig = plotting.image_grid(images, ['a', 'b', 'c', 'd', 'e'], num_cols=3)
    path = str(tmp_path / 'grid.png')
    plotting.save_png(fig, path, tight=False)
    png = (matplotlib.image.imread(path) * 255).round().astype(np.uint8)  # (H, W, 4)
    side, head = 28 * plotting.ZOOM, plotting.TITLE_LINE + plotting.TITLE_PAD
    cell_h, cell_w = head + side + 2 + plotting.GAP, side + 2 + plotting.GAP
    assert png.shape[:2] == (2 * cell_h, 3 * cell_w)
    viridis = matplotlib.colormaps['viridis']
    for i, img in enumerate(images):
        tile = _tile(png, *divmod(i, 3), cell_h, cell_w, head, side)
        scaled = (img - img.min()) / (img.max() - img.min())
        expected = viridis(scaled, bytes=True).repeat(plotting.ZOOM, 0).repeat(plotting.ZOOM, 1)
        assert np.array_equal(tile, expected), f'image {i}'
        row, col = divmod(i, 3)
        top, left = row * cell_h + head, col * cell_w + plotting.GAP // 2
        box = png[top:top + side + 2, left:left + side + 2]  # the tile with its frame
        frame = np.concatenate([box[0], box[-1], box[:, 0], box[:, -1]])
        assert (frame == plotting.BORDER).all(), f'frame of image {i}'
    assert (_tile(png, 1, 2, cell_h, cell_w, head, side) == 255).all()  # the empty sixth cell


@pytest.mark.slow  # loads MXNet in a fresh process
def test_the_packages_figures_need_no_pyplot(tmp_path):
    """The grid and the curves are drawn with Figure and Agg only (pyplot costs time)."""
    grid, curves = str(tmp_path / 'g.png'), str(tmp_path / 'h.png')
    code = ('import sys, numpy as np; from d2lsoftmax.training import plotting; '
            'from d2lsoftmax.training import EpochRecord; '
            f'plotting.prediction_grid(np.zeros((2, 28, 28)), ["a\\na", "b\\nc"], {grid!r}); '
            f'plotting.plot_history([EpochRecord(1, .5, .8, .8)], {curves!r}); '
            'assert "matplotlib.pyplot" not in sys.modules, "pyplot was imported"')
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          env={**os.environ, 'MPLBACKEND': 'Agg'})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / 'g.png').stat().st_size and (tmp_path / 'h.png').stat().st_size


def test_show_fashion_mnist_takes_the_books_arguments():
    X = nd.array(np.random.uniform(size=(4, 1, 28, 28)))
    assert plotting.show_fashion_mnist(X, ['a', 'b', 'c', 'd']) is None  # as d2lzh's
    fig = plotting.plt.gcf()  # Jupyter's inline backend shows it once, at the cell's end
    assert [ax.get_title() for ax in fig.axes] == ['a', 'b', 'c', 'd']
    plotting.plt.close(fig)


def test_show_images_has_d2lzhs_signature():
    """d2lzh.show_images(imgs, num_rows, num_cols, scale=2): scale is the 4th argument."""
    X = nd.array(np.random.uniform(size=(3, 28, 28)))
    axes = plotting.show_images(X, 1, 3, 1.0)
    assert tuple(axes[0].figure.get_size_inches()) == (3.0, 1.0)
    plotting.plt.close(axes[0].figure)
