"""Rewrite the golden epoch logs: python tests/golden/regenerate.py [--matrix] [SECTION ...]

Each training chapter is run with its defaults under seed 0, in a fresh process,
and its five epoch lines are stored in d2lsoftmax/reference/golden/RELEASE/SECTION.log (the
package data d2lsoftmax.reference reads) as one block per numerics fingerprint
(d2lsoftmax/numerics.py). Without --matrix only
the block of this machine as it is configured now is written; with --matrix
every oneDNN ISA cap this CPU supports and oneDNN switched off are run too, and
the runs with 1 and 2 OpenMP threads are checked to repeat their block exactly.
With --synthetic the chapters on synthetic data (3.11, 3.12) are run instead, each
script in a fresh process, and what they print goes to golden/synthetic/SECTION.log.
Regenerate only after a deliberate change (a dependency upgrade, a fix), and say
why in the commit.
"""
import argparse
import json
import os
import subprocess
import sys

from d2lsoftmax.util import numerics
from d2lsoftmax.reference import (SYNTHETIC, SYNTHETIC_SECTIONS, format_block, golden_path,
                                  parity_marks, read_blocks, result_lines)

SEED = 0
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def emit(sections, parity=False):
    """Worker: train each section here and print one JSON object of the results; with
    `parity`, d2lzh.train_ch3 must print the same lines (on our batches, and on gluon's
    DataLoader for 3.6), and the result names this numpy for the block's PARITY mark."""
    import numpy
    from d2lsoftmax import data
    from d2lsoftmax.experiments import runs
    from d2lsoftmax.training import EPOCH_LINE
    release = data.locate().release
    lines = {}
    for section in sections:
        records, _ = runs.train_chapter(section, seed=SEED)
        lines[section] = [EPOCH_LINE % r for r in records]
        if parity:
            check_parity(section, lines[section])
    print(json.dumps({'fingerprint': numerics.fingerprint(release), 'lines': lines,
                      'parity': numpy.__version__ if parity else None}))


def check_parity(section, lines):
    """Exit unless d2lzh.train_ch3 prints `lines` for `section` under SEED (on gluon's
    DataLoader too, for 3.6): a block is marked PARITY only when it holds."""
    from d2lsoftmax.experiments import runs
    from d2lsoftmax.reference import book
    pipelines = {'ours': {}}
    if section == '3.6':
        pipelines['gluon'] = {'loader': lambda b: book.load_data_fashion_mnist(b, eager=True)}
    for name, kwargs in pipelines.items():
        theirs, _ = runs.train_chapter(section, seed=SEED, train=book.train_ch3_lines, **kwargs)
        if list(theirs) != lines:
            sys.exit(f'{section}: d2lzh.train_ch3 on {name} batches printed other lines than '
                     f'ours:\n{theirs}\n{lines}')


def emit_synthetic(sections):
    """Worker: run each synthetic chapter's script (seed 0, the book's settings) in a fresh
    process and print one JSON object of the lines it printed."""
    import tempfile
    from d2lsoftmax.sections import chapter
    lines = {}
    with tempfile.TemporaryDirectory() as out:
        for section in sections:
            script = os.path.join(REPO, 'chapters', chapter(section).script + '.py')
            printed = subprocess.run([sys.executable, script, '--seed', str(SEED), '--out', out],
                                     check=True, stdout=subprocess.PIPE, text=True).stdout
            lines[section] = result_lines(printed)
    print(json.dumps({'fingerprint': numerics.fingerprint(SYNTHETIC), 'lines': lines}))


def seed_statistics(sections, seeds):
    """{section: {'seeds': [...], 'final': {column: [mean, sd]}}} of the final epochs."""
    import numpy as np
    from d2lsoftmax.experiments import runs
    stats = {}
    for section in sections:
        finals = np.array([list(runs.train_chapter(section, seed=seed)[0][-1])[1:]
                           for seed in seeds])  # (len(seeds), 3): loss, train acc, test acc
        stats[section] = {'seeds': f'{seeds[0]}-{seeds[-1]}', 'final': {
            column: [round(float(finals[:, i].mean()), 5), round(float(finals[:, i].std(ddof=1)), 5)]
            for i, column in enumerate(('loss', 'train_acc', 'test_acc'))}}
        print(section, stats[section], flush=True)
    return stats


