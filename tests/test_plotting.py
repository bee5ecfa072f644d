"""Figures: saved as PNG in a terminal, shown inline in Jupyter, never echoed, always closed."""
import IPython.display
import numpy as np
from mxnet import nd

from d2lsoftmax import plotting
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
    monkeypatch.setattr(IPython.display, 'display', lambda fig, **kw: shown.append(fig))
    assert plotting.plot_history(RECORDS, str(tmp_path / 'curves.png')) is None
    assert len(shown) == 1 and shown[0].axes  # the figure itself went to display()
    assert list(tmp_path.iterdir()) == [] and plotting.plt.get_fignums() == []


def test_prediction_grid_marks_mistakes_in_red(tmp_path, monkeypatch):
    figures = []
    monkeypatch.setattr(plotting, 'finish', lambda fig, path=None: figures.append(fig))
    X = nd.array(np.random.uniform(size=(3, 1, 28, 28)))
    plotting.prediction_grid(X, ['coat\ncoat', 'bag\nshirt', 'dress\ndress'], num_cols=3)
    colors = [ax.title.get_color() for ax in figures[0].axes[:3]]
    assert colors[1] == 'red' and colors[0] != 'red' and colors[2] != 'red'


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
