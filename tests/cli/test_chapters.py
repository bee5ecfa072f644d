"""The chapter scripts: they read like their sections and run as `d2lsoftmax run` runs them.

Every training chapter, run in this process with `--num-epochs 2`, prints the
first two epoch lines of the library's seed-0 run (`runs.train_chapter`), so the
reader's code in the chapter (3.6's own softmax, loss and train_ch3 included)
and the library's builders stay the same computation. The structural tests
read the scripts as jupytext notebooks and need no MXNet.
"""
import os
import re
import runpy
import sys

import pytest

from d2lsoftmax import cli, sections
from d2lsoftmax.experiments import runs
from d2lsoftmax.training import EPOCH_LINE
from support import REPO

CHAPTERS_DIR = os.path.join(REPO,
                            'chapters')
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
PAIRS = [('3.6', '3.7'), ('3.9', '3.10'), ('3.13', '3.13-concise')]  # scratch, concise


def script_file(section):
    return os.path.join(CHAPTERS_DIR, sections.chapter(section).script + '.py')


def run_chapter(section, *argv):
    """Run chapter `section`'s script in this process as `d2lsoftmax run` does; its globals."""
    module = f'{cli.CHAPTERS_PACKAGE}.{sections.chapter(section).script}'
    saved = sys.argv
    sys.argv = [f'{cli.PROG} run {section}', *argv]
    try:
        return runpy.run_module(module, run_name='__main__', alter_sys=True)
    finally:
        sys.argv = saved


def epoch_lines(out):
    return [line for line in out.splitlines() if line.startswith('epoch ')]


def assert_png(path):
    with open(path, 'rb') as f:
        assert f.read(8) == PNG_SIGNATURE, f'{path} is not a PNG'


# ------------------------------------------------------- structure (no MXNet)

def cells(section):
    """The chapter script as jupytext reads it: [(cell_type, source)]."""
    import jupytext
    notebook = jupytext.read(script_file(section), fmt='py:percent')
    return [(cell.cell_type, cell.source) for cell in notebook.cells]


def headings(section):
    """The '## ...' headings of the chapter's markdown cells, in order."""
    return [line for kind, source in cells(section) if kind == 'markdown'
            for line in source.splitlines() if line.startswith('## ')]


def code(section):
    return '\n'.join(source for kind, source in cells(section) if kind == 'code')


@pytest.mark.parametrize('section', list(sections.chapters()))
def test_every_chapter_is_a_percent_format_notebook_opening_with_its_title(section):
    found = cells(section)
    assert found[0][0] == 'markdown' and found[0][1].startswith(f'# {section.split("-")[0]} ')
    assert {kind for kind, _ in found} == {'markdown', 'code'}
    assert sum(kind == 'markdown' for kind, _ in found) >= 4  # explained, not only code
    with open(script_file(section)) as f:
        assert f.read().startswith('# %% [markdown]\n')


@pytest.mark.parametrize('section', sections.training_sections())
def test_training_chapters_take_the_books_steps_in_the_books_order(section):
    text = code(section)
    steps = ['d2l.configure(globals())',
             'train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)',
             'print(d2l.data.release_line())',
             'def net(X):' if sections.chapter(section).kind == 'scratch' else 'net.add(',
             'def cross_entropy(' if section == '3.6' else '\nloss = ',
             'train_ch3(net, train_iter, test_iter,',
             'd2l.predict_ch3(net, test_iter)',
             'd2l.plot_history(records)']
    where = [text.find(step) for step in steps]
    assert -1 not in where, [s for s, i in zip(steps, where) if i == -1]
    assert where == sorted(where), 'steps out of the book\'s order'
    assert 'runs.chapter_main' not in text and 'def model(' not in text
    # the options take one short cell at the top, right after the imports
    assert 'd2l.configure(globals())' in cells(section)[1][1]


