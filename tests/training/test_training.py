"""train_ch3's records, its clear stops on bad input, predict_ch3, and the chapter flags."""
import subprocess
import sys

import numpy as np
import pytest
from mxnet import nd

import d2lsoftmax as d2l
from d2lsoftmax import cli, training
from d2lsoftmax.models import concise, scratch
from d2lsoftmax.data import FashionMNISTIter, load_arrays


def small_iters(n_train=1024, n_test=512, batch_size=256):
    """The first images of each split: enough to train a step, quick to run."""
    train_images, train_labels = load_arrays('train')
    test_images, test_labels = load_arrays('test')
    return (FashionMNISTIter(train_images[:n_train], train_labels[:n_train], batch_size, True),
            FashionMNISTIter(test_images[:n_test], test_labels[:n_test], batch_size))


def test_records_are_data_and_the_printed_line_is_the_books(capsys):
    d2l.set_seed(0)
    train_iter, test_iter = small_iters()
    W, b = scratch.init_params()
    records = d2l.train_ch3(scratch.softmax_regression(W, b), train_iter, test_iter,
                            scratch.cross_entropy, 2, 256, [W, b], 0.1)
    printed = capsys.readouterr().out.splitlines()
    assert [r.epoch for r in records] == [1, 2]
    assert printed == ['epoch %d, loss %.4f, train acc %.3f, test acc %.3f' % r for r in records]
    assert records[1].loss < records[0].loss and 0 < records[1].test_acc <= 1


def test_naive_softmax_at_lr_50_stops_with_epoch_and_batch():
    d2l.set_seed(0)
    train_iter, test_iter = small_iters()
    W, b = scratch.init_params()
    with pytest.raises(d2l.TrainingDiverged, match=r'epoch 1, batch \d+ of 4.*nan.*lr=50'):
        d2l.train_ch3(scratch.softmax_regression(W, b), train_iter, test_iter,
                      scratch.cross_entropy, 3, 256, [W, b], 50.0)


def test_same_lr_with_gluon_loss_does_not_diverge():
    d2l.set_seed(0)
    train_iter, test_iter = small_iters()
    net = concise.softmax_net()
    records = d2l.train_ch3(net, train_iter, test_iter, concise.softmax_loss(), 1, 256,
                            trainer=concise.sgd_trainer(net, 50.0), verbose=False)
    assert np.isfinite(records[0].loss)


@pytest.mark.parametrize('make_net', [
    lambda: scratch.softmax_regression(*scratch.init_params()),
    lambda: concise.softmax_net()])
def test_wrongly_shaped_input_gets_a_clear_error(make_net):
    net = make_net()
    net(nd.zeros((2, 1, 28, 28)))  # the right shape works
    with pytest.raises(ValueError, match=r'784 values each.*\(4, 1, 32, 32\)'):
        net(nd.zeros((4, 1, 32, 32)))


def test_an_empty_training_iterator_is_a_clear_error():
    """No batches is a ValueError saying so, not MXNet's failure to concat nothing."""
    _, test_iter = small_iters()
    W, b = scratch.init_params()
    with pytest.raises(ValueError, match='training iterator yielded no examples'):
        d2l.train_ch3(scratch.softmax_regression(W, b), [], test_iter,
                      scratch.cross_entropy, 1, 256, [W, b], 0.1)


def test_train_ch3_needs_params_and_lr_or_a_trainer():
    with pytest.raises(ValueError, match='trainer=.*params= and lr='):
        d2l.train_ch3(None, [], [], None, 1, 256, params=[nd.zeros(1)])


def test_predict_ch3_marks_the_mistakes(capsys, tmp_path):
    d2l.set_seed(0)
    _, test_iter = small_iters(batch_size=8)
    W, b = scratch.init_params()  # untrained: most predictions are wrong
    trues, preds = d2l.predict_ch3(scratch.softmax_regression(W, b), test_iter, n=12,
                                   path=str(tmp_path / 'p.png'))
    out = capsys.readouterr().out
    wrong = sum(t != p for t, p in zip(trues, preds))
    assert len(trues) == 12 and trues[:2] == ['ankle boot', 'pullover']
    assert out.count('<- wrong') == wrong and f'{wrong} of 12 predictions wrong' in out
    assert (tmp_path / 'p.png').stat().st_size > 1000


