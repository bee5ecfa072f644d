"""`d2lsoftmax notebook`, and every chapter executed as a notebook in a real Jupyter kernel.

The kernel tests (slow) start ipykernel through nbclient, as Jupyter does, with
the chapter's options in $D2LSOFTMAX_ARGS (one epoch for the training chapters),
and compare what the notebook prints with the chapter run as a script under the
same seed: epoch 1 of the shared seed-0 records for the training chapters, the
script's own output for 3.5, 3.7.1 and 3.8.
"""
import os
import runpy
import sys

import pytest

from support.chapter_runs import seed0_lines
import d2lsoftmax as d2l
from d2lsoftmax import cli, sections
from d2lsoftmax.util import outputs
from d2lsoftmax.cli import notebooks
from support import REPO

ALL = list(sections.chapters())
# The options each notebook runs with, and how many figures it shows.
NOTEBOOK_ARGS = {'3.5': '', '3.7.1': '--num-batches 8', '3.8': ''}
FIGURES = {'3.5': 1, '3.7.1': 0, '3.8': 1,  # a training chapter: predictions and curves
           '3.11': 3, '3.11-concise': 3, '3.12': 2, '3.12-concise': 2}  # a loss curve per fit


def notebook_args(section):
    return NOTEBOOK_ARGS.get(section, '--num-epochs 1')


def expected_figures(section):
    return FIGURES.get(section, 2)


def read(path):
    import nbformat
    return nbformat.read(str(path), as_version=4)


# ------------------------------------------------------------ the command

def test_notebook_writes_the_chapter_as_a_valid_notebook(tmp_path, capsys):
    import jupytext
    import nbformat
    assert cli.main(['notebook', '3.6', '--out', str(tmp_path)]) == 0
    path = tmp_path / 'ch3_6_softmax_scratch.ipynb'
    assert capsys.readouterr().out == f'wrote {path}\n'
    notebook = read(path)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == 'python3'
    assert notebook.cells[0].cell_type == 'markdown'
    assert notebook.cells[0].source.startswith('# 3.6 Softmax regression from scratch')
    assert all(not cell.get('outputs') for cell in notebook.cells)  # not executed
    # Nothing lost: the notebook's cells are the script's cells.
    script = jupytext.read(notebooks.script_path('3.6'), fmt='py:percent')
    assert ([(c.cell_type, c.source) for c in notebook.cells]
            == [(c.cell_type, c.source) for c in script.cells])