def write_seed_statistics(sections, seeds):
    """Measure the seeds' spread here and print it as d2lsoftmax/book_figures.py's MEASURED
    entries (paste them there: the package ships them, tests/reference/test_bands.py reads them)."""
    for section, found in seed_statistics(sections, seeds).items():
        final = found['final']
        print(f"    ({section!r}, CURRENT): Spread({section!r}, CURRENT, _MEASURED_BY, "
              f"{len(seeds)}, {tuple(final['loss'])}, {tuple(final['train_acc'])}, "
              f"{tuple(final['test_acc'])}),")


def spread(sections, release='2017-08-31'):
    """Print, per chapter and column, the range the fingerprints span and the leave-one-out
    excess (how far one fingerprint's value falls outside the range of the others)."""
    import re
    line = re.compile(r'epoch (\d+), loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)$')
    print(f'{"chapter":<13}{"column":<10}{"range":>8}{"leave-one-out excess":>22}')
    for section in sections:
        blocks = [[[float(v) for v in line.match(l).groups()[1:]] for l in lines]
                  for lines in read_blocks(golden_path(release, section)).values()]
        for j, column in enumerate(('loss', 'train_acc', 'test_acc')):
            width = excess = 0.0
            for epoch in range(len(blocks[0])):
                values = [b[epoch][j] for b in blocks]
                width = max(width, max(values) - min(values))
                for i, v in enumerate(values):
                    rest = values[:i] + values[i + 1:]
                    excess = max(excess, min(rest) - v, v - max(rest))
            print(f'{section:<13}{column:<10}{width:>8.4f}{excess:>22.4f}')


