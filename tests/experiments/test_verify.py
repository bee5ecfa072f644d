"""`d2lsoftmax verify`: this machine's verdict per chapter, planted bugs caught, an installed copy.

The verdicts follow d2lsoftmax.experiments.verify: exact where the numerics fingerprint is recorded,
within the band where it is not, outside otherwise (exit status 1). Trainings are
short (1 or 2 epochs, one or two chapters) and marked slow; settings that are read
when MXNet loads (OpenBLAS's kernels, oneDNN's ISA cap, threads) run in a fresh process.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig

import pytest

import d2lsoftmax
from support.chapter_runs import seed0_lines
from support.plants import plant_loss_averaged_twice
from d2lsoftmax import cli, data, reference, sections
from d2lsoftmax.experiments import runs, verify
from d2lsoftmax.reference import Deviation
from d2lsoftmax.data.releases import BOOK, CURRENT
from d2lsoftmax.training import EPOCH_LINE
from support import REPO

ROOT = REPO
VERDICT_LINE = re.compile(r'^(\S+) \(.*?\): (exact|within the band|outside)(?: - |$)')
SUMMARY = re.compile(r'^summary: (\d+) exact, (\d+) within the band, (\d+) outside: ')


def printed_verdicts(text):
    """{section: verdict} of the chapters' head lines in verify's text report."""
    found = {}
    for line in text.splitlines():
        match = VERDICT_LINE.match(line)
        if match:
            found[match[1]] = match[2]
    return found


def exit_code(argv):
    """cli.main's exit status, also where argparse exits by itself."""
    try:
        return cli.main(argv)
    except SystemExit as e:
        return e.code


def first_block(section):
    """(fingerprint line, lines) of the first recorded block of `section`."""
    return next(iter(reference.blocks(CURRENT, section).items()))


# ------------------------------------------------------------ the judgement

def test_judge_recorded_fingerprint_is_exact_on_a_prefix():
    blocks = reference.blocks(CURRENT, '3.10')
    key, lines = first_block('3.10')
    for k in (1, 2, 5):
        assert verify.judge(lines[:k], blocks, key, reference.margin('3.10')) == \
            (verify.EXACT, [], None)


def test_judge_recorded_fingerprint_with_other_lines_is_outside():
    blocks = reference.blocks(CURRENT, '3.10')
    key, lines = first_block('3.10')
    other = next(b for b in blocks.values() if b[:2] != lines[:2])  # inside the band
    verdict, deviations, note = verify.judge(other[:2], blocks, key, reference.margin('3.10'))
    assert verdict == verify.OUTSIDE and 'recorded' in note
    assert deviations and all(d.low == d.high for d in deviations)  # against its own block
    assert verify.judge(other[:2], blocks, 'unrecorded', reference.margin('3.10'))[0] == \
        verify.BAND


def test_judge_unrecorded_fingerprint_in_the_band_and_outside():
    blocks = reference.blocks(CURRENT, '3.6')
    _, lines = first_block('3.6')
    verdict, deviations, note = verify.judge(lines[:2], blocks, 'new', reference.margin('3.6'))
    assert (verdict, deviations) == (verify.BAND, [])
    assert note == f'identical to the lines of {len(blocks)} of the {len(blocks)} recorded ' \
                   'fingerprints'  # softmax regression prints the same lines under all of them
    shifted = [lines[0], lines[1].replace('loss 0.5712', 'loss 0.5812')]
    verdict, deviations, _ = verify.judge(shifted, blocks, 'new', reference.margin('3.6'))
    assert verdict == verify.OUTSIDE
    assert [(d.epoch, d.column, d.value) for d in deviations] == [(2, 'loss', 0.5812)]
    assert deviations[0].by == pytest.approx(0.5812 - (0.5712 + 0.0002))


