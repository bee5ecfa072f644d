"""docs/promises.md keeps up with the README and the docs pages: each promise names tests that
exist, under each page's own headings; and what the pages quote (figures, tables, commands,
files, links, module names) is the package's.
"""
import ast
import glob
import importlib
import os
import re
import subprocess
import sys

import pytest

from d2lsoftmax.reference import book_figures
from d2lsoftmax import cli, sections
from d2lsoftmax.data.releases import CURRENT

from d2lsoftmax import reference
from d2lsoftmax.reference import golden_path, read_blocks

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(REPO, 'README.md')
DOCS = os.path.join(REPO, 'docs')
PROMISES = os.path.join(DOCS, 'promises.md')
FRONT_PAGE_LINES = 150  # the README is a front page; the manual is in docs/
# Chapters the README's table may list before sections.py has them (they are being added on
# another branch); once in sections.py, each row is checked like the others.
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


def pages(repo=REPO):
    """The pages whose promises docs/promises.md maps: README.md and every docs/*.md but
    promises.md itself, as paths relative to the repository."""
    docs = sorted(os.path.relpath(p, repo) for p in glob.glob(os.path.join(repo, 'docs', '*.md')))
    return ['README.md'] + [p for p in docs if p != os.path.join('docs', 'promises.md')]


def promise_sections(path=PROMISES):
    """{page: [(heading, has promises)]} of the promises file: a '# PAGE.md' line opens the
    part of a page, its '## ' and '### ' headings follow; a part of the page before its first
    heading is ('', ...). A section has promises when it holds a table row or says
    'No promises'. Other '# ' lines (the title, the unchecked list) belong to no page."""
    parts, page = {}, None
    for _, line in lines_outside_code(path):
        if line.startswith('# '):
            page = line[2:].strip() if re.fullmatch(r'[\w./-]+\.md', line[2:].strip()) else None
            if page is not None:
                parts[page] = [['', False]]
        elif page is None:
            continue
        elif re.match(r'#{2,3} ', line):
            parts[page].append([line, False])
        elif line.startswith('| ') or line.startswith('No promises'):
            parts[page][-1][1] = True
    return {page: [(h, kept) for h, kept in part if h or kept] for page, part in parts.items()}


def heading_problems(repo=REPO, promises=PROMISES):
    """What the promises file lacks: a page, a heading of a page (or one out of the page's
    order), a section without promises; or a part for a page that is not there."""
    found, parts = [], promise_sections(promises)
    for page in pages(repo):
        if page not in parts:
            found.append(f'{page}: no part "# {page}" in {os.path.basename(promises)}')
            continue
        ours = [h for h, _ in parts[page]]
        theirs = headings(os.path.join(repo, page))
        missing = [h for h in theirs if h not in ours]
        found += [f'{page}: heading "{h}" has no section' for h in missing]
        if not missing and [h for h in ours if h in theirs] != theirs:
            found.append(f'{page}: the sections are not in the order of its headings')
        found += [f'{page}: section "{h or "(the opening)"}" has no promise and does not say '
                  f'"No promises"' for h, kept in parts[page] if not kept]
    found += [f'{page}: in {os.path.basename(promises)} but not a page'
              for page in parts if page not in pages(repo)]
    return found


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


def test_the_promises_follow_every_pages_headings():
    """Every page (the README and each docs/*.md) has its part in docs/promises.md, and every
    heading of a page its section there, in the page's order, with promises or a line
    saying it has none: a new page or section needs its promises."""
    assert len(pages()) >= 8, 'the manual left docs/'
    assert heading_problems() == []


