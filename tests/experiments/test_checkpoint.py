"""Save and load: round trips give identical predictions; bad files are refused clearly."""
import json
import os

import numpy as np
import pytest
from mxnet import nd

from d2lsoftmax.experiments import checkpoint, experiment
from d2lsoftmax import cli
from d2lsoftmax.experiments.checkpoint import CheckpointError
from d2lsoftmax.data import DataError, FashionMNISTIter, find_data_dir, load_arrays
from d2lsoftmax import models
from d2lsoftmax.sections import chapter_args, chapters

SECTIONS = ('3.6', '3.7', '3.9', '3.10')


@pytest.fixture(scope='module')
def tiny_loader():
    """500 training and 200 test images: enough to move the weights, fast."""
    try:  # never downloads: module fixtures run before conftest's isolation
        folder = find_data_dir(download=False)
        images, labels = load_arrays('train', root=folder)
        test_images, test_labels = load_arrays('test', root=folder)
    except DataError as e:
        pytest.skip(f'real Fashion-MNIST not found: {e}')

    def loader(batch_size):
        return (FashionMNISTIter(images[:500], labels[:500], batch_size, shuffle=True),
                FashionMNISTIter(test_images[:200], test_labels[:200], batch_size))
    return loader


@pytest.fixture(scope='module')
def X(tiny_loader):
    """64 test images, (64, 1, 28, 28) float32 as the loader gives them."""
    return next(iter(tiny_loader(64)[1]))[0]


def _trained(section, loader):
    trained = experiment.train(section, seed=0, loader=loader, num_epochs=1)
    return trained, chapter_args(section, num_epochs=1)


def _path(tmp_path, section, trained):
    return tmp_path / f'model{checkpoint.SUFFIX[experiment.kind(trained.how)]}'


@pytest.mark.parametrize('section', [s for s in SECTIONS if s in chapters()])
def test_round_trip_gives_identical_predictions(section, tmp_path, tiny_loader, X):
    trained, args = _trained(section, tiny_loader)
    path = checkpoint.save(_path(tmp_path, section, trained), trained.net, trained.how,
                           section, args)
    net, how, meta = checkpoint.load(path)
    assert meta['section'] == section and meta['kind'] == experiment.kind(trained.how)
    before, after = trained.net(X).asnumpy(), net(X).asnumpy()
    assert np.array_equal(before, after)
    assert sorted(os.listdir(tmp_path)) == sorted([os.path.basename(path),
                                                   os.path.basename(path) + '.json'])


def test_scratch_file_is_plain_numpy(tmp_path, tiny_loader):
    trained, args = _trained('3.6', tiny_loader)
    path = checkpoint.save(tmp_path / 'w.npz', trained.net, trained.how, '3.6', args)
    with np.load(path) as f:
        assert f['W'].shape == (784, 10) and f['b'].shape == (10,)
        np.testing.assert_array_equal(f['W'], trained.how['params'][0].asnumpy())




def test_wrong_suffix_is_refused_before_writing(tmp_path, tiny_loader):
    trained, args = _trained('3.6', tiny_loader)
    with pytest.raises(CheckpointError, match=r'saved as a \.npz file'):
        checkpoint.save(tmp_path / 'model.params', trained.net, trained.how, '3.6', args)
    assert os.listdir(tmp_path) == []


def test_missing_record_is_explained(tmp_path, tiny_loader):
    trained, args = _trained('3.7', tiny_loader)
    path = checkpoint.save(tmp_path / 'm.params', trained.net, trained.how, '3.7', args)
    os.remove(checkpoint.meta_path(path))
    with pytest.raises(CheckpointError, match=r'm\.params\.json is missing'):
        checkpoint.load(path)


def test_garbage_file_is_refused(tmp_path, tiny_loader):
    trained, args = _trained('3.7', tiny_loader)
    path = checkpoint.save(tmp_path / 'm.params', trained.net, trained.how, '3.7', args)
    with open(path, 'wb') as f:
        f.write(b'not parameters at all')
    with pytest.raises(CheckpointError, match='not a readable Gluon parameter file'):
        checkpoint.load(path)


