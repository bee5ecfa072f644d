"""Multi-seed statistics and the book's published figures."""
import os

import numpy as np
import pytest

from d2lsoftmax import cli
from d2lsoftmax.experiments import seeds
from d2lsoftmax.experiments.experiment import Settings
from d2lsoftmax.training import EpochRecord
from support import REPO

GOLDEN = os.path.join(REPO, 'tests', 'golden')
BOOK_LOGS = """# Published epoch logs

## Source A — d2l-ai/d2l-zh, commit abc

### 3.6 softmax regression from scratch (batch 256, lr 0.1, 5 epochs)
```
epoch 1, loss 0.7896, train acc 0.745, test acc 0.803
epoch 2, loss 0.5728, train acc 0.812, test acc 0.818
```

## Other published re-runs (final epoch: loss / train acc / test acc)

| chapter | re-run 1 (copy) | re-run 2 |
|---|---|---|
| 3.6 scratch | 0.4911 / 0.834 / 0.840 | — |
"""


@pytest.mark.parametrize('text, expected', [
    ('0-9', list(range(10))), ('0,3,5', [0, 3, 5]), ('0-2,7,1', [0, 1, 2, 7]), ('4', [4])])
def test_parse_seeds(text, expected):
    assert seeds.parse_seeds(text) == expected


@pytest.mark.parametrize('text', ['a', '3-1', '0-', '1,,2', '-1'])
def test_bad_seed_lists_are_refused(text):
    with pytest.raises(ValueError, match='seed'):
        seeds.parse_seeds(text)


def test_parse_book_logs():
    figures = seeds.parse_book_logs(BOOK_LOGS)['3.6']
    assert figures[0] == seeds.BookFigure('Source A', 1, 0.7896, 0.745, 0.803)
    assert figures[1].epoch == 2
    assert figures[2] == seeds.BookFigure('re-run 1 (copy)', None, 0.4911, 0.834, 0.840)
    assert len(figures) == 3  # the '—' cell is no figure


def test_the_real_book_logs_have_every_training_chapter():
    path = seeds.find_book_logs()
    if path is None:
        pytest.skip('book_logs.md not found')
    figures = seeds.parse_book_logs(open(path).read())
    for section in ('3.6', '3.7', '3.9', '3.10'):
        finals = [f for f in figures[section] if f.epoch == 5]
        assert len(finals) == 1 and 0.79 < finals[0].test_acc < 0.9


def test_summarize_gives_mean_and_sample_std():
    finals = [EpochRecord(5, loss, 0.8, acc) for loss, acc in ((0.5, 0.82), (0.4, 0.84))]
    stats = seeds.summarize(finals)
    assert stats['loss'] == pytest.approx((0.45, np.std([0.5, 0.4], ddof=1)))
    assert stats['test_acc'][0] == pytest.approx(0.83)
    assert stats['train_acc'][1] == 0


def _runs(accs, epoch=2):
    return {s: [EpochRecord(epoch, 0.57 + s / 1000, 0.81, acc)] for s, acc in enumerate(accs)}


def test_report_places_the_book_figure_in_the_spread(tmp_path, monkeypatch):
    book = tmp_path / 'book_logs.md'
    book.write_text(BOOK_LOGS)
    monkeypatch.setenv(seeds.BOOK_LOGS_ENV, str(book))
    lines = seeds.report('3.6', _runs([0.80, 0.81, 0.82, 0.83]), num_epochs=2)
    text = '\n'.join(lines)
    assert 'mean' in text and 'std' in text and '4 seeds' in text
    assert 'the book after epoch 2' in text
    # the book's test acc 0.818 is above 2 of 4 seeds and (0.818 - 0.815)/0.0129 = +0.2 sd
    assert 'test acc 0.818 (+0.2 sd, > 2/4)' in text
    assert 'within 2 sd' in text


def test_report_says_when_the_book_is_far_off(tmp_path, monkeypatch):
    book = tmp_path / 'book_logs.md'
    book.write_text(BOOK_LOGS)
    monkeypatch.setenv(seeds.BOOK_LOGS_ENV, str(book))
    text = '\n'.join(seeds.report('3.6', _runs([0.70, 0.701, 0.702]), num_epochs=2))
    assert 'more than 2 sd away: Source A' in text


def test_report_skips_the_book_without_the_file_or_with_other_settings(tmp_path, monkeypatch):
    monkeypatch.setenv(seeds.BOOK_LOGS_ENV, str(tmp_path / 'nowhere.md'))
    text = '\n'.join(seeds.report('3.6', _runs([0.8, 0.81])))
    assert 'book_logs.md not found' in text and seeds.BOOK_LOGS_ENV in text
    (tmp_path / 'nowhere.md').write_text(BOOK_LOGS)
    text = '\n'.join(seeds.report('3.6', _runs([0.8, 0.81]), Settings(wd=0.01)))
    assert 'differs from the book (wd=0.01)' in text
    text = '\n'.join(seeds.report('3.6', _runs([0.8, 0.81]), lr=0.3))
    assert 'lr=0.3 (book: 0.1)' in text


def test_the_book_is_placed_only_among_seeds_run_on_its_release(monkeypatch):
    """Without $D2LSOFTMAX_BOOK_LOGS: seeds on the book's release are compared with the
    shipped figures; on the other release the comparison is skipped, saying why, and the
    spread this package measured there is given instead."""
    from d2lsoftmax.reference import book_figures
    from d2lsoftmax.data.releases import BOOK, CURRENT
    monkeypatch.delenv(seeds.BOOK_LOGS_ENV, raising=False)
    finals = _runs([0.80, 0.81, 0.82, 0.83], epoch=5)
    monkeypatch.setattr(seeds, 'run_release', lambda: BOOK)
    text = '\n'.join(seeds.report('3.6', finals))
    assert 'the book after epoch 5' in text and 'comparison skipped' not in text
    monkeypatch.setattr(seeds, 'run_release', lambda: CURRENT)
    text = '\n'.join(seeds.report('3.6', finals))
    assert 'the book after epoch' not in text
    assert f'book comparison skipped: the book ran on Fashion-MNIST {BOOK}' in text
    spread = book_figures.measured('3.6', CURRENT)
    assert f'measured on {CURRENT} over {spread.seeds} seeds' in text
    assert f'test acc {spread.test_acc[0]:.4f} ± {spread.test_acc[1]:.4f}' in text


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_run_with_seeds_prints_each_seed_then_the_statistics(capsys):
    """Two real one-epoch runs of 3.7; seed 0's line is the chapter's own (golden) first epoch."""
    assert cli.main(['run', '3.7', '--seeds', '0,1', '--num-epochs', '1']) == 0
    out = capsys.readouterr().out.splitlines()
    from support.chapter_runs import seed0_lines
    assert f'seed   0: {seed0_lines("3.7")[0]}' in out
    seed_lines = [l for l in out if l.startswith('seed ')]
    assert len(seed_lines) == 2
    accs = [float(l.rsplit(' ', 1)[1]) for l in seed_lines]
    mean = next(l for l in out if l.startswith('mean'))
    assert float(mean.split()[-1]) == pytest.approx(np.mean(accs), abs=6e-4)
    assert any('the book after epoch 1' in l or 'book comparison skipped' in l for l in out)


def test_seeds_refuse_save_params_and_lonely_jobs(capsys):
    assert cli.main(['run', '3.6', '--seeds', '0-1', '--save-params', 'x.npz']) == 1
    assert '--save-params saves the model of one run' in capsys.readouterr().err
    assert cli.main(['run', '3.6', '--jobs', '2']) == 1
    assert 'give --seeds too' in capsys.readouterr().err
