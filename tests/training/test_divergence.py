"""A divergence whose loss stays finite is reported as one, naming the epoch, and the
criterion never fires on a healthy run (every recorded golden epoch). A nan is stopped on
every training path, the chapters' own written-out loops included."""
import glob
import math
import os
import re
import subprocess
import sys

import pytest

import d2lsoftmax as d2l
from d2lsoftmax import cli, reference, sections, training
from d2lsoftmax.experiments import experiment
from d2lsoftmax.data import FashionMNISTIter, load_arrays
from d2lsoftmax.training import EpochRecord, TrainingDiverged
from support import REPO

GOLDEN = reference.FOLDER  # the golden logs, package data
EPOCH = re.compile(r'epoch (\d+), loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)')


def _golden_records():
    """(file, EpochRecord) of every epoch line of every golden log: default, healthy runs."""
    found = []
    for path in sorted(glob.glob(os.path.join(GOLDEN, '*', '*.log'))):
        for line in open(path):
            match = EPOCH.match(line)
            if match:
                e, loss, train_acc, test_acc = match.groups()
                found.append((os.path.basename(path),
                              EpochRecord(int(e), float(loss), float(train_acc), float(test_acc))))
    return found


def test_the_criterion_never_fires_on_the_default_run_of_any_chapter():
    records = _golden_records()
    chapters = {name for name, _ in records}
    assert {f'{section}.log' for section in sections.golden_sections()} <= chapters
    for name, record in records:
        training.check_divergence(record, 0.5, 10)  # raises if it fired
    dropout_first = min(r.train_acc for name, r in records if name.startswith('3.13')
                        and r.epoch == 1)
    assert dropout_first > 0.5  # the lowest healthy first epoch is far from chance


@pytest.mark.parametrize('record, fires', [
    (EpochRecord(1, 1126.7774, 0.100, 0.100), True),  # 3.10 at lr 50
    (EpochRecord(1, 1686.4283, 0.098, 0.100), True),  # 3.9 at lr 50
    (EpochRecord(3, 14.1375, 0.098, 0.100), True),  # 3.9 at lr 50, epoch 3
    (EpochRecord(1, 173.7099, 0.684, 0.774), False),  # 3.7 at lr 50: rough, but it learns
    (EpochRecord(1, 2.3020, 0.100, 0.100), False),  # a tiny lr: not learning yet, no divergence
    (EpochRecord(1, 2.5, 0.09, 0.1), False),  # Xavier's higher start
    (EpochRecord(1, 1.1730, 0.548, 0.765), False),  # 3.13's first epoch
])
def test_the_criterion(record, fires):
    if fires:
        with pytest.raises(TrainingDiverged, match=rf'diverged in epoch {record.epoch}: .*'
                                                   r'chance \(lr=50\).*lower the learning'):
            training.check_divergence(record, 50, 10)
    else:
        training.check_divergence(record, 50, 10)


@pytest.mark.parametrize('loss', [float('nan'), float('inf')])
def test_a_loss_that_is_not_finite_stops_the_epoch_and_says_what_to_try(loss):
    with pytest.raises(TrainingDiverged) as info:
        training.check_divergence(EpochRecord(2, loss, 0.1, 0.1), 50.0)
    assert str(info.value) == (
        f'training diverged in epoch 2: the mean loss is {loss} (lr=50): the steps are too '
        'large and the numbers overflowed. Try again: lower the learning rate (--lr), e.g. '
        'to 5 (the book uses 0.1 to 0.5).')


def test_one_output_is_no_classifier():
    training.check_divergence(EpochRecord(1, 100.0, 1.0, 1.0), 0.1, 1)


@pytest.fixture(scope='module')
def subset():
    """loader(batch_size) over 4096 training and 512 test images of the real data."""
    try:
        images, labels = load_arrays('train', root=_real_dir())
        test_images, test_labels = load_arrays('test', root=_real_dir())
    except Exception as e:  # noqa: BLE001 - any missing data skips
        pytest.skip(f'real Fashion-MNIST not found: {e}')

    def loader(batch_size):
        return (FashionMNISTIter(images[:4096], labels[:4096], batch_size, shuffle=True),
                FashionMNISTIter(test_images[:512], test_labels[:512], batch_size))
    return loader


