"""The package's layers, read from its import statements: no cycle, nothing imports upward.

Bottom to top: data; models; the training loop; experiments; the command line
(and the chapters). `plotting` and `sections` are leaf utilities: any layer may
import them, and they import only the data layer. Imports inside functions
count too: a lazy import is still a dependency. Also: `d2lsoftmax list` and
`--help` must not load MXNet.
"""
import ast
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = 'd2lsoftmax'
LAYERS = [  # bottom to top: each a folder of the package (sections: the chapters' table)
    ('data', {'data', 'reference'}),
    ('models', {'models'}),
    ('training', {'training'}),
    ('experiments', {'experiments'}),
    ('command line', {'cli', 'chapters'}),
]
# util/ imports nothing of the package (numerics reads blas); sections is plain data;
# plotting (figures from records and images) imports only data and util.
LEAVES = {'util', 'sections', 'training.plotting'}
NOT_LAYERED = {'__init__'}  # the package's lazy names (importlib): the book's `d2l.` names


def _leaf(module):
    return module in LEAVES or module.split('.')[0] in LEAVES


def layer_of(module):
    """Index of the layer holding `module`: its folder (chapters.* count as 'chapters')."""
    name = module.split('.')[0]
    for rank, (_, members) in enumerate(LAYERS):
        if name in members:
            return rank
    raise KeyError(module)


def module_files():
    """{module: path} of every module of the package (dotted below it: 'data.releases', a
    folder's __init__ by the folder's name) and of its chapters."""
    found = {}
    root = os.path.join(REPO, PACKAGE)
    for folder, _, names in sorted(os.walk(root)):
        relative = os.path.relpath(folder, root)
        if '__pycache__' in relative or 'golden' in relative:
            continue
        prefix = '' if relative == '.' else relative.replace(os.sep, '.') + '.'
        for name in sorted(names):
            if name.endswith('.py') and name != '__main__.py':
                module = (prefix[:-1] or '__init__') if name == '__init__.py' \
                    else prefix + name[:-3]
                found[module] = os.path.join(folder, name)
    chapters = os.path.join(REPO, 'chapters')
    for name in sorted(os.listdir(chapters)):
        if name.endswith('.py') and name != '__init__.py':
            found['chapters.' + name[:-3]] = os.path.join(chapters, name)
    return found


def package_imports(path, module, known):
    """The modules of `known` that the file at `path` imports, at any depth."""
    targets = set()
    tree = ast.parse(open(path, encoding='utf-8').read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            origin = node.module or ''
            if not node.level:  # absolute: only d2lsoftmax's own modules count
                if origin != PACKAGE and not origin.startswith(PACKAGE + '.'):
                    continue
                origin = origin[len(PACKAGE) + 1:]
            # `from PKG import sub` runs PKG's __init__ too: it counts as importing PKG
            names = [f'{origin}.{a.name}' if origin else a.name for a in node.names] + [origin]
        else:
            continue
        for name in names:
            name = name[len(PACKAGE) + 1:] if name.startswith(PACKAGE + '.') else name
            while name and name not in known:
                name = name.rpartition('.')[0]
            if name and name != module:
                targets.add(name)
    return targets


def import_graph():
    """{module: modules it imports}, package modules without the 'd2lsoftmax.' prefix."""
    files = module_files()
    known = set(files)
    return {m: package_imports(path, m, known) for m, path in files.items()}


def upward_imports(graph):
    """'a -> b' for every import that breaks the layering."""
    bad = []
    for module, targets in graph.items():
        if module in NOT_LAYERED:
            continue
        for target in sorted(targets):
            if target in NOT_LAYERED:
                continue
            if _leaf(module):
                if not _leaf(target) and layer_of(target) != 0:
                    bad.append(f'{module} -> {target} (a leaf utility imports only data)')
            elif not _leaf(target) and layer_of(target) > layer_of(module):
                bad.append(f'{module} -> {target} ({LAYERS[layer_of(module)][0]} imports '
                           f'{LAYERS[layer_of(target)][0]})')
    return bad


def cycles(graph):
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))
    for v in graph:
        if v not in index:
            visit(v)
    return found


# ------------------------------------------------------------------ the rules

def test_every_module_has_a_layer():
    unplaced = [m for m in import_graph() if m not in NOT_LAYERED and not _leaf(m)
                and not _placed(m)]
    assert not unplaced, f'place these modules in a layer of tests/test_layers.py: {unplaced}'


def _placed(module):
    try:
        layer_of(module)
        return True
    except KeyError:
        return False


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_nothing_imports_upward():
    assert upward_imports(import_graph()) == []


def test_the_graph_sees_relative_absolute_and_lazy_imports():
    graph = import_graph()
    assert {'models', 'data', 'sections', 'training'} <= graph['experiments.runs']
    assert 'training.plotting' in graph['training']  # inside predict_ch3
    assert 'models.stable' in graph['chapters.ch3_7_1_numerical_stability']  # from ... import
    assert 'training' in graph['cli']  # inside user_error_types


def test_the_checks_catch_an_upward_import_and_a_cycle():
    graph = {'experiments.runs': {'cli', 'models'}, 'cli': {'experiments.runs'},
             'models': set(), 'training.plotting': {'training'}, 'training': set()}
    assert upward_imports(graph) == [
        'experiments.runs -> cli (experiments imports command line)',
        'training.plotting -> training (a leaf utility imports only data)']
    assert cycles(graph) == [['cli', 'experiments.runs']]


# ------------------------------------------------------------- third parties

def top_level_imports(path):
    """(line, top-level name) of every absolute import in the file at `path`, in order."""
    found = []
    for node in ast.walk(ast.parse(open(path, encoding='utf-8').read())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name.split('.')[0]) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.append((node.lineno, node.module.split('.')[0]))
    return sorted(found)


def test_only_plotting_imports_matplotlib():
    """Every figure is drawn by plotting; other modules and the chapters call it."""
    assert [module for module, path in module_files().items()
            if 'matplotlib' in {name for _, name in top_level_imports(path)}] == \
        ['training.plotting']


def test_every_chapter_imports_d2lsoftmax_before_mxnet():
    """As the book imports d2lzh first: d2lsoftmax picks OpenBLAS's kernels before MXNet
    loads them (blas.py)."""
    for module, path in module_files().items():
        if module.startswith('chapters.'):
            names = [name for _, name in top_level_imports(path)]
            assert PACKAGE in names, module
            assert 'mxnet' not in names[:names.index(PACKAGE)], module


# ------------------------------------------------- no MXNet where none is needed

@pytest.mark.parametrize('argv', [['list'], ['--help'], ['notebook', '--help'],
                                  ['verify', '--help']],
                         ids=['list', 'help', 'notebook-help', 'verify-help'])
def test_commands_that_need_no_model_do_not_import_mxnet(argv):
    program = ('import sys, time\nstart = time.perf_counter()\nfrom d2lsoftmax import cli\n'
               'try:\n    cli.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n'
               'print("seconds", time.perf_counter() - start, file=sys.stderr)\n'
               'print("mxnet loaded" if "mxnet" in sys.modules else "no mxnet", file=sys.stderr)\n')
    done = subprocess.run([sys.executable, '-c', program, *argv], capture_output=True,
                          text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == 'no mxnet'
    assert done.stdout.strip()  # it listed the chapters, or showed the help