def test_notebook_all_writes_every_chapter_into_notebooks_by_default(tmp_path, monkeypatch,
                                                                   capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(['notebook', 'all']) == 0
    written = sorted(os.listdir(tmp_path / 'notebooks'))
    assert written == sorted(sections.chapter(s).script + '.ipynb' for s in ALL)
    assert len(capsys.readouterr().out.splitlines()) == len(ALL)


def test_notebook_replaces_an_old_notebook_and_leaves_no_temporary_file(tmp_path):
    old = tmp_path / 'ch3_7_softmax_concise.ipynb'
    old.write_text('stale')
    assert cli.main(['notebook', '3.7', '--out', str(tmp_path)]) == 0
    assert read(old).cells[0].source.startswith('# 3.7 ')
    assert os.listdir(tmp_path) == [old.name]


def test_an_interrupted_write_keeps_the_old_notebook(tmp_path, monkeypatch):
    import jupytext
    old = tmp_path / 'ch3_7_softmax_concise.ipynb'
    old.write_text('the old notebook')

    def half_written(notebook, fp, **kwargs):
        fp.write('{"cells": [')
        raise KeyboardInterrupt
    monkeypatch.setattr(jupytext, 'write', half_written)
    with pytest.raises(KeyboardInterrupt):
        notebooks.write_notebook('3.7', str(tmp_path))
    assert old.read_text() == 'the old notebook'
    assert os.listdir(tmp_path) == [old.name]


@pytest.mark.parametrize('argv, code, needle', [
    (['notebook', '9.9'], 2, "invalid choice: '9.9'"),
    (['notebook'], 2, 'the following arguments are required: SECTION'),
    (['notebook', '3.6', '--out', 'FILE'], 1, 'is a file, not a folder'),
    (['notebook', 'all', '--out', 'FILE/sub'], 1, 'cannot create the folder'),
])
def test_bad_notebook_arguments_are_one_line(argv, code, needle, tmp_path, capsys):
    (tmp_path / 'FILE').write_text('not a folder')
    argv = [str(tmp_path / a) if a.startswith('FILE') else a for a in argv]
    try:
        status = cli.main(argv)
    except SystemExit as e:  # argparse exits itself
        status = e.code
    captured = capsys.readouterr()
    assert status == code
    lines = captured.err.splitlines()
    assert len(lines) == 1 and 'error:' in lines[0] and needle in lines[0], captured.err
    assert captured.out == '' and sorted(os.listdir(tmp_path)) == ['FILE']


def chapter_globals(section, **names):
    """A chapter's first cell, the record's settings as globals, as its script sets them."""
    script = f'{sections.chapter(section).script}.py'
    return {'__name__': '__main__', '__file__': script, **sections.chapter(section).settings,
            'seed': 0, **names}


def test_outside_a_kernel_the_command_line_wins_even_with_ipykernel_imported(monkeypatch):
    import ipykernel  # noqa: F401  (nbclient's kernel lookups import it into this process)
    monkeypatch.setenv(cli.chapter.NOTEBOOK_ARGS_ENV, '--num-epochs 7')
    monkeypatch.setattr(sys, 'argv', ['d2lsoftmax run 3.6', '--num-epochs', '2'])
    settings = chapter_globals('3.6')
    d2l.configure(settings)
    assert settings['num_epochs'] == 2


def test_in_a_kernel_the_options_come_from_the_environment_or_are_the_books(monkeypatch):
    """In Jupyter: $D2LSOFTMAX_ARGS, never the kernel's own sys.argv; unset, the book's. The
    chapter is the notebook's, whose path Jupyter's server gives the kernel (__session__)."""
    monkeypatch.setattr(cli.chapter, 'in_notebook', lambda: True)
    monkeypatch.setattr(sys, 'argv', ['ipykernel_launcher.py', '-f', 'kernel-1.json'])
    monkeypatch.delenv(cli.chapter.NOTEBOOK_ARGS_ENV, raising=False)
    settings = chapter_globals('3.6', __file__=None,
                               __session__='notebooks/ch3_6_softmax_scratch.ipynb')
    d2l.configure(settings)
    assert (settings['num_epochs'], settings['lr'], settings['batch_size']) == (5, 0.1, 256)
    monkeypatch.setenv(cli.chapter.NOTEBOOK_ARGS_ENV, '--num-epochs 1 --lr 0.2')
    d2l.configure(settings)
    assert (settings['num_epochs'], settings['lr'], settings['batch_size']) == (1, 0.2, 256)


def test_configure_names_the_figures_after_the_chapter(monkeypatch, tmp_path):
    """The chapter's figures go to OUT/SECTION_NAME.png, its curves titled after it; a
    notebook whose chapter cannot be told is asked to name it."""
    monkeypatch.setattr(sys, 'argv', ['ch3_9_mlp_scratch.py', '--out', str(tmp_path)])
    settings = chapter_globals('3.9')
    d2l.configure(settings)
    assert outputs.figure_path('curves') == str(tmp_path / '3.9_curves.png')
    assert outputs.chapter_figures().title == 'Multilayer perceptron from scratch'
    with pytest.raises(ValueError, match=r"d2l.configure\(globals\(\), '3.6'\)"):
        d2l.configure({'__name__': '__main__', '__session__': 'Untitled.ipynb'})


def test_generated_notebooks_are_ignored_by_git():
    with open(os.path.join(REPO, '.gitignore')) as f:
        assert 'notebooks/' in f.read().split()


# --------------------------------------------------- in a real Jupyter kernel

def execute(section, folder):
    """Write chapter `section` as a notebook in `folder`, run it in ipykernel; the notebook.
    The kernel is told the notebook's path as Jupyter's server tells it (JPY_SESSION_NAME)."""
    from nbclient import NotebookClient
    path = notebooks.write_notebook(section, str(folder))
    os.environ['JPY_SESSION_NAME'] = path  # the test's monkeypatch restores it
    notebook = read(path)
    NotebookClient(notebook, timeout=600, kernel_name='python3',
                   resources={'metadata': {'path': str(folder)}}).execute()
    return notebook


def cell_outputs(notebook):
    return [out for cell in notebook.cells if cell.cell_type == 'code' for out in cell.outputs]


def printed_lines(notebook):
    """Everything the notebook printed to stdout, as lines."""
    return ''.join(out.text for out in cell_outputs(notebook)
                   if out.output_type == 'stream' and out.name == 'stdout').splitlines()


def script_lines(section, argv, folder):
    """What the chapter prints run as a script in this process with `argv`."""
    import contextlib
    import io
    module = f'{cli.CHAPTERS_PACKAGE}.{sections.chapter(section).script}'
    saved, sys.argv = sys.argv, [section, *argv, '--out', str(folder)]
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            runpy.run_module(module, run_name='__main__', alter_sys=True)
    finally:
        sys.argv = saved
    return printed.getvalue().splitlines()


def comparable(lines):
    """Lines a notebook and a script print alike: no 'saved FILE', no timings."""
    return [line for line in lines if not line.startswith('saved ') and ' sec ' not in line]


@pytest.mark.slow
@pytest.mark.parametrize('section', ALL)
def test_chapter_runs_in_a_jupyter_kernel(section, real_data, tmp_path, monkeypatch):
    monkeypatch.setenv(cli.chapter.NOTEBOOK_ARGS_ENV, notebook_args(section))
    monkeypatch.delenv('MPLBACKEND', raising=False)  # the kernel's own inline backend
    monkeypatch.setenv('JPY_SESSION_NAME', '')  # execute() sets it; restored after
    notebook = execute(section, tmp_path)  # raises CellExecutionError if a cell fails
    code_cells = [cell for cell in notebook.cells if cell.cell_type == 'code']
    assert all(cell.execution_count for cell in code_cells)  # ran to the end

    found = cell_outputs(notebook)
    assert not [out for out in found if out.output_type == 'error']
    images = [out.data['image/png'] for out in found if 'image/png' in out.get('data', {})]
    assert len(images) == expected_figures(section)  # each figure once ...
    assert len(set(images)) == len(images)  # ... and no figure twice
    assert all(out.output_type == 'display_data' for out in found
               if 'image/png' in out.get('data', {}))  # inline, not an echoed return value
    for out in found:
        texts = [out.get('text', '')] + [v for v in out.get('data', {}).values()
                                         if isinstance(v, str)]
        assert not any('<Figure size' in text for text in texts), out

    lines = printed_lines(notebook)
    # activation functions need no data; 3.11 and 3.12 make their own (synthetic)
    uses_data = sections.chapter(section).data == sections.FASHION_MNIST
    assert sum(line.startswith('data: Fashion-MNIST ') for line in lines) == uses_data
    if section in sections.training_sections():  # the library trains it: its seed-0 lines
        assert [line for line in lines if line.startswith('epoch ')] == seed0_lines(section)[:1]
    else:
        script = script_lines(section, notebook_args(section).split(), tmp_path / 'script')
        assert comparable(lines) == comparable(script)
