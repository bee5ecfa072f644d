"""What a chapter script calls: `d2l.configure(globals())`, and the option parsing behind it.

A chapter's first cell reads like the book, its settings plain globals
(`batch_size, num_epochs, lr = 256, 5, 0.1`, `seed = 0`); one call then applies the
reader's overrides, from the command line (`d2lsoftmax run 3.6 --lr 0.2`, `python
chapters/ch3_6_softmax_scratch.py --lr 0.2`) or, in Jupyter, from $D2LSOFTMAX_ARGS, as
nanoGPT's configurator does. The chapter's record (sections) says which options it
has; the figures it draws are then named after its section. Top layer, beside the
command: the library never imports it. No MXNet until the seed is set.
"""
import argparse
import os
import sys

from d2lsoftmax import sections

PROG = 'd2lsoftmax'
CHAPTERS_PACKAGE = 'd2lsoftmax.chapters'  # chapters/*.py, as installed
NOTEBOOK_ARGS_ENV = 'D2LSOFTMAX_ARGS'  # a notebook's options, e.g. '--num-epochs 1'
# Where Jupyter servers put the notebook's path in the kernel's globals (jupyter_server 2
# through ipykernel's JPY_SESSION_NAME; VS Code): a notebook has no __file__.
NOTEBOOK_PATH_NAMES = ('__session__', '__vsc_ipynb_file__')


# ------------------------------------------------------------------ option types

class Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage block) and exits 2."""

    def error(self, message):
        self.exit(2, f'{self.prog}: error: {message} (see {self.prog} --help)\n')


def parsed(text, kind, expected):
    """`kind(text)`, or an argparse error saying what was expected."""
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected {expected}, got {text!r}') from None


def positive(kind, name=None):
    """Parse a positive `kind`; finite, and within limits.check's bounds for option `name`."""
    def parse(text):
        value = parsed(text, kind, 'a positive number')
        if not value > 0:
            raise argparse.ArgumentTypeError(f'must be positive, got {text}')
        return within(name, value)
    parse.__name__ = kind.__name__
    return parse


def within(name, value):
    """`value` if limits allow it for option `name` (finite, in range); else an argparse error."""
    from d2lsoftmax.util import limits
    reason = limits.problem(name, value) if name else limits.problem('value', value)
    if reason:
        raise argparse.ArgumentTypeError(reason)
    return value


def seed(text):
    """A seed: a whole number from 0 to 2**32 - 1 (what numpy accepts)."""
    return within('seed', parsed(text, int, 'a whole number'))


def _probability(text):
    """A drop probability: a number in [0, 1)."""
    value = parsed(text, float, 'a number in [0, 1)')
    if value < 0:
        raise argparse.ArgumentTypeError(f'must be positive or 0 (a drop probability, in '
                                         f'[0, 1)), got {text}')
    return within('drop_prob1', value)


# ------------------------------------------------------------ a chapter's parser

EXPERIMENT_EPILOG = (
    f'{PROG} run also takes: --seeds 0-9 [--jobs N | --scheduler ADDRESS] (statistics over '
    'seeds, locally or on a Dask cluster), --wd LAMBD, '
    f'--lr-decay RATE [--lr-decay-every K], --optimizer {{{",".join(sections.OPTIMIZERS)}}} '
    f'and --init {{{",".join(sections.INITIALIZERS)}}} (concise chapters), --save-params FILE '
    '(.npz scratch, .params concise).')
_BOOK_FLAGS = {  # the book's settings: their parse and help, in --help's order
    'num_epochs': (positive(int), 'passes over the training set'),
    'lr': (positive(float, 'lr'), 'learning rate'),
    'batch_size': (positive(int), 'examples per minibatch'),
}


def flag(name):
    """--num-hiddens for num_hiddens."""
    return '--' + name.replace('_', '-')


def options_parser(section, defaults=None):
    """argparse for chapter `section`: its options, the book's settings, --seed and --out.

    A boolean option is a switch (hybridize=False), a number an option taking a value
    (num_hiddens=256). `defaults` (a chapter's globals) overrides the record's defaults.
    """
    found = sections.chapter(section)
    given = {name: (defaults or {}).get(name, value) for name, value in found.settings.items()}
    trains = section in sections.training_sections()
    parser = Parser(prog=f'{PROG} run {section}', description=found.title,
                    epilog=EXPERIMENT_EPILOG if trains else None)
    for name in found.options:
        if isinstance(given[name], bool):
            parser.add_argument(flag(name), action='store_true', default=given[name])
        else:
            parse = _probability if name.startswith('drop_prob') else \
                positive(type(found.options[name]), name)
            parser.add_argument(flag(name), type=parse, default=given[name],
                                help=_help(name, '(default %(default)s)'))
    for name, (parse, text) in _BOOK_FLAGS.items():
        if name in found.defaults:
            parser.add_argument(flag(name), type=parse, default=given[name],
                                help=f'{text} (default %(default)s)')
    parser.add_argument('--seed', type=seed, default=(defaults or {}).get('seed', 0),
                        help='seeds random, numpy and mx.random, 0 to 2**32 - 1 '
                        '(default %(default)s)')
    parser.add_argument('--out', default='out',
                        help='folder for the PNG figures (default %(default)s/)')
    return parser