def run_worker(sections, env_changes, parity=False):
    """Run `emit` (or emit_synthetic) in a fresh process with `env_changes`; its parsed JSON."""
    env = {**os.environ, 'MXNET_STORAGE_FALLBACK_LOG_VERBOSE': '0', **env_changes}
    synthetic = ['--synthetic'] if set(sections) <= set(SYNTHETIC_SECTIONS) else []
    parity = ['--parity'] if parity and not synthetic else []
    out = subprocess.run([sys.executable, __file__, '--emit', *synthetic, *parity, *sections],
                         env=env,
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def matrix_envs():
    """The configurations --matrix runs: each ISA cap, oneDNN off, and 1 and 2 threads."""
    envs = [{'DNNL_MAX_CPU_ISA': isa} for isa in numerics.supported_isas()[:4]]
    envs.append({'MXNET_MKLDNN_ENABLED': '0'})
    envs += [{'OMP_NUM_THREADS': '1'}, {'OMP_NUM_THREADS': '2'}]
    # MXNet's OpenBLAS picks its kernels by CPU too; where it does not know the CPU (here)
    # d2lsoftmax.util.blas asks for Haswell's. OpenBLAS's own fallback, Prescott, is recorded too.
    envs += [{'OPENBLAS_CORETYPE': 'Prescott'},
             {'OPENBLAS_CORETYPE': 'Prescott', 'DNNL_MAX_CPU_ISA': 'AVX2'},
             {'OPENBLAS_CORETYPE': 'Prescott', 'MXNET_MKLDNN_ENABLED': '0'}]
    return envs


def run_all(sections, envs, parallel=2, parity=False):
    """[(env, result)] of a worker per env, `parallel` at a time (each is single-threaded
    unless its env says otherwise); every result is also printed as it lands."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(parallel) as pool:
        results = list(zip(envs, pool.map(lambda env: run_worker(sections, env, parity), envs)))
    for env, result in results:
        print(json.dumps({'env': env, **result}), file=sys.stderr)
    return results


def header(section, release):
    from d2lsoftmax.sections import chapter
    settings = ' '.join(f'{k}={v}' for k, v in chapter(section).defaults.items())
    if release == SYNTHETIC:
        return [f'# golden printed lines of chapter {section}, seed {SEED}, {settings}, '
                'synthetic data',
                '# one block per numerics fingerprint (tests/golden/README.md); regenerate: '
                f'python tests/golden/regenerate.py --synthetic --matrix {section}']
    return [f'# golden epoch logs of chapter {section}, seed {SEED}, {settings}, '
            f'Fashion-MNIST release {release}',
            '# one block per numerics fingerprint (tests/golden/README.md); regenerate: '
            f'python tests/golden/regenerate.py --matrix {section}']


def write_blocks(path, section, release, blocks, marks=None):
    """Replace the golden file `path` whole (d2lsoftmax.util.outputs: a full disk leaves the
    old); `marks`: {fingerprint: numpy versions} of the blocks d2lzh printed too."""
    from d2lsoftmax.util import outputs
    lines = header(section, release)
    for fp in sorted(blocks):
        lines.append(format_block(fp, blocks[fp], (marks or {}).get(fp, ())))
    outputs.write_bytes(path, ('\n'.join(lines) + '\n').encode('utf-8'))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('sections', nargs='*')
    parser.add_argument('--matrix', action='store_true')
    parser.add_argument('--seeds', type=int, metavar='N',
                        help='instead: print the final-epoch mean and sd over seeds 0..N-1 '
                        '(the band of tests/reference/test_bands.py; goes into book_figures.MEASURED)')
    parser.add_argument('--env', action='append', default=[], metavar='K=V[,K=V]',
                        help='instead of --matrix: run under these settings (repeatable)')
    parser.add_argument('--spread', action='store_true',
                        help='instead: print the spread of the recorded fingerprints')
    parser.add_argument('--synthetic', action='store_true',
                        help='the chapters on synthetic data (3.11, 3.12) instead')
    parser.add_argument('--parity', action='store_true',
                        help='also run d2lzh.train_ch3 and mark the blocks it agrees with '
                        '(the parity tests then need not rerun it on this machine)')
    parser.add_argument('--emit', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from d2lsoftmax.sections import training_sections
    sections = args.sections or (list(SYNTHETIC_SECTIONS) if args.synthetic
                                 else training_sections())
    chosen = set(sections)
    if chosen & set(SYNTHETIC_SECTIONS) and not chosen <= set(SYNTHETIC_SECTIONS):
        parser.error(f'regenerate the chapters on synthetic data ({", ".join(SYNTHETIC_SECTIONS)}) '
                     'apart from the training chapters: --synthetic')
    if args.emit:
        return emit_synthetic(sections) if chosen <= set(SYNTHETIC_SECTIONS) \
            else emit(sections, args.parity)
    if args.spread:
        return spread(sections)
    if args.seeds:
        return write_seed_statistics(sections, list(range(args.seeds)))
    envs = [dict(kv.split('=', 1) for kv in text.split(',')) for text in args.env]
    results = run_all(sections, envs or [{}] + (matrix_envs() if args.matrix else []),
                      parity=args.parity)
    new = {}  # (release, section) -> {fingerprint: lines}
    checked = {}  # fingerprint -> numpy versions d2lzh agreed under
    for env, result in results:
        fp = numerics.format_fingerprint(result['fingerprint'])
        if result.get('parity'):
            checked.setdefault(fp, set()).add(result['parity'])
        for section, lines in result['lines'].items():
            blocks = new.setdefault((result['fingerprint']['release'], section), {})
            if fp in blocks and blocks[fp] != lines:
                sys.exit(f'{section}: {env} gave other lines than the same fingerprint '
                         f'({fp}): the fingerprint misses something that matters')
            blocks[fp] = lines
            print(f'{section:<13} {env or "as configured"}: {lines[-1]}')
    from d2lsoftmax.util.outputs import WriteError
    for (release, section), blocks in new.items():
        path = golden_path(release, section)
        try:
            old = read_blocks(path)
            marks = {fp: set(versions) for fp, versions in parity_marks(path).items()
                     if fp not in blocks or blocks[fp] == old.get(fp)}  # still the same lines
            for fp in blocks:
                marks.setdefault(fp, set()).update(checked.get(fp, ()))
            write_blocks(path, section, release, {**old, **blocks}, marks)
        except WriteError as e:
            sys.exit(f'error: {e}')  # one line, exit status 1
        print('wrote', path)


if __name__ == '__main__':
    main()
