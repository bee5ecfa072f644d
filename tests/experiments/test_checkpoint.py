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
    return tmp_path / f'model{checkpoint.SUFFIX[trained.model.kind]}'


@pytest.mark.parametrize('section', [s for s in SECTIONS if s in chapters()])
def test_round_trip_gives_identical_predictions(section, tmp_path, tiny_loader, X):
    trained, args = _trained(section, tiny_loader)
    path = checkpoint.save(_path(tmp_path, section, trained), trained.model,
                           section, args)
    model, meta = checkpoint.load(path)
    assert meta['section'] == section and meta['kind'] == trained.model.kind == model.kind
    before, after = trained.model.net(X).asnumpy(), model.net(X).asnumpy()
    assert np.array_equal(before, after)
    assert sorted(os.listdir(tmp_path)) == sorted([os.path.basename(path),
                                                   os.path.basename(path) + '.json'])


def test_scratch_file_is_plain_numpy(tmp_path, tiny_loader):
    trained, args = _trained('3.6', tiny_loader)
    path = checkpoint.save(tmp_path / 'w.npz', trained.model, '3.6', args)
    with np.load(path) as f:
        assert f['W'].shape == (784, 10) and f['b'].shape == (10,)
        np.testing.assert_array_equal(f['W'], trained.model.params[0].asnumpy())




def test_wrong_suffix_is_refused_before_writing(tmp_path, tiny_loader):
    trained, args = _trained('3.6', tiny_loader)
    with pytest.raises(CheckpointError, match=r'saved as a \.npz file'):
        checkpoint.save(tmp_path / 'model.params', trained.model, '3.6', args)
    assert os.listdir(tmp_path) == []


def test_missing_record_is_explained(tmp_path, tiny_loader):
    trained, args = _trained('3.7', tiny_loader)
    path = checkpoint.save(tmp_path / 'm.params', trained.model, '3.7', args)
    os.remove(checkpoint.meta_path(path))
    with pytest.raises(CheckpointError, match=r'm\.params\.json is missing'):
        checkpoint.load(path)


def test_garbage_file_is_refused(tmp_path, tiny_loader):
    trained, args = _trained('3.7', tiny_loader)
    path = checkpoint.save(tmp_path / 'm.params', trained.model, '3.7', args)
    with open(path, 'wb') as f:
        f.write(b'not parameters at all')
    with pytest.raises(CheckpointError, match='not a readable Gluon parameter file'):
        checkpoint.load(path)


def test_file_of_another_model_is_refused(tmp_path, tiny_loader):
    """A Dense(10) file loaded into the MLP: the error names what does not fit."""
    if '3.10' not in chapters():
        pytest.skip('chapter 3.10 not present')
    trained, args = _trained('3.7', tiny_loader)
    path = checkpoint.save(tmp_path / 'm.params', trained.model, '3.7', args)
    with pytest.raises(CheckpointError) as e:
        checkpoint.load_into(path, models.build('3.10'), "chapter 3.10's model")
    message = str(e.value)
    assert "do not fit chapter 3.10's model" in message and '1.weight: missing' in message


def test_wrong_shape_is_refused(tmp_path, tiny_loader):
    trained, args = _trained('3.6', tiny_loader)
    path = checkpoint.save(tmp_path / 'w.npz', trained.model, '3.6', args)
    with open(path, 'wb') as f:  # same names, W cut to 100 inputs
        np.savez(f, W=np.zeros((100, 10), 'float32'), b=np.zeros(10, 'float32'))
    with pytest.raises(CheckpointError, match=r'W: shape \(100, 10\) in the file, .* needs '
                                              r'\(784, 10\)'):
        checkpoint.load(path)


def test_record_of_another_kind_is_refused(tmp_path, tiny_loader):
    trained, args = _trained('3.6', tiny_loader)
    path = checkpoint.save(tmp_path / 'w.npz', trained.model, '3.6', args)
    meta = json.loads(open(checkpoint.meta_path(path)).read())
    meta['section'] = '3.7'  # says Gluon, holds NumPy
    with open(checkpoint.meta_path(path), 'w') as f:
        json.dump(meta, f)
    with pytest.raises(CheckpointError, match='saved as a scratch model'):
        checkpoint.load(path)


def test_evaluate_command_prints_accuracy_and_confusion(tmp_path, tiny_loader, capsys,
                                                        real_data):
    trained, args = _trained('3.6', tiny_loader)
    path = checkpoint.save(tmp_path / 'w.npz', trained.model, '3.6', args)
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


@pytest.mark.parametrize('section', ['3.6', '3.7', '3.9', '3.10'])
def test_round_trip_through_the_model_type(section, tmp_path):
    """Parameters set by name on a built model come back, by name, in the model `load` builds;
    the file is the kind's own format (NumPy .npz or Gluon's list of named arrays)."""
    model = models.build(section)
    X = nd.random.uniform(shape=(8, 1, 28, 28))
    model.net(X)  # Gluon infers its shapes on a first batch
    rng = np.random.RandomState(0)
    for p in model.named_params().values():
        p[:] = nd.array(rng.normal(0, 0.1, p.shape))
    path = checkpoint.save(tmp_path / f'm{checkpoint.SUFFIX[model.kind]}', model, section,
                           chapter_args(section), release='2017-08-31')
    loaded, meta = checkpoint.load(path)
    assert type(loaded) is type(model) and meta['kind'] == loaded.kind == model.kind
    saved = model.named_params()
    assert {n: p.shape for n, p in loaded.named_params().items()} == {
        n: p.shape for n, p in saved.items()}
    for name, p in loaded.named_params().items():
        np.testing.assert_array_equal(p.asnumpy(), saved[name].asnumpy())
    np.testing.assert_array_equal(loaded.net(X).asnumpy(), model.net(X).asnumpy())
    assert sorted(checkpoint.read_arrays(path, model.kind)) == sorted(saved)
