"""Values that parse but would break a run later are refused at parse time.

Each is one line on stderr and exit status 2, before any data is read or model trained.
"""
import time

import pytest

from d2lsoftmax import cli
from d2lsoftmax.util import limits
from d2lsoftmax.experiments import seeds

SEARCH = ['search', '3.10', '--lr', '0.1', '--num-hiddens', '10', '--wd', '0',
          '--batch-size', '100', '--num-epochs', '1', '--no-progress']


def _status(argv, capsys):
    """(exit status, the stderr lines, stdout) of `d2lsoftmax ARGV` run in this process."""
    try:
        code = cli.main(argv)
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, err.strip().splitlines(), out


@pytest.mark.parametrize('argv, needle', [
    (['run', '3.6', '--seed', '-1'], 'seeds are 0 to 4294967295'),
    (['run', '3.6', '--seed', str(2 ** 32)], 'seeds are 0 to 4294967295'),
    (['run', '3.6', '--seed', '1.5'], "expected a whole number, got '1.5'"),
    (['run', '3.6', '--lr', 'inf'], 'must be a finite number, got inf'),
    (['run', '3.6', '--lr=-inf'], 'must be positive'),
    (['run', '3.6', '--lr', 'nan'], 'must be positive, got nan'),
    (['run', '3.7', '--wd', 'nan'], 'must be a finite number, got nan'),
    (['run', '3.7', '--wd', 'inf'], 'must be a finite number, got inf'),
    (['run', '3.10', '--num-hiddens', '99999999999'], '1 to 10000 hidden units'),
    (['run', '3.9', '--num-hiddens', '10001'], '1 to 10000 hidden units'),
    (['run', '3.13', '--drop-prob1', '1'], 'a drop probability is at least 0 and below 1'),
    (['run', '3.13', '--drop-prob2=-0.1'], 'must be positive or 0'),
    (['run', '3.6', '--seeds', '0-30000000'], 'asks for 30000001 runs; at most 1000'),
    (['run', '3.6', '--seeds', '0-999,1000'], 'asks for 1001 runs; at most 1000'),
    (['run', '3.6', '--seeds', '4294967296'], 'is too large: seeds are 0 to 4294967295'),
    (['run', '3.6', '--seeds', '0-x'], 'bad seed list'),
    (SEARCH + ['--folds', '700', '--subset', '600'], '--folds 700 is more than the 600'),
    (SEARCH + ['--folds', '60001'], '2 to 60000'),
    (SEARCH + ['--folds', '1'], '2 to 60000'),
    (SEARCH + ['--subset', '60001'], '1 to 60000'),
    (SEARCH + ['--seed', '-1'], 'seeds are 0 to 4294967295'),
    (['search', '3.10', '--lr', '0.1,inf'], 'must be a finite number, got inf'),
    (['search', '3.10', '--wd', '0,nan'], 'must be a finite number, got nan'),
    (['search', '3.10', '--num-hiddens', '10,99999999999'], '1 to 10000 hidden units'),
    (['search', '3.10', '--lr', ','.join(str(0.01 * i) for i in range(1, 101)),
      '--num-hiddens', '10,20', '--wd', '0', '--batch-size', '100', '--folds', '60'],
     'would train 12000 times'),
])
def test_refused_at_parse_time(argv, needle, capsys):
    start = time.perf_counter()
    code, err, out = _status(argv, capsys)
    assert code == 2, (err, out)
    assert len(err) == 1 and 'error:' in err[0] and needle in err[0], err
    assert 'data:' not in out and 'epoch' not in out and 'Traceback' not in ''.join(err)
    assert time.perf_counter() - start < 20  # no 2.4 GB seed list, no 10^8 tasks


@pytest.mark.parametrize('name, value', [('seed', 0), ('seed', 2 ** 32 - 1), ('lr', 1e-9),
                                         ('lr', 50.0), ('wd', 0.0), ('num_hiddens', 10000),
                                         ('drop_prob1', 0.0), ('drop_prob2', 0.99),
                                         ('folds', 60000), ('subset', 1)])
def test_the_bounds_themselves_are_accepted(name, value):
    assert limits.check(name, value) == value


def test_seed_lists_up_to_the_limit_parse_and_larger_ones_are_never_built():
    assert seeds.parse_seeds('0-999') == list(range(1000))
    assert seeds.parse_seeds(f'{2 ** 32 - 1}') == [2 ** 32 - 1]
    start = time.perf_counter()
    with pytest.raises(limits.UsageError, match='at most 1000'):
        seeds.parse_seeds('0-2999999999')
    assert time.perf_counter() - start < 0.1


def test_the_search_library_refuses_too_many_folds_before_building_tasks(tmp_path):
    from d2lsoftmax.experiments import search
    with pytest.raises(limits.UsageError, match='more than the 600'):
        search.run_search(search.Spec('3.7', k=700, subset=600), {'lr': [0.1]},
                          str(tmp_path / 'r.jsonl'), progress=False, log=lambda *a: None)
    assert not (tmp_path / 'r.jsonl').exists()