def test_the_heading_check_finds_a_missing_page_heading_order_and_empty_section(tmp_path):
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'README.md').write_text('# r\n\n## One\n\n## Two\n')
    (tmp_path / 'docs' / 'a.md').write_text('# a\n\n## Alpha\n\n```\n## not a heading\n```\n')
    (tmp_path / 'docs' / 'b.md').write_text('# b\n\n## Beta\n')
    promises = tmp_path / 'docs' / 'promises.md'
    promises.write_text('# Promises\n\n# README.md\n\n## Two\n\n| promise | test |\n|---|---|\n'
                        '| x | tests/t.py::test_x |\n\n## One\n\nNo promises: measurements.\n\n'
                        '# docs/a.md\n\n## Alpha\n\n## Gone\n\nNo promises.\n\n'
                        '# docs/gone.md\n\nNo promises.\n')
    assert heading_problems(str(tmp_path), str(promises)) == [
        'README.md: the sections are not in the order of its headings',
        'docs/a.md: section "## Alpha" has no promise and does not say "No promises"',
        'docs/b.md: no part "# docs/b.md" in promises.md',
        'docs/gone.md: in promises.md but not a page']
    promises.write_text('# README.md\n\n## One\n\nNo promises.\n')
    assert heading_problems(str(tmp_path), str(promises))[:2] == [
        'README.md: heading "## Two" has no section', 'docs/a.md: no part "# docs/a.md" in promises.md']


# ------------------------------------------------- what the pages quote

def _quoting_pages():
    """Every page that quotes the package: the mapped pages, the promises file and the
    golden logs' design (tests/golden/README.md)."""
    return [os.path.join(REPO, p) for p in pages()] + [
        PROMISES, os.path.join(REPO, 'tests', 'golden', 'README.md')]


def _golden_finals(section):
    """'loss / train acc / test acc' of the final epoch of every golden block of `section`."""
    found = set()
    for lines in read_blocks(golden_path(CURRENT, section)).values():
        e, loss, train_acc, test_acc = EPOCH.fullmatch(lines[-1]).groups()
        found.add(f'{loss} / {train_acc} / {test_acc}')
    return found


def _published_final(section):
    """The book's (Source A's) final epoch of `section`, as the pages write it."""
    figure = book_figures.at_epoch(section, book_figures.FINAL_EPOCH)[0]
    return f'{figure.loss:.4f} / {figure.train_acc:.3f} / {figure.test_acc:.3f}'


def test_the_readmes_3_6_output_is_a_golden_log():
    shown = [line for line in open(README, encoding='utf-8').read().splitlines()
             if EPOCH.fullmatch(line)]
    assert len(shown) == 5
    assert shown in list(read_blocks(golden_path(CURRENT, '3.6')).values())


def test_verifys_exact_lines_are_the_first_lines_of_a_golden_block():
    """docs/verify.md's real run: under each chapter said to be 'exact', its epoch lines are
    the first lines of one of that chapter's golden blocks; the planted bug's are none."""
    text = open(os.path.join(DOCS, 'verify.md'), encoding='utf-8').read()
    runs = re.findall(r'^(\S+) \([^)]*\): (exact|outside)[^\n]*\n((?:  epoch [^\n]*\n'
                      r'(?:      [^\n]*\n)*)+)', text, re.M)
    assert [(s, v) for s, v, _ in runs] == [('3.6', 'exact'), ('3.13-concise', 'exact'),
                                            ('3.6', 'outside')]
    for section, verdict, block in runs:
        lines = [m.group(0) for m in EPOCH.finditer(block)]
        prefixes = [b[:len(lines)] for b in read_blocks(golden_path(CURRENT, section)).values()]
        assert len(lines) == 2 and (lines in prefixes) == (verdict == 'exact'), section


