"""Chapter 3.8: ReLU, sigmoid and tanh, their autograd gradients and the figure."""
import numpy as np
import pytest
from mxnet import nd

from d2lsoftmax import cli
from d2lsoftmax.training import plotting
from d2lsoftmax.models import scratch


@pytest.fixture(scope='module')
def ch(tmp_path_factory):
    """The names chapter 3.8 defines, from one run of the script (figures to a tmp folder)."""
    import runpy
    import sys
    import types
    saved, sys.argv = sys.argv, ['3.8', '--out', str(tmp_path_factory.mktemp('out'))]
    try:
        names = runpy.run_module('d2lsoftmax.chapters.ch3_8_activations', run_name='__main__')
    finally:
        sys.argv = saved
    return types.SimpleNamespace(**names)

x = nd.arange(-8.0, 8.0, 0.1)  # the book's grid, 0 included
X = x.asnumpy().astype(np.float64)


@pytest.mark.parametrize('name, f, df', [
    ('relu', lambda v: np.maximum(v, 0), lambda v: (v > 0).astype(float)),
    ('sigmoid', lambda v: 1 / (1 + np.exp(-v)), lambda v: np.exp(-v) / (1 + np.exp(-v)) ** 2),
    ('tanh', np.tanh, lambda v: 1 / np.cosh(v) ** 2),
])
def test_values_and_autograd_gradients_match_the_formulas(ch, name, f, df):
    y, grad = ch.value_and_grad(ch.ACTIVATIONS[name], x)
    np.testing.assert_allclose(y.asnumpy(), f(X), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(grad.asnumpy(), df(X), rtol=1e-5, atol=1e-7)


def test_value_and_grad_leaves_its_input_alone(ch):
    x0 = x.copy()
    ch.value_and_grad(nd.tanh, x)
    assert x.grad is None and (x == x0).min().asscalar() == 1


def test_scratch_relu_matches_nd_relu_except_its_gradient_at_zero(ch):
    y, grad = ch.value_and_grad(scratch.relu, x)
    y_nd, grad_nd = ch.value_and_grad(nd.relu, x)
    np.testing.assert_array_equal(y.asnumpy(), y_nd.asnumpy())
    away = X != 0
    np.testing.assert_array_equal(grad.asnumpy()[away], grad_nd.asnumpy()[away])
    # no derivative at 0: nd.maximum(x, 0) takes 1 there, MXNet's relu takes 0
    assert grad.asnumpy()[~away].tolist() == [1.0] and grad_nd.asnumpy()[~away].tolist() == [0.0]


def test_gradients_peak_where_the_book_says(ch):
    curves = ch.activation_curves(x)
    assert set(curves) == {'relu', 'sigmoid', 'tanh'}
    assert curves['sigmoid'][1].max().asscalar() == pytest.approx(0.25)
    assert curves['tanh'][1].max().asscalar() == pytest.approx(1.0)
    assert X[curves['tanh'][1].asnumpy().argmax()] == 0  # both peak at x = 0


def test_plot_activations_writes_a_png(ch, tmp_path):
    path = plotting.plot_activations(x, ch.activation_curves(x), str(tmp_path / 'a' / 'f.png'))
    with open(path, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    assert plotting.plt.get_fignums() == []  # closed, nothing piles up


def test_chapter_runs_prints_the_table_and_saves_the_figure(tmp_path, capsys):
    assert cli.main(['run', '3.8', '--out', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert 'grad sigmoid' in out and '0.2500' in out
    assert 'grad of tanh vs its formula: max |difference| 0' in out
    assert (tmp_path / '3.8_activations.png').stat().st_size > 10000


def test_new_chapters_are_listed(capsys):
    assert cli.main(['list']) == 0
    sections = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    new = [s for s in sections if s in ('3.7.1', '3.8', '3.9', '3.10')]
    assert new == ['3.7.1', '3.8', '3.9', '3.10']  # all listed, in book order
    assert sections.index('3.7') < sections.index('3.7.1') < sections.index('3.8')
