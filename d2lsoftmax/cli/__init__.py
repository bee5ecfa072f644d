"""The `d2lsoftmax` command: list the chapters, run one, experiments, notebooks, verify.

The top layer: it imports the library, never the other way round. Every command
imports what it uses when it uses it, so `list` and `--help` never load MXNet. What a
chapter script itself calls (`d2l.configure`, its options) is in `cli.chapter`.
"""
import argparse
import contextlib
import gc
import math
import os
import runpy
import sys

import d2lsoftmax_compat

from d2lsoftmax import sections
from d2lsoftmax.cli.chapter import (CHAPTERS_PACKAGE, PROG, Parser, chapter_error_types, flag,
                                    options_parser, parsed, positive, seed, within)


def user_error_types():
    """The exceptions that mean a user's mistake (bad file, data, setting), not a bug."""
    from d2lsoftmax.experiments.checkpoint import CheckpointError
    from d2lsoftmax.experiments.cluster import ClusterError
    from d2lsoftmax.data import DataError
    from d2lsoftmax.training import TrainingDiverged
    return DataError, TrainingDiverged, CheckpointError, ClusterError, ValueError


def script(main, argv=None):
    """Run a chapter's main() as a program: user errors become one message and exit 1."""
    from d2lsoftmax.util import interrupt
    try:
        return main(argv)
    except chapter_error_types() as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(1)
    except BrokenPipeError:
        _quiet_broken_pipe()
    except KeyboardInterrupt:
        sys.exit(interrupt.report())  # one line, exit status 130 (143 after SIGTERM)