def _real_dir():
    from conftest import REAL_DATA_DIR
    if REAL_DATA_DIR is None:
        pytest.skip('real Fashion-MNIST not found')
    return REAL_DATA_DIR


@pytest.mark.parametrize('section', ['3.9', '3.10'])
def test_the_mlps_at_lr_50_stop_in_epoch_1(section, subset):
    with pytest.raises(TrainingDiverged, match=r'training diverged in epoch 1: the mean loss '
                                               r'[\d.e+]+ is over twice that of guessing'):
        experiment.train(section, 0, loader=subset, lr=50.0, num_epochs=3)


@pytest.mark.parametrize('section', sections.taking('num_hiddens'))  # the MLPs
def test_the_book_settings_do_not_stop(section, subset):
    """Dropout after 16 steps is still near chance (train acc 0.13) with a loss near
    ln 10: a slow start, not a divergence, and it is not stopped."""
    records = experiment.train(section, 0, loader=subset, num_epochs=1).records
    assert math.isfinite(records[0].loss) and records[0].loss < 2 * math.log(10)


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_run_3_10_at_lr_50_is_one_line_and_exit_1(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(['run', '3.10', '--lr', '50', '--num-epochs', '2'])
    assert info.value.code == 1
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [next(l for l in err.splitlines() if l.startswith('error'))]
    assert 'training diverged in epoch 1' in err and 'lower the learning rate' in err
    assert 'Traceback' not in err and 'epoch 1,' not in out


def test_train_ch3_reports_it_too():
    """The book's own calling convention (d2l.train_ch3) gets the same stop."""
    images, labels = load_arrays('train', root=_real_dir())
    test_images, test_labels = load_arrays('test', root=_real_dir())
    train_iter = FashionMNISTIter(images[:2048], labels[:2048], 256, shuffle=True)
    test_iter = FashionMNISTIter(test_images[:256], test_labels[:256], 256)
    d2l.set_seed(0)
    from d2lsoftmax import models
    from d2lsoftmax.sections import chapter_args
    model = models.build('3.10', chapter_args('3.10', lr=50.0))
    with pytest.raises(TrainingDiverged, match='epoch 1'):
        d2l.train_ch3(model.net, train_iter, test_iter, model.loss, 2, 256, verbose=False,
                      trainer=model.trainer)


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_chapter_3_6s_own_loop_stops_at_lr_50_in_one_line(tmp_path, capsys):
    """3.6 writes out the book's train_ch3: its nan is caught there too, before an epoch line,
    the predictions or a figure."""
    with pytest.raises(SystemExit) as info:
        cli.main(['run', '3.6', '--lr', '50', '--num-epochs', '2', '--out', str(tmp_path)])
    assert info.value.code == 1
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [
        'error: training diverged in epoch 1: the mean loss is nan (lr=50): the steps are too '
        'large and the numbers overflowed. Try again: lower the learning rate (--lr), e.g. to '
        '5 (the book uses 0.1 to 0.5).']
    assert 'accuracy of the untrained model' in out
    assert 'epoch 1,' not in out and 'predictions wrong' not in out
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_a_chapter_run_as_a_program_says_it_in_one_line_too(tmp_path):
    script = os.path.join(REPO, 'chapters', 'ch3_6_softmax_scratch.py')
    done = subprocess.run([sys.executable, script, '--lr', '50', '--num-epochs', '1', '--out',
                           str(tmp_path)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, 'MPLBACKEND': 'Agg'})
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        'd2lsoftmax run 3.6: error: training diverged in epoch 1: the mean loss is nan '
        '(lr=50): the steps are too large and the numbers overflowed. Try again: lower the '
        'learning rate (--lr), e.g. to 5 (the book uses 0.1 to 0.5).']
