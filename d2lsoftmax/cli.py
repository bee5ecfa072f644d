"""The `d2lsoftmax` command: list the chapters, run one; shared chapter options."""
import argparse
import ast
import importlib
import importlib.util
import os
import pkgutil
import sys

from .data import DataError

PROG = 'd2lsoftmax'


# ------------------------------------------------------------- chapter options

def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'expected a positive number, got {text!r}')
        if not value > 0:
            raise argparse.ArgumentTypeError(f'must be positive, got {text}')
        return value
    parse.__name__ = kind.__name__
    return parse


def chapter_parser(section, description, num_epochs=None, lr=None, batch_size=None):
    """argparse for a chapter: --out and --seed always; training flags given defaults."""
    parser = argparse.ArgumentParser(prog=f'{PROG} run {section}', description=description)
    if num_epochs is not None:
        parser.add_argument('--num-epochs', type=_positive(int), default=num_epochs,
                            help='passes over the training set (default %(default)s)')
    if lr is not None:
        parser.add_argument('--lr', type=_positive(float), default=lr,
                            help='learning rate (default %(default)s)')
    if batch_size is not None:
        parser.add_argument('--batch-size', type=_positive(int), default=batch_size,
                            help='examples per minibatch (default %(default)s)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seeds random, numpy and mx.random (default %(default)s)')
    parser.add_argument('--out', default='out',
                        help='folder for the PNG figures (default %(default)s/)')
    return parser


def out_path(args, section, name):
    """Where a chapter saves figure `name`: <out>/<section>_<name>.png."""
    return os.path.join(args.out, f'{section}_{name}.png')


def script(main, argv=None):
    """Run a chapter's main() as a program: user errors become one message and exit 1."""
    from .training import TrainingDiverged
    try:
        return main(argv)
    except (DataError, TrainingDiverged) as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(1)


# ------------------------------------------------------------------ chapters

def _chapters_package():
    import d2lsoftmax.chapters as pkg
    return pkg


def _module_facts(name):
    """SECTION and the docstring's first line of a chapter module, read without importing it."""
    origin = importlib.util.find_spec(f'{_chapters_package().__name__}.{name}').origin
    with open(origin, encoding='utf-8') as f:
        tree = ast.parse(f.read())
    section = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == 'SECTION'
                                                 for t in node.targets):
            section = ast.literal_eval(node.value)
    doc = (ast.get_docstring(tree) or '').strip().splitlines()
    return section, doc[0] if doc else ''


def _section_key(section):
    return [int(p) if p.isdigit() else p for p in section.replace('.', ' ').split()]


def chapters():
    """{section: (module name, title)} of every chapter script, in book order."""
    found = {}
    for info in pkgutil.iter_modules(_chapters_package().__path__):
        section, title = _module_facts(info.name)
        if section:
            found[section] = (info.name, title)
    return dict(sorted(found.items(), key=lambda kv: _section_key(kv[0])))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG, description='Chapters of Dive into Deep Learning (MXNet) on Fashion-MNIST.')
    sub = parser.add_subparsers(dest='command', metavar='{list,run}')
    sub.add_parser('list', help='show the chapters')
    run = sub.add_parser('run', help='run one chapter: d2lsoftmax run SECTION [options]',
                         add_help=False)
    run.add_argument('section', nargs='?')
    args, rest = parser.parse_known_args(argv)
    if args.command is None:
        parser.print_usage(sys.stderr)
        print(f'{PROG}: error: choose a command: list or run', file=sys.stderr)
        return 2
    if rest and args.command != 'run':
        parser.error(f'unrecognized arguments: {" ".join(rest)}')
    known = chapters()
    if args.command == 'list':
        for section, (name, title) in known.items():
            print(f'{section:<6} {title}')
        return 0
    if args.section in (None, '-h', '--help'):
        print(f'usage: {PROG} run SECTION [options]; sections: {", ".join(known)}',
              file=sys.stderr if args.section is None else sys.stdout)
        return 2 if args.section is None else 0
    if args.section not in known:
        print(f'{PROG}: error: no chapter {args.section!r}; choose one of '
              f'{", ".join(known)} (see `{PROG} list`)', file=sys.stderr)
        return 2
    module = importlib.import_module(f'{_chapters_package().__name__}.{known[args.section][0]}')
    script(module.main, rest)
    return 0


if __name__ == '__main__':
    sys.exit(main())
