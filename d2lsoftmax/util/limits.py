"""The bounds on option values: refuse at parse time what would parse but break a run later.

Plain Python, no MXNet (a leaf utility): cli.py parses options with `check`,
seeds.parse_seeds bounds seed lists, and checkpoint.py checks the options a saved
record holds with the same rules. The bounds, and why:

- seed: 0 to 2**32 - 1, what numpy's RandomState (the data order) accepts;
- --seeds: at most MAX_SEEDS (1000) runs, each a whole training;
- num_hiddens: 1 to MAX_NUM_HIDDENS (10000): 3.13's hidden-to-hidden layer then
  holds 10^8 weights (400 MB, as much again for its gradient); the book uses 256;
- lr > 0 and wd >= 0, both finite (inf and nan train nothing);
- drop_prob1/2 in [0, 1): a probability, and 1 would drop every unit;
- subset and search --folds: at most the TRAIN_EXAMPLES (60000) training images,
  folds at least 2; a search trains at most MAX_SEARCH_RUNS (10000) folds in all.
"""
import math

SEED_LIMIT = 2 ** 32  # seeds are 0 .. SEED_LIMIT - 1
MAX_SEEDS = 1000
MAX_NUM_HIDDENS = 10000
TRAIN_EXAMPLES = 60000  # the training set of both Fashion-MNIST releases
MAX_SEARCH_RUNS = 10000  # configurations x folds
PROBABILITIES = ('drop_prob1', 'drop_prob2')
WHOLE = ('num_hiddens', 'batch_size', 'num_epochs', 'subset', 'folds', 'seed')


class UsageError(ValueError):
    """A value that parses but cannot be used: reported in one line with exit status 2."""


def check(name, value):
    """`value` of option `name` if it is usable, else UsageError saying what is allowed."""
    reason = problem(name, value)
    if reason:
        raise UsageError(f'{_flag(name)}: {reason}')
    return value


def problem(name, value):
    """What is wrong with `value` for option `name`, in words; None when it is usable."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f'must be a number, got {value!r}'
    if not math.isfinite(value):
        return f'must be a finite number, got {value}'
    if name in WHOLE and value != int(value):
        return f'must be a whole number, got {value}'
    low, high, why = _bounds(name)
    if (low is not None and value < low) or (high is not None and value > high) \
            or (name == 'lr' and value <= 0) or (name in PROBABILITIES and value >= 1):
        return f'{_show(value)} is out of range: {why}'
    return None


def _bounds(name):
    """(lowest, highest or None, the rule in words) of option `name`."""
    if name == 'seed':
        return 0, SEED_LIMIT - 1, f'seeds are 0 to {SEED_LIMIT - 1} (2**32 - 1)'
    if name == 'num_hiddens':
        return 1, MAX_NUM_HIDDENS, (f'1 to {MAX_NUM_HIDDENS} hidden units (the book uses 256)')
    if name in PROBABILITIES:
        return 0, None, 'a drop probability is at least 0 and below 1'
    if name in ('subset', 'folds'):
        low = 2 if name == 'folds' else 1
        return low, TRAIN_EXAMPLES, (f'{low} to {TRAIN_EXAMPLES}, the number of training '
                                     'images')
    if name == 'wd':
        return 0, None, 'weight decay is >= 0'
    if name == 'lr':
        return None, None, 'a learning rate is > 0'
    return 1 if name in WHOLE else None, None, 'it must be positive'


def _show(value):
    """An int as it is, a float in %g: 99999999999, 1e+20, 0.5."""
    return str(value) if isinstance(value, int) else f'{value:g}'


def _flag(name):
    """--num-hiddens for num_hiddens."""
    return '--' + name.replace('_', '-')


def check_seed_range(first, last, text):
    """UsageError unless seeds first..last lie in 0 .. 2**32 - 1 and are at most MAX_SEEDS."""
    if last >= SEED_LIMIT:
        raise UsageError(f'seed {last} in --seeds {text} is too large: seeds are 0 to '
                         f'{SEED_LIMIT - 1}')
    if last - first + 1 > MAX_SEEDS:
        raise UsageError(f'--seeds {text} asks for {last - first + 1} runs; at most '
                         f'{MAX_SEEDS} seeds are run at once (each trains a whole chapter)')


def check_seed_count(count, text):
    """UsageError when a seed list holds more than MAX_SEEDS seeds."""
    if count > MAX_SEEDS:
        raise UsageError(f'--seeds {text} asks for {count} runs; at most {MAX_SEEDS} seeds '
                         'are run at once (each trains a whole chapter)')


def check_search(folds, examples, configurations):
    """UsageError unless `folds` folds of `examples` images and the grid's size are usable."""
    if folds > examples:
        raise UsageError(f'--folds {folds} is more than the {examples} training images '
                         'searched: each fold needs at least one image (lower --folds or '
                         'raise --subset)')
    runs = folds * configurations
    if runs > MAX_SEARCH_RUNS:
        raise UsageError(f'this search would train {runs} times ({configurations} '
                         f'configurations x {folds} folds); at most {MAX_SEARCH_RUNS} are '
                         'allowed: fewer values or folds')
