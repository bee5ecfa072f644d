"""Rewrite the golden 5-epoch logs: python tests/golden/regenerate.py [SECTION ...]

Each training chapter is run with its defaults under seed 0; the log gets a
header recording the versions and machine it was made with. Regenerate only
after a deliberate change (a dependency upgrade, a fix), and say why in the commit.
"""
import os
import platform
import sys

import mxnet
import numpy

from d2lsoftmax import runs
from d2lsoftmax.training import EPOCH_LINE

GOLDEN_DIR = os.path.dirname(os.path.abspath(__file__))
SEED = 0


def golden_path(section):
    return os.path.join(GOLDEN_DIR, f'{section}.log')


def header(section):
    module = runs.chapter_module(section)
    settings = ' '.join(f'{k}={v}' for k, v in module.DEFAULTS.items())
    return [f'# golden epoch log of chapter {section}, seed {SEED}, {settings}',
            f'# mxnet {mxnet.__version__}, numpy {numpy.__version__}, '
            f'python {platform.python_version()}, {platform.system()} {platform.machine()}',
            f'# regenerate: python tests/golden/regenerate.py {section}']


def regenerate(section):
    records, _ = runs.train_chapter(section, seed=SEED)
    lines = header(section) + [EPOCH_LINE % r for r in records]
    with open(golden_path(section), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print('\n'.join(lines))


if __name__ == '__main__':
    for section in sys.argv[1:] or runs.training_sections():
        regenerate(section)
