"""Parity with the book's own code: d2lzh.train_ch3, bit for bit.

Under one seed, every training chapter trained by our loop on our in-memory
batches prints exactly the lines the book's loop (d2lzh.train_ch3) prints on the
same batches; tests/data/test_data_real.py shows each of our batches equals gluon's
DataLoader batch under one seed, and softmax regression is also run end to end on
gluon's DataLoader pipeline itself (the book's ToTensor batches), so the chain
ours == d2lzh on our batches == d2lzh on the book's pipeline is closed on this
machine. Both sides round alike, so this holds on every CPU.

Where this machine's golden block was recorded with d2lzh's agreement under this numpy
(its PARITY mark: tests/golden/regenerate.py --parity ran both loops and compared them)
and our lines are that block exactly, d2lzh's lines are known without running its loop
again: the fingerprint names MXNet, the kernels and the data release, d2lzh is pinned.
"""
import sys

import numpy
import pytest

from support.chapter_runs import book_lines, seed0_lines, seed0_records
from d2lsoftmax import data, sections
from d2lsoftmax.reference import format_block, golden_path, parity_marks, read_blocks
from d2lsoftmax.util import numerics


def recorded_with_d2lzh(section):
    """This machine's golden lines of `section` if d2lzh printed them too when they were
    recorded (under this numpy), else None."""
    release = data.locate().release
    fp = numerics.format_fingerprint(numerics.fingerprint(release))
    path = golden_path(release, section)
    if numpy.__version__ in parity_marks(path).get(fp, ()):
        return read_blocks(path)[fp]
    return None


def assert_d2lzh_prints(ours, section, pipeline='ours'):
    """d2lzh.train_ch3 prints `ours`: known from the marked golden block, else run."""
    if ours != recorded_with_d2lzh(section):
        assert ours == list(book_lines(section, pipeline=pipeline))


@pytest.mark.slow
@pytest.mark.parametrize('section', sections.training_sections())
def test_identical_epoch_lines_to_d2lzh_train_ch3(section, real_data):
    ours = seed0_lines(section)
    assert len(ours) == 5 and ours[0].startswith('epoch 1, loss ')
    assert_d2lzh_prints(ours, section)


@pytest.mark.slow
@pytest.mark.parametrize('section', ['3.6'])
def test_identical_epoch_lines_to_d2lzh_on_gluons_dataloader(section, real_data):
    """The book's whole pipeline, DataLoader included (the slow one: once, for 3.6)."""
    assert_d2lzh_prints(seed0_lines(section), section, pipeline='gluon')


def test_a_marked_block_stands_for_d2lzh_only_where_it_is_this_machines(monkeypatch):
    """The shortcut holds only for lines equal to a block marked under this numpy: other
    lines, or an unmarked block, run d2lzh's loop."""
    ran = []
    monkeypatch.setattr(sys.modules[__name__], 'book_lines',
                        lambda section, pipeline='ours': ran.append(section) or ('x',))
    monkeypatch.setattr(sys.modules[__name__], 'recorded_with_d2lzh', lambda s: ['a', 'b'])
    assert_d2lzh_prints(['a', 'b'], '3.6')
    assert ran == []
    with pytest.raises(AssertionError):
        assert_d2lzh_prints(['a', 'c'], '3.6')
    monkeypatch.setattr(sys.modules[__name__], 'recorded_with_d2lzh', lambda s: None)
    assert_d2lzh_prints(['x'], '3.6')
    assert ran == ['3.6', '3.6']


@pytest.mark.slow
def test_a_different_seed_gives_different_lines(real_data):
    """The parity above is not vacuous: the lines depend on the seed."""
    assert list(book_lines('3.6', seed=1, num_epochs=1)) != seed0_lines('3.6')[:1]
    assert seed0_records('3.6')[0].loss != 0


def test_a_blocks_parity_marks_read_back_and_leave_its_lines_alone(tmp_path):
    path = tmp_path / '3.6.log'
    path.write_text('# header\n' + format_block('fp-a', ['l1', 'l2'], {'1.23.5', '2.4.6'}) +
                    '\n' + format_block('fp-b', ['l3']) + '\n')
    assert parity_marks(str(path)) == {'fp-a': ['1.23.5', '2.4.6']}
    assert read_blocks(str(path)) == {'fp-a': ['l1', 'l2'], 'fp-b': ['l3']}