BAD_TRAINING_VALUES = [('--num-epochs', '0'), ('--lr', '-0.1'), ('--batch-size', '0'),
                       ('--lr', 'fast')]


@pytest.mark.parametrize('flag, value', BAD_TRAINING_VALUES)
def test_command_line_rejects_bad_training_values(flag, value, capsys):
    try:
        status = cli.main(['run', '3.6', flag, value])
    except SystemExit as e:  # argparse exits itself
        status = e.code
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ''
    lines = captured.err.splitlines()
    assert len(lines) == 1 and flag in lines[0] and value in lines[0]


@pytest.mark.slow
def test_the_program_rejects_a_bad_value_in_one_line():
    """As a real process: nothing else reaches stderr (no traceback, no atexit noise)."""
    flag, value = BAD_TRAINING_VALUES[1]
    done = subprocess.run([sys.executable, '-m', 'd2lsoftmax.cli', 'run', '3.6', flag, value],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ''
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and flag in lines[0] and value in lines[0]


@pytest.mark.slow
def test_chapter_run_writes_curves_and_predictions(tmp_path, capsys, real_data):
    from support.chapter_runs import seed0_lines
    assert cli.main(['run', '3.7', '--num-epochs', '1', '--out', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert seed0_lines('3.7')[0] in out.splitlines()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['3.7_curves.png', '3.7_predictions.png']
    assert '<Figure' not in out


def test_evaluate_accuracy_takes_d2lzhs_ctx_list():
    import mxnet as mx
    _, test_iter = small_iters()
    net = scratch.softmax_regression(*scratch.init_params())
    acc = d2l.evaluate_accuracy(test_iter, net)
    assert d2l.evaluate_accuracy(test_iter, net, [mx.cpu()]) == acc
    correct = sum(int((net(X).argmax(axis=1).asnumpy() == y.asnumpy()).sum())
                  for X, y in test_iter)
    assert acc == pytest.approx(correct / 512)


def test_the_loop_waits_for_the_batch_lookahead_back():
    """train_ch3 keeps at most LOOKAHEAD batches queued in MXNet's engine (peak memory)."""
    class Loss:
        def __init__(self, i):
            self.i = i

        def wait_to_read(self):
            waited.append(self.i)
    waited, losses = [], []
    for i in range(training.LOOKAHEAD + 3):
        losses.append(Loss(i))
        training._bound_lookahead(losses)
    assert waited == [0, 1, 2]  # the newest minus LOOKAHEAD, from batch LOOKAHEAD + 1 on


def test_printed_ratios_are_python_floats_on_every_numpy():
    """8545 of 10,000 right prints 0.855, as with the book's numpy 1: a float32 ratio (numpy 2's
    promotion of float32 / int) would be 0.85449999 and print 0.854."""
    y = nd.array(np.arange(10000) % 10)
    right = nd.one_hot(y, 10)
    wrong = nd.one_hot((y + 1) % 10, 10)
    y_hat = nd.concat(right[:8545], wrong[8545:], dim=0)  # (10000, 10): 8545 rows right
    batches = [(y_hat[i:i + 1000], y[i:i + 1000]) for i in range(0, 10000, 1000)]
    acc = training.evaluate_accuracy(batches, lambda X: X)
    assert type(acc) is float and acc == 0.8545 and '%.3f' % acc == '0.855'
    assert '%.3f' % (np.float32(8545) / np.float32(10000)) == '0.854'  # what float32 prints


def test_the_epochs_loss_is_summed_in_float64_like_numpy_1():
    """Python float += float32, batch by batch, as d2lzh summed under numpy 1."""
    losses = np.array([0.1, 0.2, 0.3] * 100, dtype=np.float32)
    total = training._book_sum(losses)
    assert type(total) is float
    assert total == sum(float(v) for v in losses)  # sequential, in float64