def first_cell_settings(section):
    """{name: value} the chapter's first code cell assigns before d2l.configure, as literals."""
    import ast
    source = cells(section)[1][1]
    found = {}
    for node in ast.parse(source[:source.index('d2l.configure(')]).body:
        if isinstance(node, ast.Assign):
            target, value = node.targets[0], node.value
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            values = value.elts if isinstance(value, ast.Tuple) else [value]
            found.update({n.id: ast.literal_eval(v) for n, v in zip(names, values)})
    return found


@pytest.mark.parametrize('section', list(sections.chapters()))
def test_first_cell_sets_the_records_settings_then_configures(section):
    """The first cell reads like the book: the record's settings and seed 0 as plain globals,
    then one d2l.configure call; no parser, no section typed, no `cli`."""
    found = sections.chapter(section)
    settings = first_cell_settings(section)
    assert {k: v for k, v in settings.items() if k.islower()} == {**found.settings, 'seed': 0}
    text = code(section)
    assert text.count('d2l.configure(globals())') == 1
    assert 'cli' not in text and 'args.' not in text and f"'{section}'" not in text
    assert found.title not in text  # plot_history takes it from the record


@pytest.mark.parametrize('scratch, concise', PAIRS)
def test_scratch_and_concise_chapters_line_up_step_for_step(scratch, concise):
    assert headings(scratch) == headings(concise)
    assert headings(scratch)[:2] == ['## The data', '## The model']
    assert headings(scratch)[-3:] == ['## Training', '## Predictions', '## Curves']


def test_3_6_defines_the_readers_own_versions():
    text = code('3.6')
    for name in ('softmax', 'net', 'cross_entropy', 'accuracy', 'evaluate_accuracy',
                 'train_ch3'):
        assert f'def {name}(' in text, name
    assert 'records = train_ch3(net' in text  # its own loop, not the library's


def test_3_9_and_3_13_write_their_activation_and_dropout():
    assert 'def relu(X):' in code('3.9')
    assert 'def dropout(X, drop_prob):' in code('3.13') and 'nd.random.uniform' in code('3.13')
    assert code('3.13-concise').count('nn.Dropout(') == 2


# ------------------------------------------- training chapters = the library