def _help(name, default):
    """An option's help: what it is, where sections says, then its default."""
    return f'{sections.OPTION_HELP[name]} {default}' if name in sections.OPTION_HELP else default


# ------------------------------------------------------------------ configure

def configure(settings, section=None):
    """Apply the reader's options to a chapter's settings: `d2l.configure(globals())`.

    `settings` are the chapter's globals, its book settings among them. The options come
    from $D2LSOFTMAX_ARGS in Jupyter, else from the command line; a bad value is one line
    and exit status 2, as `d2lsoftmax run` says it. Sets every setting in `settings`, seeds
    Python, numpy and MXNet with `seed`, and names the figures that follow
    <out>/<section>_<name>.png, titled after the chapter. `section`: the chapter, where
    `settings` cannot tell (a notebook renamed, or run outside Jupyter's server).
    Returns the parsed options (an argparse.Namespace, `out` included).
    """
    found = sections.chapter(section) if section else chapter_of(settings)
    parser = options_parser(found.section, settings)
    args = parse_args(parser, settings)
    for name in [*found.settings, 'seed']:
        settings[name] = getattr(args, name)
    from d2lsoftmax.training import set_seed
    from d2lsoftmax.util import outputs
    set_seed(args.seed)  # Python, numpy (the data order) and MXNet (weights, masks)
    outputs.name_figures(args.out, found.section, found.title)
    return args


def chapter_of(settings):
    """The Chapter whose script or notebook `settings` (its globals) are; ValueError if none."""
    paths = [settings.get(name) for name in ('__file__', *NOTEBOOK_PATH_NAMES)]
    for path in filter(None, paths):
        found = sections.of_script(os.path.splitext(os.path.basename(path))[0])
        if found is not None:
            return found
    raise ValueError('d2l.configure cannot tell which chapter this is (from '
                     f'{next(filter(None, paths), "no file name")}): name it, e.g. '
                     "d2l.configure(globals(), '3.6')")


def in_notebook():
    """True inside a Jupyter kernel, whose sys.argv is the kernel's, not the reader's.

    Having imported ipykernel is not enough: a process that starts kernels (nbclient,
    a test) imports it too, yet its own command line is the reader's.
    """
    if 'ipykernel' not in sys.modules:  # cheap: no IPython import for `list`
        return False
    from IPython import get_ipython
    shell = get_ipython()
    return shell is not None and 'IPKernelApp' in getattr(shell, 'config', {})


def parse_args(parser, settings):
    """A chapter's options: in Jupyter from $D2LSOFTMAX_ARGS (default: none), else the
    command line; none when the chapter is imported, not run (the command line is someone
    else's). Run as a program, Ctrl-C, SIGTERM and user errors then give one line."""
    if in_notebook():
        import shlex
        return parser.parse_args(shlex.split(os.environ.get(NOTEBOOK_ARGS_ENV, '')))
    if settings.get('__name__') != '__main__':
        return parser.parse_args([])
    args = parser.parse_args(sys.argv[1:])
    from d2lsoftmax.util import interrupt
    interrupt.install_for_program(parser.prog, chapter_error_types)
    _check_out(parser, args)
    return args


def _check_out(parser, args):
    """Refuse an unusable --out now, before the chapter reads any data: one line, exit 1."""
    from d2lsoftmax.util.outputs import OutputError, check_folder
    try:
        check_folder(args.out, '--out')
    except OutputError as e:
        parser.exit(1, f'{parser.prog}: error: {e}\n')


def chapter_error_types():
    """The exceptions a chapter script says in one line (exit 1): missing or damaged data, a
    diverged training, an output that cannot be written (a full disk, a read-only folder)."""
    from d2lsoftmax.data import DataError
    from d2lsoftmax.util.outputs import OutputError
    from d2lsoftmax.training import TrainingDiverged
    return DataError, TrainingDiverged, OutputError