def _quiet_broken_pipe():
    """Output went to a pipe that closed (e.g. `| head`): stop without a traceback."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(1)


# ------------------------------------------------------------------ chapters

def chapters():
    """{section: (script module name, title)} of every chapter, in book order."""
    return {c.section: (c.script, c.title) for c in sections.CHAPTERS}


def run_chapter_script(section, argv):
    """Run chapter `section`'s script top to bottom as a program, with `argv` as its options.

    User errors (missing data, a diverged run) become one line on stderr and exit 1.
    """
    from d2lsoftmax.util import interrupt, outputs
    module = f'{CHAPTERS_PACKAGE}.{sections.chapter(section).script}'
    if sections.draws(section) and not {'-h', '--help'} & set(argv):
        from d2lsoftmax.training import plotting  # loads MXNet first, as the chapter would
        plotting.warm_up()  # matplotlib's import overlaps the chapter's training
    saved = sys.argv
    sys.argv = [f'{PROG} run {section}'] + list(argv)
    try:
        with interrupt.handling(), interrupt.note(
                f'{PROG} run {section}', kept='figures already saved are kept, nothing is '
                'half-written', resume='run it again to start over'):
            script(lambda _: runpy.run_module(module, run_name='__main__', alter_sys=True))
    finally:
        sys.argv = saved
        outputs.name_figures()  # the chapter's figure names end with it


def main(argv=None):
    """The `d2lsoftmax` command; returns its exit status (130 after Ctrl-C, 143 after SIGTERM,
    with one line)."""
    from d2lsoftmax.util import interrupt
    words = [w for w in (sys.argv[1:] if argv is None else argv) if not w.startswith('-')]
    try:
        with interrupt.handling(final=argv is None), \
                interrupt.note(' '.join([PROG, *words[:2]])):
            try:
                return _main(argv)
            except BrokenPipeError:
                _quiet_broken_pipe()
            except KeyboardInterrupt:
                return interrupt.report()
            except ModuleNotFoundError as e:
                if e.name != 'mxnet':
                    raise
                print(f'{PROG}: error: {d2lsoftmax_compat.MISSING_MXNET}', file=sys.stderr)
                return 1
    finally:
        if argv is None:  # the process's own command, about to exit
            gc.freeze()  # exit's last collection then skips the objects MXNet made (0.35 s)


def take_release(argv):
    """Remove `--release NAME` (anywhere on the command line) and export it as
    $D2LSOFTMAX_RELEASE, which every load, worker and chapter script then honours."""
    from d2lsoftmax.data import releases
    argv = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(argv):
        if arg == '--release' or arg.startswith('--release='):
            name = arg.split('=', 1)[1] if '=' in arg else (argv[i + 1] if i + 1 < len(argv) else '')
            try:
                releases.check_name(name, '--release')
            except ValueError as e:
                print(f'{PROG}: error: {e}', file=sys.stderr)
                sys.exit(2)
            os.environ['D2LSOFTMAX_RELEASE'] = name
            return argv[:i] + argv[i + (1 if '=' in arg else 2):]
    return argv


def _main(argv):
    from d2lsoftmax.data import releases
    argv = take_release(argv)
    parser = Parser(
        prog=PROG, description='Chapters of Dive into Deep Learning (MXNet) on Fashion-MNIST.',
        epilog=f'Every command takes --release {"|".join(releases.RELEASES)} (the Fashion-MNIST '
        'release to load; default: the first found, else the book\'s is downloaded).')
    sub = parser.add_subparsers(dest='command',
                                metavar='{list,run,search,evaluate,notebook,verify}')
    sub.add_parser('list', help='show the chapters')
    run = sub.add_parser('run', help='run one chapter: d2lsoftmax run SECTION [options]',
                         add_help=False)
    run.add_argument('section', nargs='?')
    search_parser(sub)
    evaluate_parser(sub)
    notebook_parser(sub)
    verify_parser(sub)
    args, rest = parser.parse_known_args(argv)
    if args.command is None:
        parser.error('choose a command: list, run, search, evaluate, notebook or verify')
    if rest and args.command != 'run':
        parser.error(f'unrecognized arguments: {" ".join(rest)}')
    if args.command == 'search':
        return user_errors(search_command, args)
    if args.command == 'evaluate':
        return user_errors(evaluate_command, args)
    if args.command == 'notebook':
        return user_errors(notebook_command, args)
    if args.command == 'verify':
        return user_errors(verify_command, args)
    known = chapters()
    if args.command == 'list':
        for section, (name, title) in known.items():
            print(f'{section:<13} {title}')
        return 0
    if args.section in (None, '-h', '--help'):  # `run --help` asks; a bare `run` errs
        asked = args.section is not None or bool({'-h', '--help'} & set(rest))
        print(f'usage: {PROG} run SECTION [options]; sections: {", ".join(known)} '
              f'(options of one: {PROG} run SECTION --help)',
              file=sys.stdout if asked else sys.stderr)
        return 0 if asked else 2
    if args.section not in known:
        print(f'{PROG}: error: no chapter {args.section!r}; choose one of '
              f'{", ".join(known)} (see `{PROG} list`)', file=sys.stderr)
        return 2
    extra, rest = run_experiment_parser().parse_known_args(rest)
    if experiment_requested(extra):
        return user_errors(experiment_command, args.section, extra, rest)
    run_chapter_script(args.section, rest)
    return 0


# -------------------------------------------- experiments: seeds, search, evaluate

def _non_negative(text):
    """A number >= 0, finite (weight decay)."""
    value = parsed(text, float, 'a number >= 0')
    if value < 0:
        raise argparse.ArgumentTypeError(f'must be >= 0, got {text}')
    return within('wd', value)  # finite too: nan and inf are refused


def _list_of(kind, name=None):
    """Parse 'a,b,c' into a list of `kind` (for search axes), each within option `name`'s
    limits (limits.check: finite, in range)."""
    def parse(text):
        try:
            values = [kind(v) for v in text.split(',') if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f'expected comma-separated {kind.__name__}s such as 1,2,3, got {text!r}')
        return [within(name, v) for v in values]
    parse.__name__ = f'list of {kind.__name__}'
    return parse


def add_experiment_options(parser, wd=True):
    """Options that change how any training chapter trains (see d2lsoftmax.experiments.experiment)."""
    from d2lsoftmax.sections import INITIALIZERS, OPTIMIZERS
    group = parser.add_argument_group('experiment options')
    if wd:
        group.add_argument('--wd', type=_non_negative, default=0.0, metavar='LAMBD',
                           help='L2 weight decay on the weights (default 0: none)')
    group.add_argument('--lr-decay', type=float, default=None, metavar='RATE',
                       help='multiply lr by RATE (0 < RATE <= 1) every K epochs')
    group.add_argument('--lr-decay-every', type=positive(int), default=1, metavar='K',
                       help='epochs between lr decays (default %(default)s)')
    group.add_argument('--optimizer', choices=list(OPTIMIZERS),
                       help='concise chapters: the Trainer\'s optimizer (default: sgd)')
    group.add_argument('--init', choices=list(INITIALIZERS),
                       help='concise chapters: initialise with this (default: the chapter\'s)')
    return group


def settings_from(args, wd=True):
    """experiment.Settings from parsed experiment options (wd=False: --wd is a search axis)."""
    from d2lsoftmax.experiments.experiment import Settings
    return Settings(wd=args.wd if wd else 0.0, lr_decay=args.lr_decay,
                    lr_decay_every=args.lr_decay_every, optimizer=args.optimizer,
                    init=args.init)


def run_experiment_parser():
    """Options `run` takes besides a chapter's own; no abbreviations (--lr is not --lr-decay)."""
    parser = Parser(prog=f'{PROG} run', add_help=False, allow_abbrev=False)
    parser.add_argument('--seeds', default=None)
    parser.add_argument('--jobs', type=positive(int), default=None)
    parser.add_argument('--scheduler', default=None)
    parser.add_argument('--save-params', default=None)
    add_experiment_options(parser)
    return parser