def test_deviation_says_where_and_by_how_much():
    above = Deviation(2, 'loss', 0.6001, 0.5710, 0.5714)
    assert above.what() == 'loss 0.6001 outside [0.5710, 0.5714] by +0.0287'
    assert str(above) == 'epoch 2 ' + above.what()
    below = Deviation(1, 'test_acc', 0.78, 0.789, 0.793)
    assert below.what() == 'test acc 0.780 outside [0.7890, 0.7930] by -0.0090'
    recorded = Deviation(3, 'loss', 0.5255, 0.5254, 0.5254)
    assert recorded.what() == 'loss 0.5255, recorded 0.5254 (+0.0001)'


# ------------------------------------------------------- the shipped reference

def test_the_reference_is_package_data_for_every_training_chapter():
    package = os.path.dirname(os.path.abspath(d2lsoftmax.__file__))
    assert os.path.commonpath([reference.FOLDER, package]) == package
    assert reference.releases() == [CURRENT]
    assert reference.check_sections(CURRENT, sections.training_sections())
    assert reference.check_release(None) == CURRENT
    with pytest.raises(ValueError, match=f'no reference epoch logs for Fashion-MNIST {BOOK}'):
        reference.check_release(BOOK)


def _result(section, recorded, verdict=verify.BAND):
    lines = reference.blocks(CURRENT, section)[first_block(section)[0]]
    return verify.Result(section, verdict, lines, recorded, [], None, 1.0)


def test_record_prints_blocks_the_reference_reads_back(tmp_path):
    found = verify.Machine(dict(release=CURRENT, mxnet='9.9', machine='x86_64', libc='glibc-9',
                                onednn_isa='AVX2', openblas='Zen', threads='1'), '3.11', '1.23')
    results = [_result('3.6', False), _result('3.10', False, verify.OUTSIDE)]
    text = '\n'.join(verify.record_lines(found, CURRENT, results))
    assert 'this fingerprint is NOT recorded' in text and '3.10 outside' in text
    assert '# d2lsoftmax/reference/golden/2017-08-31/3.6.log' in text
    path = tmp_path / 'pasted.log'
    path.write_text(text.split('# d2lsoftmax/reference/golden/2017-08-31/3.10.log')[0])
    assert reference.read_blocks(str(path)) == {verify.key(found): results[0].lines}
    recorded = verify.record_lines(found, CURRENT, [_result('3.6', True)])
    assert 'recorded already' in recorded[1]


# ------------------------------------------------------------ bad arguments

@pytest.mark.parametrize('argv, needle', [
    (['verify', '3.5'], 'chapter 3.5 trains no model'),
    (['verify', '9.9'], "no chapter '9.9'"),
    (['verify', '--epochs', '6'], 'the reference holds epochs 1 to 5'),
    (['verify', '--epochs', '0'], 'must be positive, got 0'),
    (['verify', '--record', '--epochs', '2'], '--record prints blocks of all 5 epochs'),
])
def test_bad_arguments_are_one_line_and_exit_2(capsys, argv, needle):
    assert exit_code(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and needle in lines[0] and 'error:' in lines[0], captured.err
    assert captured.out == ''


def test_a_release_without_reference_is_one_line_and_exit_1(capsys, monkeypatch):
    monkeypatch.setenv(data.RELEASE_ENV, BOOK)
    assert exit_code(['verify', '3.6', '--epochs', '1']) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(f'd2lsoftmax: error: no reference epoch logs for '
                                   f'Fashion-MNIST {BOOK}') and len(captured.err.splitlines()) == 1
    assert captured.out == ''


def test_missing_data_is_one_message_and_exit_1(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / 'nowhere'))
    assert exit_code(['verify', '3.6', '--epochs', '1']) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith('d2lsoftmax: error: ') and 'nowhere' in captured.err
    assert 'Traceback' not in captured.err and captured.out == ''