def test_the_pages_seed_0_and_book_figures_are_the_golden_logs_and_the_books():
    """'How close to the book' and 'What to expect from each', wherever they are: our seed-0
    final epochs are a golden log's, the book's are the shipped figures, the 10-seed spread
    is the measured."""
    close, expect = [], []
    for page in _quoting_pages():
        close += table_rows(page, ['chapter', 'ours: loss / train acc / test acc', 'book'])
        expect += table_rows(page, ['chapter', '2017-08-26: the book (published)',
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


VERIFY_PAGE = os.path.join(DOCS, 'verify.md')
BOOK_LOGS = os.path.join(REPO, '..', 'shared', 'reference', 'book_logs.md')  # beside CI only
NUMBER = re.compile(r'-?\d+\.\d+(?:e-?\d+)?')
OURS = re.compile(r'ours, \w+ \((3\.1[12](?:-concise)?)')


def _printed_numbers(section, lines):
    """The numbers a synthetic chapter's lines end on: 3.11's three (train, test) final
    losses, 3.12's two L2 norms, in print order."""
    if section.startswith('3.11'):
        return [float(x) for line in lines if line.startswith('final epoch')
                for x in NUMBER.findall(line)]
    return [float(line.split(': ')[1]) for line in lines if line.startswith('L2 norm of w')]


def _agrees(shown, value):
    """True when `value` printed with as many decimals as the text `shown` gives `shown`."""
    decimals = len(shown.partition('.')[2])
    return f'{value:.{decimals}f}' == shown


def test_the_synthetic_chapters_numbers_on_verify_page_are_their_golden_logs_and_the_books():
    """docs/verify.md's 3.11 and 3.12 tables: every "ours" row is what every recorded
    fingerprint prints, rounded as shown; the book's rows are its printed numbers."""
    rows = (table_rows(VERIFY_PAGE, ['3.11', 'third-order: train / test loss',
                                     'linear: train / test loss',
                                     '2 examples: train / test loss'])
            + table_rows(VERIFY_PAGE, ['3.12: L2 norm of w', 'without decay', 'with decay 3']))
    ours = [(OURS.match(row[0]), NUMBER.findall(' '.join(row[1:]))) for _, row in rows]
    checked = {m.group(1) for m, _ in ours if m}
    assert checked == set(reference.SYNTHETIC_SECTIONS)
    for match, shown in ours:
        if match:
            for lines in reference.blocks(reference.SYNTHETIC, match.group(1)).values():
                printed = _printed_numbers(match.group(1), lines)
                assert all(map(_agrees, shown, printed)) and len(shown) == len(printed), \
                    (match.group(1), shown, printed)
    if not os.path.isfile(BOOK_LOGS):
        pytest.skip('the book\'s printed logs are beside CI only (../shared)')
    book = open(BOOK_LOGS, encoding='utf-8').read()
    published = [float(x) for x in NUMBER.findall(book[book.index('### 3.11'):
                                                       book.index('## Other published')])]
    for _, shown in ((m, n) for m, n in ours if not m):
        remaining = iter(published)  # each shown number is a later published one
        assert all(any(_agrees(x, value) for value in remaining) for x in shown), shown


def test_the_agreement_check_rounds_as_the_page_shows():
    assert _agrees('0.0071', 0.0071014273) and _agrees('160.78', 160.78365)
    assert not _agrees('0.0073', 0.0071014273) and not _agrees('160.7', 160.78365)


def test_the_readmes_chapter_table_is_the_chapters():
    """Every chapter in book order, with its title, its section linking to its script, and
    the options the row names; no row that is not a chapter."""
    rows = table_rows(README, ['section', 'title', 'what it shows'])
    chapters = sections.chapters()
    shown = [re.sub(r'\[(.*)\]\(.*\)', r'\1', row[0]) for _, row in rows]
    assert shown == list(chapters)
    for (_, (cell, title, what)), section in zip(rows, shown):
        script = f'chapters/{sections.chapter(section).script}.py'
        assert cell == f'[{section}]({script})', f'link {section} to {script}'
        assert title == sections.chapter(section).title, section
        named = re.findall(r'`(--[\w-]+)`', what)
        if named:  # the training chapters' own options
            usage = cli.chapter.options_parser(section).format_help()
            assert [o for o in named if not re.search(rf'{o}(?![\w-])', usage)] == [], section


def test_the_readme_is_a_front_page_linking_every_docs_page():
    lines = open(README, encoding='utf-8').read().splitlines()
    assert len(lines) <= FRONT_PAGE_LINES, f'README.md: {len(lines)} lines; move text to docs/'
    linked = {target for _, target in _links(README)}
    assert [p for p in pages()[1:] + ['docs/promises.md'] if p not in linked] == []


def test_the_readmes_commands_are_what_ci_runs():
    """The README's test command is a line of .ci/run, verbatim, and both install the
    same MXNet the same way."""
    readme = open(README, encoding='utf-8').read()
    ci = open(os.path.join(REPO, '.ci', 'run'), encoding='utf-8').read().splitlines()
    blocks = re.findall(r'```sh\n(.*?)\n```', readme, re.S)
    test_command = [b for b in blocks if b.endswith('python -m pytest -q')]
    assert len(test_command) == 1 and test_command[0] in ci
    install = [b for b in blocks if b.endswith('d2lsoftmax run 3.6')]
    assert len(install) == 1 and 'pip install --no-deps mxnet==1.9.1' in install[0]


def test_the_python_programs_ci_runs_work():
    """Every `python -c "..."` of .ci/run runs here (a module it names may have moved)."""
    ci = open(os.path.join(REPO, '.ci', 'run'), encoding='utf-8').read()
    programs = re.findall(r'python -c "([^"]+)"', ci)
    assert programs
    for program in programs:
        done = subprocess.run([sys.executable, '-c', program], capture_output=True, text=True,
                              cwd=REPO, timeout=120)
        assert done.returncode == 0, (program, done.stderr[-500:])


# ------------------------------------------------- files, links and names the pages give

PLACEHOLDER = re.compile(r'(?<![A-Za-z0-9])(?:RELEASE|SECTION|NAME|FILE|N)(?![A-Za-z0-9])')


def named_paths(path):
    """The paths into the repository a page names (bench/, chapters/, d2lsoftmax/, docs/,
    tests/, .ci/), a placeholder in capitals (RELEASE, SECTION, ...) as a wildcard."""
    text = open(path, encoding='utf-8').read()
    return set(re.findall(r'(?<![\w./])((?:bench|chapters|d2lsoftmax|docs|tests|\.ci)/'
                          r'[\w./*-]*\w)', text))


def missing_paths(path, repo=REPO):
    return sorted(p for p in named_paths(path)
                  if not glob.glob(os.path.join(repo, PLACEHOLDER.sub('*', p))))


def test_the_files_the_pages_name_exist():
    """Every path into this repository the pages give (scripts, benchmarks, tests, logs)."""
    found = {page: missing_paths(page) for page in _quoting_pages()}
    assert sum(len(named_paths(page)) for page in _quoting_pages()) >= 50
    assert {os.path.relpath(p, REPO): m for p, m in found.items() if m} == {}


def test_the_path_check_finds_a_moved_file(tmp_path):
    (tmp_path / 'tests' / 'data').mkdir(parents=True)
    (tmp_path / 'tests' / 'data' / 'test_a.py').write_text('')
    page = tmp_path / 'p.md'
    page.write_text('`tests/data/test_a.py`, tests/test_a.py, tests/*/test_a.py, '
                    'tests/data/test_SECTION.py and tests/NAME/test_b.py.\n')
    assert missing_paths(str(page), str(tmp_path)) == ['tests/NAME/test_b.py', 'tests/test_a.py']


def slug(heading):
    """The anchor a heading gets on GitHub: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r'[^\w\- ]', '', heading.lstrip('#').strip().lower()).replace(' ', '-')


def _links(path):
    """(line number, target) of the relative markdown links of a page, outside code."""
    return [(number, target) for number, line in lines_outside_code(path)
            for target in re.findall(r'\]\(([^)\s]+)\)', line)
            if not re.match(r'[a-z]+:', target)]


def broken_links(path):
    """Relative links of a page whose file, or whose heading (#anchor), is not there."""
    found = []
    for number, target in _links(path):
        file, _, anchor = target.partition('#')
        full = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
        if not os.path.exists(full):
            found.append(f'{os.path.basename(path)}:{number}: {target}: no such file')
        elif anchor and anchor not in {slug(line) for _, line in lines_outside_code(full)
                                       if line.startswith('#')}:
            found.append(f'{os.path.basename(path)}:{number}: {target}: no such heading')
    return found


def test_the_pages_links_lead_somewhere():
    """Every relative link of the README and the docs leads to a file, and to a heading of
    it where it names one."""
    assert sum(len(_links(page)) for page in _quoting_pages()) >= 20
    assert [problem for page in _quoting_pages() for problem in broken_links(page)] == []


def test_the_link_check_finds_a_missing_file_and_heading(tmp_path):
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'docs' / 'a.md').write_text("# A\n\n## OpenBLAS's kernels (`x`)\n")
    page = tmp_path / 'R.md'
    page.write_text('[a](docs/a.md) [k](docs/a.md#openblass-kernels-x) [b](docs/b.md)\n'
                    '[g](docs/a.md#gone) [w](https://example.org/x) [s](#here)\n\n## Here\n'
                    '```\n[c](docs/c.md)\n```\n')
    assert broken_links(str(page)) == ['R.md:1: docs/b.md: no such file',
                                       'R.md:2: docs/a.md#gone: no such heading']


def resolves(name):
    """True where a dotted name of the package (`d2lsoftmax.util.limits`,
    `d2lsoftmax.data.STALL_BYTES`) is a module or a module's attribute."""
    parts = name.split('.')
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module('.'.join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(value, attribute):
                return False
            value = getattr(value, attribute)
        return True
    return False


def test_the_module_names_the_pages_give_exist():
    """Every `d2lsoftmax.x.y` the pages name is a module or a name in one (a module that
    moved to a layer folder is named by its new place); `d2lsoftmax.chapters` is the
    chapters/ folder, installed under that name."""
    names = {name.rstrip('.') for page in _quoting_pages()
             for name in re.findall(r'(?<![\w./])d2lsoftmax\.[A-Za-z_][\w.]*',
                                    open(page, encoding='utf-8').read())}
    assert len(names) >= 10
    chapters = {n for n in names if n == 'd2lsoftmax.chapters'}
    assert not chapters or 'd2lsoftmax.chapters = chapters' in open(
        os.path.join(REPO, 'setup.cfg'), encoding='utf-8').read()
    assert sorted(n for n in names - chapters if not resolves(n)) == []
    assert not resolves('d2lsoftmax.limits') and not resolves('d2lsoftmax.data.NO_SUCH_NAME')


def test_the_layout_names_every_folder_and_module():
    """docs/layout.md names every folder of the package and of the tests, and every module
    of the package by its file name: a folder or module added or moved must be described."""
    text = open(os.path.join(DOCS, 'layout.md'), encoding='utf-8').read()
    package = os.path.join(REPO, 'd2lsoftmax')
    folders = [f'd2lsoftmax/{d}/' for d in sorted(os.listdir(package))
               if os.path.isdir(os.path.join(package, d)) and d != '__pycache__']
    folders += [f'tests/{d}' for d in sorted(os.listdir(os.path.join(REPO, 'tests')))
                if os.path.isdir(os.path.join(REPO, 'tests', d)) and d != '__pycache__']
    modules = sorted({os.path.basename(p) for p in glob.glob(os.path.join(package, '**', '*.py'),
                                                             recursive=True)} - {'__main__.py'})
    assert len(folders) >= 12 and len(modules) >= 25
    assert [f for f in folders if f not in text] == []
    assert [m for m in modules if f'`{m}`' not in text and not re.search(
        rf'(?<![\w/]){re.escape(m)}(?!\w)', text)] == []