def experiment_requested(extra):
    """True when `run` was given any experiment option."""
    return (extra.seeds is not None or extra.jobs is not None or extra.save_params is not None
            or extra.scheduler is not None
            or extra.wd or extra.lr_decay is not None or extra.optimizer is not None
            or extra.init is not None)


def user_errors(command, *args):
    """Run a command; a user's mistake (bad option, file, data) is one line and exit status 1,
    a value that parsed but cannot be used (limits.UsageError) exit status 2."""
    from d2lsoftmax.util.limits import UsageError
    try:
        return command(*args) or 0
    except UsageError as e:
        print(f'{PROG}: error: {e}', file=sys.stderr)
        return 2
    except user_error_types() as e:
        print(f'{PROG}: error: {e}', file=sys.stderr)
        return 1


def experiment_command(section, extra, rest):
    """`run SECTION` with experiment options: one run with figures, or a run per seed."""
    found = sections.chapter(section)
    if section not in sections.training_sections():
        raise ValueError(f'chapter {section} {sections.not_trained_by_the_library(found)}; '
                         '--seeds, --wd, --lr-decay, '
                         '--optimizer, --init and --save-params need a training chapter (see '
                         f'`{PROG} list`)')
    args = options_parser(section).parse_args(rest)
    overrides = {k: getattr(args, k) for k in found.settings}
    settings = settings_from(extra)
    from d2lsoftmax.experiments import experiment, seeds
    from d2lsoftmax.util import interrupt
    chosen = None if extra.seeds is None else seeds.parse_seeds(extra.seeds)  # bounded first
    experiment.check(section, settings)
    if extra.seeds is None:
        if extra.jobs is not None or extra.scheduler is not None:
            raise ValueError(f'--{"jobs" if extra.jobs else "scheduler"} runs several seeds at '
                             'once: give --seeds too (e.g. --seeds 0-9)')
        kept = (f'{extra.save_params} was not written (a copy saved before is unchanged)'
                if extra.save_params else 'nothing was saved')
        with interrupt.note(f'{PROG} run {section}', kept, 'run it again to start over'):
            experiment.run_and_report(section, args.seed, settings, args.out,
                                      extra.save_params, **overrides)
        return 0
    if extra.save_params is not None:
        raise ValueError('--save-params saves the model of one run; drop --seeds (use --seed N)')
    return seeds_command(section, chosen, extra, settings, overrides)


def seeds_command(section, chosen, extra, settings, overrides):
    """`run SECTION --seeds ...`: one line per seed as each finishes, then the statistics."""
    from d2lsoftmax.util import interrupt
    from d2lsoftmax.experiments import seeds
    print(f'chapter {section}: {len(chosen)} runs (seeds {extra.seeds}), '
          + ', '.join(f'{k}={v}' for k, v in {**overrides, **settings.changed()}.items()))
    from d2lsoftmax.data import release_line
    print(release_line(), flush=True)  # the release every seed trains on
    finished = []

    def on_done(seed, records):
        finished.append(seed)
        print(seeds.seed_line(seed, records), flush=True)
    with interrupt.note(f'{PROG} run {section} --seeds {extra.seeds}',
                        lambda: f'{len(finished)} of {len(chosen)} seeds had finished (their '
                        'lines are above; runs are not saved)', 'run it again to start over'), \
            cluster_executor(extra.scheduler, extra.jobs) as executor:
        runs = seeds.run_seeds(section, chosen, settings, extra.jobs or 1, on_done=on_done,
                               executor=executor, **overrides)
    print('\n'.join(seeds.report(section, runs, settings, **overrides)))
    return 0


def cluster_executor(address, jobs=None):
    """A context giving a Dask cluster.Executor for --scheduler ADDRESS, or None without one."""
    if address is None:
        return contextlib.nullcontext()
    if jobs is not None:
        raise ValueError('--jobs sets local worker processes; with --scheduler the cluster\'s '
                         'workers run the tasks (dask worker ... --nworkers N): drop --jobs')
    from d2lsoftmax.experiments import cluster
    return cluster.connect(address)