@pytest.mark.slow
@pytest.mark.parametrize('section', sections.training_sections())
def test_chapter_prints_the_librarys_epoch_lines(section, small_real_data, tmp_path, capsys):
    """`d2lsoftmax run SECTION --num-epochs 2` prints the library's run (runs.train_chapter)
    line for line, on a small real data set: the chapter's own code (3.6's softmax, loss
    and train_ch3 included) is the library's computation. (On the whole set, the
    library's run is the golden and parity tests'.)"""
    assert cli.main(['run', section, '--num-epochs', '2', '--out', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    records, _ = runs.train_chapter(section, seed=0, num_epochs=2)
    assert epoch_lines(out) == [EPOCH_LINE % r for r in records]
    release = [i for i, line in enumerate(lines) if line.startswith('data: Fashion-MNIST ')]
    assert len(release) == 1 and release[0] < lines.index(epoch_lines(out)[0])
    assert re.search(r'^\d+ of 18 predictions wrong$', out, re.M)
    assert '<Figure' not in out
    for name in ('predictions', 'curves'):
        path = tmp_path / f'{section}_{name}.png'
        assert f'saved {path}' in out
        assert_png(path)


@pytest.mark.slow
def test_3_6_prints_the_check_of_each_step_before_training(small_real_data, tmp_path, capsys):
    """The book's small examples (sums, softmax, the picked probabilities, cross-entropy,
    accuracy), then the untrained model's accuracy, then the epoch lines."""
    run_chapter('3.6', '--num-epochs', '1', '--out', str(tmp_path))
    lines = capsys.readouterr().out.splitlines()
    checks = ['column sums [[5. 7. 9.]]', 'row sums [[ 6.]', 'probabilities [[',
              'row sums [1. 1.]', 'picked [0.7 0.3]', 'cross-entropy [0.35667497 1.2039728 ]',
              'accuracy of the example 0.5', 'accuracy of the untrained model 0.', 'epoch 1, ']
    where = [next((i for i, line in enumerate(lines) if line.startswith(check)), None)
             for check in checks]
    assert None not in where, [c for c, i in zip(checks, where) if i is None]
    assert where == sorted(where)


@pytest.mark.slow
@pytest.mark.parametrize('section, argv, overrides', [
    ('3.7', ['--hybridize'], dict(hybridize=True)),
    ('3.9', ['--stable-loss', '--num-hiddens', '64'], dict(stable_loss=True, num_hiddens=64)),
    ('3.13', ['--drop-prob2', '0.3', '--lr', '0.3', '--num-hiddens', '64'],
     dict(drop_prob2=0.3, lr=0.3, num_hiddens=64)),
    ('3.13-concise', ['--num-hiddens', '64', '--seed', '3'], dict(num_hiddens=64, seed=3)),
], ids=['3.7-hybridize', '3.9-stable-loss', '3.13-drop-prob2', '3.13-concise-seed'])
def test_chapter_options_are_the_librarys(section, argv, overrides, small_real_data, tmp_path,
                                          capsys):
    """A chapter's own options change its run exactly as the library's arguments do."""
    seed = overrides.pop('seed', 0)
    run_chapter(section, '--num-epochs', '1', '--out', str(tmp_path), *argv)
    out = capsys.readouterr().out
    records, _ = runs.train_chapter(section, seed, num_epochs=1, **overrides)
    assert epoch_lines(out) == [EPOCH_LINE % records[0]]


# ----------------------------------------------------- 3.5, 3.7.1 and 3.8

def test_3_8_prints_the_table_and_saves_the_figure(tmp_path, capsys):
    found = run_chapter('3.8', '--out', str(tmp_path))
    out = capsys.readouterr().out
    assert 'grad sigmoid' in out and '0.2500' in out
    assert 'grad of tanh vs its formula: max |difference| 0' in out
    assert 'at x = 0: grad of nd.relu 0, grad of scratch.relu (nd.maximum) 1' in out
    assert (tmp_path / '3.8_activations.png').stat().st_size > 10000
    curves = found['curves']  # {name: (f(x), f'(x))} on the book's grid
    assert set(curves) == {'relu', 'sigmoid', 'tanh'}
    assert curves['sigmoid'][1].max().asscalar() == pytest.approx(0.25)


def test_3_7_1_shows_the_naive_softmax_failing_and_the_stable_one_not(real_data, tmp_path,
                                                                      capsys):
    found = run_chapter('3.7.1', '--num-batches', '8', '--out', str(tmp_path))
    out = capsys.readouterr().out
    assert 'inf/inf = nan' in out and 'gradient is wrong' in out
    assert 'naive:  training diverged' in out  # lr 1.0 breaks the naive softmax ...
    assert found['records'][0].loss < float('inf')  # ... but not the stable pair
    assert float(out.split('max |scratch - concise| = ')[2].split()[0]) < 1e-5
    assert len([line for line in out.splitlines() if line.startswith('data: ')]) == 1


def test_3_5_prints_the_sizes_and_saves_the_examples(real_data, tmp_path, capsys):
    run_chapter('3.5', '--out', str(tmp_path), '--batch-size', '1000')
    out = capsys.readouterr().out
    assert out.startswith('data: Fashion-MNIST ')
    assert 'training examples: 60000  test examples: 10000' in out
    assert 'X (1000, 1, 28, 28)' in out and '(60 batches)' in out
    assert_png(tmp_path / '3.5_examples.png')


def test_a_bad_option_is_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as exit:
        run_chapter('3.13', '--drop-prob1', '-1')
    assert exit.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and '--drop-prob1' in err[0] and 'must be positive' in err[0]
