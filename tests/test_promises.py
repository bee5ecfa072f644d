"""docs/promises.md keeps up with the README: each promise names tests that exist, under the
README's own headings; and the figures and tables the README quotes are the package's.
"""
import ast
import glob
import os
import re
import sys

import pytest

from d2lsoftmax.reference import book_figures
from d2lsoftmax import cli, sections
from d2lsoftmax.data.releases import CURRENT

from d2lsoftmax.reference import golden_path, read_blocks

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(REPO, 'README.md')
PROMISES = os.path.join(REPO, 'docs', 'promises.md')
# tests/FILE.py::test_name, or ::TestClass::test_name; a parametrized test by its base name
# (an id in brackets after it is allowed and not checked).
TEST_ID = re.compile(r'tests/(?P<file>(?:\w+/)?\w+\.py)::(?P<name>\w+(?:::\w+)?)(?:\[[^\]]*\])?')
EPOCH = re.compile(r'epoch (\d+), loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)')
TRIPLE = re.compile(r'(\d\.\d{4}) / (\d\.\d{3}) / (\d\.\d{3})')


# ------------------------------------------------------------- reading markdown

def lines_outside_code(path):
    """(line number, line) of a markdown file, without its fenced code blocks."""
    fenced = False
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            if line.startswith('```'):
                fenced = not fenced
            elif not fenced:
                yield number, line.rstrip('\n')


def headings(path):
    """The '## ' and '### ' headings of a markdown file, in order."""
    return [line for _, line in lines_outside_code(path) if re.match(r'#{2,3} ', line)]


def cells(line):
    return [cell.strip() for cell in line.strip().strip('|').split('|')]


def table_rows(path, header):
    """(line number, cells) of every body row of the tables whose header row is `header`."""
    rows, inside = [], False
    for number, line in lines_outside_code(path):
        if not line.startswith('|'):
            inside = False
        elif cells(line) == header:
            inside = True
        elif inside and not set(line) <= set('|-: '):
            rows.append((number, cells(line)))
    return rows


def promise_rows(path=PROMISES):
    """(line number, promise, [test ids]) of every row of the 'promise | test' tables."""
    return [(number, row[0], [t.strip().strip('`') for t in row[-1].split(',') if t.strip()]
             if len(row) == 2 else None)
            for number, row in table_rows(path, ['promise', 'test'])]