def search_parser(sub):
    """The `search` subcommand's options."""
    from d2lsoftmax.sections import DEFAULT_GRID, SEARCH_SECTION as DEFAULT_SECTION
    p = sub.add_parser('search', help='grid search with k-fold CV on the training set',
                       description='Grid search with k-fold cross-validation inside the '
                       'training set; the best configuration is retrained on all of it '
                       'and scored once on the test set.')
    p.add_argument('section', nargs='?', default=DEFAULT_SECTION,
                   help='chapter to search (default %(default)s)')
    for name, kind in (('lr', float), ('num_hiddens', int), ('wd', float),
                       ('batch_size', int), ('num_epochs', int)):
        default = DEFAULT_GRID.get(name)
        p.add_argument(flag(name), type=_list_of(kind, name), default=None,
                       metavar='V1,V2', help='values to try (default: '
                       + (','.join(f'{v:g}' for v in default) if default else "the chapter's")
                       + ')')
    p.add_argument('--folds', type=positive(int, 'folds'), default=5,
                   help='k of k-fold CV, at least 2 (default 5)')
    p.add_argument('--subset', type=positive(int, 'subset'), default=None, metavar='N',
                   help='use the first N training images only (default: all 60000)')
    p.add_argument('--jobs', type=positive(int), default=None,
                   help='worker processes (default: one per core)')
    p.add_argument('--results', default=None, metavar='FILE',
                   help='JSON-lines results file, resumed if present '
                   '(default OUT/search_SECTION.jsonl)')
    p.add_argument('--seed', type=seed, default=0, help='seeds the folds and every run')
    p.add_argument('--out', default='out', help='folder for results and figures')
    p.add_argument('--save-params', default=None, metavar='FILE',
                   help='save the retrained best model (.npz scratch, .params concise)')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    p.add_argument('--scheduler', default=None, metavar='ADDRESS',
                   help='run the folds on a Dask cluster: tcp://HOST:8786, or local:N for N '
                   "local worker processes (needs pip install 'd2lsoftmax[cluster]')")
    add_experiment_options(p, wd=False)
    return p


def search_command(args):
    """`search`: build the grid and the spec from the options, then run search.search."""
    from d2lsoftmax.experiments import parallel, search
    grid = search.make_grid(args.section, {n: getattr(args, n) for n in search.AXES})
    missing = [a for a in search.DEFAULT_GRID if a not in grid]
    if missing:
        print(f'note: chapter {args.section} has no {", ".join(missing)} option: not searched')
    from d2lsoftmax.util import interrupt, limits
    limits.check_search(args.folds, args.subset or limits.TRAIN_EXAMPLES,
                        math.prod(len(values) for values in grid.values()))  # before any task
    spec = search.Spec(args.section, args.folds, args.subset, args.seed,
                       settings_from(args, wd=False).changed())
    results = args.results or os.path.join(args.out, f'search_{args.section}.jsonl')
    try:
        with cluster_executor(args.scheduler, args.jobs) as executor:
            search.search(spec, grid, results, args.jobs or parallel.default_jobs(), args.out,
                          args.save_params, progress=not args.no_progress, executor=executor)
    except KeyboardInterrupt:
        done = len(search.read_results(results))
        return interrupt.report(f'\ninterrupted: {done} finished folds are in {results}; run '
                                'the same command again to resume')
    return 0


def evaluate_parser(sub):
    """The `evaluate` subcommand's options."""
    p = sub.add_parser('evaluate', help='test accuracy and confusion matrix of saved parameters',
                       description='Load parameters saved by --save-params and score them on '
                       'the test set.')
    p.add_argument('--params', required=True, metavar='FILE',
                   help='a .npz (scratch) or .params (concise) file with its FILE.json record')
    p.add_argument('--batch-size', type=positive(int), default=256)
    p.add_argument('--out', default='out', help='folder for the figures (default %(default)s/)')
    return p


def evaluate_command(args):
    """`evaluate --params FILE`: test accuracy, confusion matrix, figures."""
    from d2lsoftmax.util import interrupt
    from d2lsoftmax.experiments.evaluation import evaluate_file
    with interrupt.note(f'{PROG} evaluate --params {args.params}',
                        f'{args.params} is unchanged', 'run it again to score it'):
        evaluate_file(args.params, args.batch_size, args.out)
    return 0


