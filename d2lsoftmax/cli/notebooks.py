"""The chapters as Jupyter notebooks: `d2lsoftmax notebook SECTION|all [--out DIR]`.

Every chapter script is written in jupytext's percent format (`# %%` code cells,
`# %% [markdown]` text cells), so one file is both a program and a notebook;
jupytext turns it into an `.ipynb`, nothing here builds notebook JSON by hand.
Top layer, beside cli: it reads `sections` and `outputs` only, so it never loads MXNet.
"""
import importlib.util
import os

from d2lsoftmax.util import outputs
from d2lsoftmax import sections
from d2lsoftmax.cli.chapter import CHAPTERS_PACKAGE

DEFAULT_OUT = 'notebooks'
SCRIPT_FORMAT = 'py:percent'
# The kernel a reader's Jupyter starts for these notebooks (ipykernel's own).
KERNELSPEC = {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}


def script_path(section):
    """The chapter script of `section`, as installed (d2lsoftmax.chapters.<script>)."""
    name = f'{CHAPTERS_PACKAGE}.{sections.chapter(section).script}'
    return importlib.util.find_spec(name).origin


def _jupytext():
    """The jupytext module, or a ValueError saying how to install it."""
    try:
        import jupytext
    except ImportError:
        raise ValueError('writing notebooks needs jupytext: pip install jupytext') from None
    return jupytext


def read_notebook(section):
    """Chapter `section` as a notebook object (nbformat 4), with a Python 3 kernel."""
    jupytext = _jupytext()
    notebook = jupytext.read(script_path(section), fmt=SCRIPT_FORMAT)
    notebook.metadata['kernelspec'] = dict(KERNELSPEC)
    return notebook


def check_out_dir(out):
    """Make `out` a folder we can write into, or raise ValueError saying why not."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f'--out {out} is a file, not a folder')
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise ValueError(f'cannot create the folder --out {out}: {e.strerror}') from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ValueError(f'cannot write into the folder --out {out}')


def write_notebook(section, out=DEFAULT_OUT):
    """Write chapter `section` to <out>/<script>.ipynb atomically; returns the path.

    The notebook goes to a temporary file beside its target first and is then
    renamed (outputs.replacing), so an interrupted write or a full disk never leaves
    half a notebook behind.
    """
    jupytext = _jupytext()
    notebook = read_notebook(section)
    path = os.path.join(out, sections.chapter(section).script + '.ipynb')
    with outputs.replacing(path) as tmp, open(tmp, 'w', encoding='utf-8') as f:
        jupytext.write(notebook, f, fmt='ipynb')
    return path


def chosen_sections(section):
    """[section], or every chapter in book order for 'all'; ValueError for an unknown one."""
    if section == 'all':
        return list(sections.chapters())
    sections.chapter(section)  # raises, naming the choices
    return [section]


def write_notebooks(section, out=DEFAULT_OUT):
    """Write chapter `section` (or 'all' of them) into folder `out`; returns the paths."""
    chosen = chosen_sections(section)
    check_out_dir(out)  # before writing anything
    return [write_notebook(s, out) for s in chosen]