def test_file_of_another_model_is_refused(tmp_path, tiny_loader):
    """A Dense(10) file loaded into the MLP: the error names what does not fit."""
    if '3.10' not in chapters():
        pytest.skip('chapter 3.10 not present')
    trained, args = _trained('3.7', tiny_loader)
    path = checkpoint.save(tmp_path / 'm.params', trained.net, trained.how, '3.7', args)
    net, _, how = models.build('3.10')
    with pytest.raises(CheckpointError) as e:
        checkpoint.load_into(path, net, how, "chapter 3.10's model")
    message = str(e.value)
    assert "do not fit chapter 3.10's model" in message and '1.weight: missing' in message


def test_wrong_shape_is_refused(tmp_path, tiny_loader):
    trained, args = _trained('3.6', tiny_loader)
    path = checkpoint.save(tmp_path / 'w.npz', trained.net, trained.how, '3.6', args)
    with open(path, 'wb') as f:  # same names, W cut to 100 inputs
        np.savez(f, W=np.zeros((100, 10), 'float32'), b=np.zeros(10, 'float32'))
    with pytest.raises(CheckpointError, match=r'W: shape \(100, 10\) in the file, .* needs '
                                              r'\(784, 10\)'):
        checkpoint.load(path)


def test_record_of_another_kind_is_refused(tmp_path, tiny_loader):
    trained, args = _trained('3.6', tiny_loader)
    path = checkpoint.save(tmp_path / 'w.npz', trained.net, trained.how, '3.6', args)
    meta = json.loads(open(checkpoint.meta_path(path)).read())
    meta['section'] = '3.7'  # says Gluon, holds NumPy
    with open(checkpoint.meta_path(path), 'w') as f:
        json.dump(meta, f)
    with pytest.raises(CheckpointError, match='saved as a scratch model'):
        checkpoint.load(path)


def test_evaluate_command_prints_accuracy_and_confusion(tmp_path, tiny_loader, capsys,
                                                        real_data):
    trained, args = _trained('3.6', tiny_loader)
    path = checkpoint.save(tmp_path / 'w.npz', trained.net, trained.how, '3.6', args)
    assert cli.main(['evaluate', '--params', str(path), '--out', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert 'test acc 0.' in out and 'of 10000 test images' in out
    assert 'true \\ predicted' in out and 'ankle boot' in out
    assert (tmp_path / '3.6_confusion.png').exists() and (tmp_path / '3.6_weights.png').exists()


def test_evaluate_command_reports_a_bad_file(tmp_path, capsys):
    assert cli.main(['evaluate', '--params', str(tmp_path / 'none.npz')]) == 1
    assert 'no such parameter file' in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.usefixtures('real_data')
def test_run_saves_what_evaluate_scores_identically(tmp_path, capsys):
    """`run 3.7` with experiment options and --save-params, then `evaluate` on the file."""
    path = str(tmp_path / 'm.params')
    assert cli.main(['run', '3.7', '--num-epochs', '1', '--optimizer', 'momentum', '--lr', '0.05',
                     '--wd', '0.001', '--lr-decay', '0.5', '--init', 'xavier',
                     '--save-params', path, '--out', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    epoch_line = next(l for l in out.splitlines() if l.startswith('epoch 1'))
    assert all((tmp_path / f'3.7_{name}.png').exists()
               for name in ('curves', 'confusion', 'weights'))
    assert json.load(open(checkpoint.meta_path(path)))['settings'] == {
        'wd': 0.001, 'lr_decay': 0.5, 'optimizer': 'momentum', 'init': 'xavier'}
    assert cli.main(['evaluate', '--params', path, '--out', str(tmp_path)]) == 0
    acc = next(l for l in capsys.readouterr().out.splitlines() if l.startswith('test acc'))
    assert f'test acc {float(acc.split()[2]):.3f}' == 'test acc ' + epoch_line.rsplit(' ', 1)[1]
