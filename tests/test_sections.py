"""The chapter records agree with what they describe: scripts, builders, golden logs, figures.

A record says a chapter's facts once; these tests read the scripts, the models and the
golden files (no MXNet for the scripts: they are read as text) to catch a record that
no longer says what its chapter does.
"""
import os
import re

import pytest

from d2lsoftmax import reference, sections
from support import REPO

ALL = list(sections.chapters())
FIGURE_CALLS = re.compile(r'd2l\.(plot_history|predict_ch3|plotting\.\w+|show_\w+|semilogy)\(')


def script_text(section):
    with open(os.path.join(REPO, 'chapters', sections.chapter(section).script + '.py')) as f:
        return f.read()


@pytest.mark.parametrize('section', ALL)
def test_the_script_finds_its_record_by_its_name(section):
    found = sections.chapter(section)
    assert sections.of_script(found.script) is found
    assert script_text(section).startswith(f'# %% [markdown]\n# # {section.split("-")[0]} ')


@pytest.mark.parametrize('section', ALL)
def test_draws_and_data_say_what_the_script_does(section):
    """`draws`: the script calls a figure function; `data`: it loads Fashion-MNIST."""
    found, text = sections.chapter(section), script_text(section)
    assert bool(FIGURE_CALLS.search(text)) == found.draws, section
    loads = 'd2l.load_data_fashion_mnist(' in text or 'd2l.data.load_arrays(' in text
    assert loads == (found.data == sections.FASHION_MNIST), section


def test_each_training_chapter_names_a_builder_of_its_kind():
    from d2lsoftmax import models
    for section in sections.training_sections():
        found = sections.chapter(section)
        assert callable(getattr(models, found.model)), section
        assert found.kind in found.model.split('_'), section  # softmax_scratch is 'scratch'


def test_golden_margins_go_with_golden_logs():
    assert sections.golden_sections() == [s for s in ALL if sections.chapter(s).margin]
    for section in sections.golden_sections():
        assert reference.blocks('2017-08-31', section), section
        assert reference.margin(section) == sections.chapter(section).margin


def test_the_queries():
    assert sections.training_sections() == ['3.6', '3.7', '3.9', '3.10', '3.13', '3.13-concise']
    assert sections.taking('hybridize') == ['3.7', '3.10', '3.13-concise']
    assert [s for s in ALL if not sections.draws(s)] == ['3.7.1']
    assert sections.of_script('no_such_script') is None
    with pytest.raises(ValueError, match='trains no model'):
        sections.training_chapter('3.7.1')
    with pytest.raises(ValueError, match='3.11 trains its model in its own script'):
        sections.training_chapter('3.11')
    with pytest.raises(TypeError, match='no option'):
        sections.chapter_args('3.6', num_hiddens=10)


def test_a_synthetic_chapter_fits_the_record(monkeypatch):
    """A chapter that trains on data it generates, in its script only (the book's 3.11):
    listed and configured with its book settings, but not one the library trains
    (experiments, seeds, verify), so its --help offers no experiment options."""
    found = sections._chapter('3.11', 'ch3_11_underfit_overfit', 'Model selection', 'concise',
                              dict(num_epochs=100, lr=0.01, batch_size=10),
                              data=sections.SYNTHETIC)
    monkeypatch.setattr(sections, 'CHAPTERS', [*sections.CHAPTERS, found])
    monkeypatch.setitem(sections._BY_SECTION, '3.11', found)
    assert '3.11' in sections.chapters() and '3.11' not in sections.training_sections()
    from d2lsoftmax.cli import chapter
    parser = chapter.options_parser('3.11')
    args = parser.parse_args(['--num-epochs', '3'])
    assert (args.num_epochs, args.lr, args.batch_size, args.seed) == (3, 0.01, 10, 0)
    assert parser.epilog is None and chapter.options_parser('3.6').epilog