def notebook_parser(sub):
    """The `notebook` subcommand's options."""
    p = sub.add_parser('notebook', help='write chapters as Jupyter notebooks (.ipynb)',
                       description='Write a chapter script as a Jupyter notebook (jupytext); '
                       'open them with `jupyter lab notebooks/`.')
    p.add_argument('section', choices=[*sections.chapters(), 'all'], metavar='SECTION',
                   help='a chapter (see `d2lsoftmax list`) or all')
    p.add_argument('--out', default='notebooks',
                   help='folder for the .ipynb files (default %(default)s/)')
    return p


def notebook_command(args):
    """`notebook SECTION|all`: one .ipynb per chapter, written atomically."""
    from d2lsoftmax.cli.notebooks import write_notebooks
    for path in write_notebooks(args.section, args.out):
        print('wrote', path)
    return 0


VERIFY_EPOCHS = 2  # `verify`'s default: the first 2 of 5 epochs, about a minute for all


def verify_parser(sub):
    """The `verify` subcommand's options."""
    p = sub.add_parser(
        'verify', help='does this machine reproduce the reference epoch logs?',
        description='Rerun training chapters under seed 0 with the book\'s settings and compare '
        'their epoch lines with the reference logs shipped in the package: exact (this '
        'numerics fingerprint is recorded and every character matches), within the band (not '
        'recorded; every number in the recorded range plus margin) or outside. Exit status 0 '
        'when nothing is outside, 1 otherwise.')
    p.add_argument('sections', nargs='*', metavar='SECTION',
                   help='training chapters to verify (default: all of them)')
    p.add_argument('--epochs', type=positive(int), default=None, metavar='K',
                   help=f'compare the first K of the five epochs (default {VERIFY_EPOCHS}; '
                   '5 with --record)')
    p.add_argument('--json', default=None, metavar='FILE',
                   help='also write the report as JSON to FILE (-: JSON on stdout, the text '
                   'on stderr)')
    p.add_argument('--record', action='store_true',
                   help="also print this machine's blocks in the reference files' format "
                   '(five epochs), to add an unrecorded fingerprint')
    return p


def verify_options(args):
    """(sections, epochs) of `verify`'s arguments; limits.UsageError (exit 2) when bad."""
    from d2lsoftmax.util.limits import UsageError
    from d2lsoftmax.reference import EPOCHS, check_epochs
    chosen = list(dict.fromkeys(args.sections or sections.training_sections()))
    try:
        for section in chosen:
            sections.training_chapter(section)
    except ValueError as e:
        raise UsageError(f'{e} (see `{PROG} list`)') from None
    try:
        epochs = check_epochs(args.epochs or (EPOCHS if args.record else VERIFY_EPOCHS))
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.record and epochs != EPOCHS:
        raise UsageError(f'--record prints blocks of all {EPOCHS} epochs, as the reference '
                         'files hold them: drop --epochs')
    return chosen, epochs


def verify_command(args):
    """`verify [SECTION ...]`: the fingerprint, each chapter's verdict; 1 if any is outside."""
    chosen, epochs = verify_options(args)
    from d2lsoftmax import data, reference
    from d2lsoftmax.util import interrupt, outputs
    if args.json not in (None, '-'):
        outputs.check_file(args.json, '--json')
    release = reference.check_release(data.chosen_release())
    location = data.locate(release=release)  # missing data: one line, before any training
    from d2lsoftmax.experiments import verify
    text = sys.stderr if args.json == '-' else sys.stdout
    found = verify.machine(release)
    print('\n'.join(verify.header_lines(found, location, epochs, chosen)), file=text, flush=True)

    def show(result):
        print('\n' + '\n'.join(verify.result_lines(result, epochs, release)), file=text,
              flush=True)
    with interrupt.note(f'{PROG} verify', 'nothing was written', 'run it again to verify'):
        results = verify.verify(chosen, epochs, release, verify.key(found), on_result=show)
    print('\n' + verify.summary_line(results), file=text)
    if args.record:
        print('\n'.join(verify.record_lines(found, release, results)), file=text)
    if args.json is not None:
        _write_json(args.json, verify.dumps(verify.as_json(found, release, epochs, results)), text)
    return verify.exit_status(results)


def _write_json(path, report, text):
    """`report` to stdout for '-', else to file `path` atomically, said on stream `text`."""
    if path == '-':
        sys.stdout.write(report)
        return

    from d2lsoftmax.util.outputs import write_bytes
    write_bytes(path, report.encode('utf-8'))  # whole or not at all
    print(f'wrote {path}', file=text)