def test_an_unwritable_json_path_is_refused_before_training(capsys, tmp_path):
    assert exit_code(['verify', '3.6', '--json', str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert 'is a folder, not a file' in captured.err and captured.out == ''


# ------------------------------------------------------------ real trainings

def _verify(args, env=None, cwd=None, program=None):
    """(exit status, stdout, stderr) of `d2lsoftmax verify ARGS` in a fresh process."""
    command = program or [sys.executable, '-m', 'd2lsoftmax.cli']
    done = subprocess.run([*command, 'verify', *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd or ROOT, timeout=300)
    return done.returncode, done.stdout, done.stderr


def _expected(report):
    """{section: the verdict the rules give}: exact where the fingerprint is recorded."""
    fp = {k: v for k, v in report['fingerprint'].items() if k not in ('python', 'numpy')}
    key = ' '.join(f'{k}={v}' for k, v in fp.items())
    return {c['section']: verify.EXACT if key in reference.blocks(CURRENT, c['section'])
            else verify.BAND for c in report['chapters']}


@pytest.mark.slow
@pytest.mark.parametrize('setting', [
    {},  # as installed: recorded or not, depending on the machine
    {'OPENBLAS_CORETYPE': 'Haswell', 'DNNL_MAX_CPU_ISA': 'AVX2'},  # recorded (AVX2 machines)
    {'OMP_NUM_THREADS': '3'},  # never recorded: held to the band
], ids=['as-configured', 'haswell-avx2', '3-threads'])
def test_this_machine_is_exact_where_recorded_else_within_the_band(setting, real_data, tmp_path):
    path = tmp_path / 'report.json'
    status, out, err = _verify(['3.6', '3.10', '--epochs', '2', '--json', str(path)], setting)
    assert status == 0, out + err
    report = json.loads(path.read_text())
    assert report['fingerprint']['python'] == '.'.join(map(str, sys.version_info[:3]))
    assert _expected(report) == printed_verdicts(out) == \
        {c['section']: c['verdict'] for c in report['chapters']}
    if setting.get('OPENBLAS_CORETYPE') == 'Haswell' and not report['recorded']:
        pytest.skip(f'{report["fingerprint"]} is not recorded (another libc or CPU)')
    if setting.get('OMP_NUM_THREADS') == '3':
        assert not report['recorded'] and 'not recorded' in out
    for chapter in report['chapters']:
        assert len(chapter['lines']) == 2 and chapter['deviations'] == []
    [summary] = [line for line in out.splitlines() if line.startswith('summary: ')]
    assert [int(n) for n in SUMMARY.match(summary).groups()] == \
        [report['summary'][v] for v in verify.VERDICTS]


@pytest.mark.slow
@pytest.mark.parametrize('section', ['3.6', '3.10'])
def test_the_first_epochs_are_a_prefix_of_the_five(section, real_data):
    """What --epochs K relies on: nothing in the book's settings depends on the epoch count."""
    records, _ = runs.train_chapter(section, seed=0, num_epochs=2)
    assert [EPOCH_LINE % r for r in records] == seed0_lines(section)[:2]


def _lr_scaled(factor):
    """A plant: every chapter trains with its learning rate times `factor`."""
    def plant(monkeypatch):
        chapter_args = runs.chapter_args

        def shifted(section, seed=0, **overrides):
            args = chapter_args(section, seed, **overrides)
            args.lr *= factor
            return args
        monkeypatch.setattr(runs, 'chapter_args', shifted)
    return plant


@pytest.mark.slow
@pytest.mark.parametrize('plant', [_lr_scaled(1.05), _lr_scaled(0.95), plant_loss_averaged_twice],
                         ids=['lr-5%-higher', 'lr-5%-lower', 'loss-averaged-twice'])
def test_a_planted_regression_is_outside_and_exit_1(plant, monkeypatch, real_data, tmp_path,
                                                    capsys):
    plant(monkeypatch)
    path = tmp_path / 'report.json'
    assert exit_code(['verify', '3.6', '--epochs', '2', '--json', str(path)]) == 1
    out = capsys.readouterr().out
    report = json.loads(path.read_text())
    assert printed_verdicts(out) == {'3.6': verify.OUTSIDE}
    [chapter] = report['chapters']
    assert chapter['verdict'] == verify.OUTSIDE and report['exit_status'] == 1
    assert chapter['deviations'] and all(abs(d['by']) > 0 for d in chapter['deviations'])
    assert 'does NOT reproduce' in out
    for d in chapter['deviations']:  # each is printed under its line, with how far it is off
        assert Deviation(*(d[k] for k in Deviation._fields)).what() in out


@pytest.mark.slow
def test_json_on_stdout_and_text_on_stderr(real_data):
    status, out, err = _verify(['3.6', '--epochs', '1', '--json', '-'])
    report = json.loads(out)
    assert status == report['exit_status'] == 0
    assert printed_verdicts(err) == {'3.6': report['chapters'][0]['verdict']}
    assert report['chapters'][0]['book']['release'] == BOOK
    assert report['chapters'][0]['spread']['release'] == CURRENT


@pytest.mark.slow
def test_a_copy_installed_from_a_wheel_finds_its_reference(real_data, tmp_path):
    """Built with pip wheel from the sources, installed without deps into a fresh venv that
    sees this one's packages (a .pth file), run from a folder outside the checkout."""
    source = tmp_path / 'src'
    source.mkdir()
    for name in ('setup.cfg', 'setup.py', 'pyproject.toml', 'README.md', 'd2lsoftmax',
                 'd2lsoftmax_compat.py', 'd2lsoftmax_compat.pth', 'chapters'):
        subprocess.run(['cp', '-r', os.path.join(ROOT, name), str(source)], check=True)
    for junk in source.rglob('__pycache__'):
        subprocess.run(['rm', '-rf', str(junk)], check=True)
    pip = [sys.executable, '-m', 'pip']
    built = subprocess.run([*pip, 'wheel', '-q', '--no-deps', str(source), '-w',
                            str(tmp_path / 'dist')], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = (tmp_path / 'dist').glob('d2lsoftmax-*.whl')
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True)
    python = str(venv / 'bin' / 'python')
    installed = subprocess.run([*pip, '--python', python, 'install', '-q', '--no-deps',
                                str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr[-2000:]
    site = subprocess.run([python, '-c', 'import sysconfig; print(sysconfig.get_paths()'
                           '["purelib"])'], capture_output=True, text=True, check=True)
    # The start-up hook that puts numpy's removed names back comes with the wheel.
    assert os.path.isfile(os.path.join(site.stdout.strip(), 'd2lsoftmax_compat.pth'))
    # The dependencies, as a plain path: this venv's .pth files (its editable d2lsoftmax) stay out.
    deps = sysconfig.get_paths()['purelib']
    with open(os.path.join(site.stdout.strip(), 'deps.pth'), 'w') as f:
        f.write(deps + '\n')
    # and setuptools' `distutils` (MXNet imports it; Python 3.12 dropped it), read after deps.pth
    shim = os.path.join(deps, 'distutils-precedence.pth')
    if os.path.isfile(shim):
        shutil.copy(shim, site.stdout.strip())
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    where = subprocess.run([python, '-c', 'from d2lsoftmax import reference; '
                            'print(reference.FOLDER)'], capture_output=True, text=True,
                           cwd=str(elsewhere), check=True)
    assert where.stdout.strip().startswith(str(venv))
    status, out, err = _verify(['3.6', '--epochs', '1', '--json', 'report.json'],
                               cwd=str(elsewhere), program=[str(venv / 'bin' / 'd2lsoftmax')])
    assert status == 0, out + err
    report = json.loads((elsewhere / 'report.json').read_text())
    assert report['chapters'][0]['verdict'] in (verify.EXACT, verify.BAND)
    assert printed_verdicts(out) == {'3.6': report['chapters'][0]['verdict']}