def defined_tests(path):
    """The test functions of a test file: 'test_x', and 'TestY::test_x' for methods."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read())
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith('test'):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith('Test'):
            names |= {f'{node.name}::{f.name}' for f in node.body
                      if isinstance(f, ast.FunctionDef) and f.name.startswith('test')}
    return names


def problems(promises=PROMISES, tests_dir=os.path.dirname(os.path.abspath(__file__))):
    """What is wrong with the promises file: rows without a test, test ids that name no test."""
    found, known = [], {}
    for number, promise, tests in promise_rows(promises):
        where = f'{os.path.basename(promises)}:{number}'
        if not tests:
            found.append(f'{where}: "{promise[:50]}" names no test (one promise | tests)')
        for test in tests or ():
            match = TEST_ID.fullmatch(test)
            if not match:
                found.append(f'{where}: {test!r} is not tests/FILE.py::test_name')
                continue
            path = os.path.join(tests_dir, match['file'])
            if path not in known:
                known[path] = defined_tests(path) if os.path.isfile(path) else set()
            if match['name'] not in known[path]:
                found.append(f'{where}: {test} does not exist')
    return found


# ------------------------------------------------------------------- the table

def test_every_promise_names_tests_that_exist():
    rows = promise_rows()
    assert len(rows) >= 100, 'docs/promises.md lost its tables'
    assert problems() == []


def test_the_check_finds_a_missing_test_a_bad_id_and_an_empty_cell(tmp_path):
    tests = tmp_path / 'tests'
    tests.mkdir()
    (tests / 'test_a.py').write_text('def test_one():\n    pass\n\n'
                                     'class TestTwo:\n    def test_three(self):\n        pass\n')
    promises = tmp_path / 'promises.md'
    promises.write_text('| promise | test |\n|---|---|\n'
                        '| kept | `tests/test_a.py::test_one`, tests/test_a.py::TestTwo::test_three |\n'
                        '| parametrized | tests/test_a.py::test_one[3.6] |\n'
                        '| renamed | tests/test_a.py::test_two |\n'
                        '| no file | tests/test_b.py::test_one |\n'
                        '| a path | test_a.py::test_one |\n'
                        '| untested |  |\n')
    assert problems(str(promises), str(tests)) == [
        'promises.md:5: tests/test_a.py::test_two does not exist',
        'promises.md:6: tests/test_b.py::test_one does not exist',
        "promises.md:7: 'test_a.py::test_one' is not tests/FILE.py::test_name",
        'promises.md:8: "untested" names no test (one promise | tests)']


def test_the_promises_follow_the_readmes_headings():
    """Every heading of the README has its section in docs/promises.md, in the same order:
    a new section of the README needs its promises (or a line saying it has none)."""
    ours = headings(PROMISES)
    missing = [h for h in headings(README) if h not in ours]
    assert missing == [], f'add these README headings to docs/promises.md: {missing}'
    assert [h for h in ours if h in headings(README)] == headings(README)


# ------------------------------------------------- what the README quotes

def _golden_finals(section):
    """'loss / train acc / test acc' of the final epoch of every golden block of `section`."""
    found = set()
    for lines in read_blocks(golden_path(CURRENT, section)).values():
        e, loss, train_acc, test_acc = EPOCH.fullmatch(lines[-1]).groups()
        found.add(f'{loss} / {train_acc} / {test_acc}')
    return found


def _published_final(section):
    """The book's (Source A's) final epoch of `section`, as the README writes it."""
    figure = book_figures.at_epoch(section, book_figures.FINAL_EPOCH)[0]
    return f'{figure.loss:.4f} / {figure.train_acc:.3f} / {figure.test_acc:.3f}'


def test_the_readmes_3_6_output_is_a_golden_log():
    shown = [line for line in open(README, encoding='utf-8').read().splitlines()
             if EPOCH.fullmatch(line)]
    assert len(shown) == 5
    assert shown in list(read_blocks(golden_path(CURRENT, '3.6')).values())


def test_the_readmes_seed_0_and_book_figures_are_the_golden_logs_and_the_books():
    """'How close to the book' and 'What to expect from each': our seed-0 final epochs are
    a golden log's, the book's are the shipped figures, the 10-seed spread is the measured."""
    close = table_rows(README, ['chapter', 'ours: loss / train acc / test acc', 'book'])
    expect = table_rows(README, ['chapter', '2017-08-26: the book (published)',
                                 '2017-08-31: this package (measured)'])
    assert len(close) >= 4 and len(expect) >= 4
    for _, (section, ours, book) in close:
        assert ours in _golden_finals(section), section
        assert book == _published_final(section), section
    for _, (section, book, ours) in expect:
        assert TRIPLE.search(book)[0] == _published_final(section), section
        if ours.startswith('seed 0: '):
            assert ours[len('seed 0: '):] in _golden_finals(section), section
        else:
            spread = book_figures.measured(section, CURRENT)
            assert ours == (f'{spread.seeds} seeds: loss {spread.loss[0]:.4f} ± '
                            f'{spread.loss[1]:.4f}, test acc {spread.test_acc[0]:.4f} ± '
                            f'{spread.test_acc[1]:.4f}'), section


def test_the_readmes_chapter_table_is_the_chapters():
    """Section, script and the options the README names for each chapter."""
    rows = table_rows(README, ['section', 'script', 'what it does'])
    assert [row[0] for _, row in rows] == list(sections.chapters())
    for _, (section, script, what) in rows:
        assert script == f'`{sections.chapter(section).script}.py`'
        named = re.findall(r'`(--[\w-]+)`', what)
        if named:  # the training chapters' own options
            usage = cli.chapter.options_parser(section).format_help()
            assert [o for o in named if not re.search(rf'{o}(?![\w-])', usage)] == [], section


def test_the_files_the_readme_names_exist():
    """Every path into this repository the README gives (scripts, benchmarks, tests, logs)."""
    text = open(README, encoding='utf-8').read()
    paths = set(re.findall(r'(?<![\w./])((?:bench|chapters|d2lsoftmax|tests|\.ci)/[\w./*-]*\w)',
                           text))
    assert len(paths) >= 5
    assert sorted(p for p in paths if not glob.glob(os.path.join(REPO, p))) == []
