"""Benchmark: train each chapter for 5 epochs with d2lsoftmax, the book's reference and PyTorch.

For each training chapter it runs, each in a fresh process (so peak RSS is its own):
  ours   runs.train_chapter: in-memory batches, train_ch3 with one host read per epoch
  book   gluon FashionMNIST + DataLoader(ToTensor, num_workers=4) + d2lzh.train_ch3
  torch  the same model and batches in PyTorch, if torch is importable (else skipped)
and prints seconds, peak RSS, the ratios, and whether ours and the book print the same
lines. Targets: 3.6 >= 10x faster than the book; 3.7 and 3.10 no slower than PyTorch.

Each pipeline runs --repeat times, interleaved, and the median run is reported
(this 2-core machine moves by 10-20% between runs). Reading the files is timed
too; ours reuses its decompressed copies, as every run after the first does, so
"1st" repeats ours with an empty cache (gunzip included). The book's arm reads
through the same reader (gluon's own cannot read Debian's files).

    python bench/bench_train.py [--sections 3.6 3.7] [--num-epochs 5] [--workers 4]
                                [--repeat 3] [--torch-path DIR]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def peak_rss_mb():
    """Peak resident memory of this process and of its (waited-for) children, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def run_ours(section, num_epochs, workers):
    from d2lsoftmax.experiments import runs
    from d2lsoftmax.training import EPOCH_LINE
    records, _ = runs.train_chapter(section, num_epochs=num_epochs)
    return [EPOCH_LINE % r for r in records]


def run_book(section, num_epochs, workers):
    from d2lsoftmax.reference import book
    from d2lsoftmax.experiments import runs
    lines, _ = runs.train_chapter(
        section, num_epochs=num_epochs, train=book.train_ch3_lines,
        loader=lambda b: book.load_data_fashion_mnist(b, num_workers=workers))
    return lines


def torch_net(section, torch):
    """The chapter's model in PyTorch: Linear(784, 10), or 784-256-10 with ReLU for the MLP."""
    nn = torch.nn
    if section in ('3.9', '3.10'):
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    else:
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.01)
            nn.init.zeros_(m.bias)
    return net


def run_torch(section, num_epochs, workers):
    import numpy as np
    import torch
    from d2lsoftmax.experiments import runs
    from d2lsoftmax import sections
    from d2lsoftmax.data import load_arrays
    from d2lsoftmax.training import EPOCH_LINE
    args = sections.chapter_args(section)
    torch.manual_seed(0)
    np.random.seed(0)
    X_train, y_train = (torch.from_numpy(a.copy()) for a in load_arrays('train'))
    X_test, y_test = (torch.from_numpy(a.copy()) for a in load_arrays('test'))
    net = torch_net(section, torch)
    # Summed loss stepped by batch size == mean loss at lr (the book's reduction).
    trainer = torch.optim.SGD(net.parameters(), lr=args.lr)
    loss = torch.nn.CrossEntropyLoss(reduction='sum')
    to_X = lambda images: images.permute(0, 3, 1, 2).float().div_(255)  # (b, 1, 28, 28)
    lines, b = [], args.batch_size
    for epoch in range(1, num_epochs + 1):
        order = torch.from_numpy(np.random.permutation(len(y_train)))
        l_sum, correct = torch.zeros(()), torch.zeros(())
        for start in range(0, len(order), b):
            idx = order[start:start + b]
            X, y = to_X(X_train[idx]), y_train[idx].long()
            y_hat = net(X)
            l = loss(y_hat, y)
            trainer.zero_grad()
            (l / len(y)).backward()
            trainer.step()
            l_sum += l.detach()
            correct += (y_hat.argmax(dim=1) == y).sum()
        with torch.no_grad():
            test_correct = sum((net(to_X(X_test[i:i + b])).argmax(dim=1) == y_test[i:i + b].long())
                               .sum() for i in range(0, len(y_test), b))
        n = len(y_train)
        lines.append(EPOCH_LINE % (epoch, l_sum.item() / n, correct.item() / n,
                                   test_correct.item() / len(y_test)))
    return lines


RUNNERS = {'ours': run_ours, 'book': run_book, 'torch': run_torch}


def child(kind, section, num_epochs, workers):
    """Run one measurement in this process and print it as JSON on the last line."""
    # Imports are not part of the timed work: load every module the run will use.
    import d2lzh  # noqa: F401
    from d2lsoftmax.reference import book  # noqa: F401
    from d2lsoftmax.experiments import runs
    from d2lsoftmax import sections
    sections.chapter(section)
    if kind == 'torch':
        import torch  # noqa: F401
    start = time.perf_counter()
    lines = RUNNERS[kind](section, num_epochs, workers)
    seconds = time.perf_counter() - start
    own, children = peak_rss_mb()
    print(json.dumps(dict(seconds=seconds, rss=own, children_rss=children, lines=lines)))


def measure(kind, section, num_epochs, workers, env=None):
    """Run `kind` in a fresh interpreter; its JSON, or None when it cannot run (no torch)."""
    cmd = [sys.executable, os.path.abspath(__file__), '--child', kind, '--sections', section,
           '--num-epochs', str(num_epochs), '--workers', str(workers)]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if done.returncode != 0:
        if kind == 'torch' and 'ModuleNotFoundError' in done.stderr:
            return None
        sys.exit(f'{kind} {section} failed:\n{done.stderr[-2000:]}')
    return json.loads(done.stdout.splitlines()[-1])


def first_run(section, num_epochs, workers):
    """Ours as on its first run: an empty cache, so the .gz files are gunzipped (and copied)."""
    from d2lsoftmax.data import find_data_dir
    with tempfile.TemporaryDirectory() as home:
        return measure('ours', section, num_epochs, workers,
                       env={'MXNET_HOME': home, 'D2LSOFTMAX_DATA': find_data_dir()})


def median_run(runs):
    """The run of median time (the lower middle one for an even count), with every time."""
    ordered = sorted(runs, key=lambda r: r['seconds'])
    return {**ordered[(len(ordered) - 1) // 2], 'all': [r['seconds'] for r in runs]}


def measure_section(section, args):
    """{'ours', 'book', 'torch' (or None), 'first'}: median runs, interleaved repeats."""
    measured = {'ours': [], 'book': [], 'torch': []}
    kinds = list(measured)
    for _ in range(args.repeat):  # interleaved, so a slow spell hits every pipeline
        for kind in list(kinds):
            env = None
            if kind == 'torch' and args.torch_path:  # only the torch run sees its folder
                env = {'PYTHONPATH': os.pathsep.join(
                    filter(None, [args.torch_path, os.environ.get('PYTHONPATH')]))}
            result = measure(kind, section, args.num_epochs, args.workers, env)
            if result is None:  # no torch here: do not try again
                kinds.remove(kind)
            else:
                measured[kind].append(result)
    runs = {kind: median_run(results) if results else None for kind, results in measured.items()}
    runs['first'] = first_run(section, args.num_epochs, args.workers)
    runs['same'] = all(r['lines'] == runs['book']['lines']
                       for r in measured['ours'] + [runs['first']])
    return runs


def row(section, m):
    """One table line: median seconds, ratios, peak RSS, whether the lines match the book."""
    ours, book, torch, first = m['ours'], m['book'], m['torch'], m['first']
    t_s = f'{torch["seconds"]:8.2f}' if torch else f'{"-":>8}'
    t_ratio = f'{torch["seconds"] / ours["seconds"]:10.2f}x' if torch else f'{"-":>11}'
    t_rss = f'{torch["rss"]:10.0f}' if torch else f'{"-":>10}'
    book_rss = f'{book["rss"]:.0f} ({book["children_rss"]:.0f})'
    return (f'{section:<8}{ours["seconds"]:8.2f}{first["seconds"]:7.2f}{book["seconds"]:8.2f}'
            f'{t_s}{book["seconds"] / ours["seconds"]:9.1f}x'
            f'{book["seconds"] / first["seconds"]:8.1f}x{t_ratio}{ours["rss"]:9.0f}'
            f'{book_rss:>14}{t_rss}  {"yes" if m["same"] else "NO"}')


def every_run(section, m):
    """All the times of a section, and the ratio of the best runs (noise only adds time)."""
    line = f'{section}: ' + ', '.join(
        f'{kind} ' + ' '.join(f'{t:.2f}' for t in m[kind]['all'])
        for kind in ('ours', 'book', 'torch') if m[kind])
    line += f'; best book/ours {min(m["book"]["all"]) / min(m["ours"]["all"]):.1f}x'
    if m['torch']:
        line += (f', best torch/ours {min(m["torch"]["all"]) / min(m["ours"]["all"]):.2f}x'
                 f' (torch final: {m["torch"]["lines"][-1]})')
    return line


def main():
    from d2lsoftmax import data, sections
    from d2lsoftmax.experiments import runs
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sections', nargs='+', default=None)
    parser.add_argument('--num-epochs', type=int, default=5)
    parser.add_argument('--workers', type=int, default=4, help='DataLoader workers of the book')
    parser.add_argument('--repeat', type=int, default=3,
                        help='runs of each pipeline, interleaved; the median is reported')
    parser.add_argument('--torch-path', metavar='DIR',
                        help='a folder holding torch, put on the path of the torch runs only')
    parser.add_argument('--child', choices=RUNNERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.sections[0], args.num_epochs, args.workers)
    chosen = args.sections or sections.training_sections()
    data.load_arrays('train'), data.load_arrays('test')  # leaves the decompressed copies
    print(f'{args.num_epochs} epochs each, median of {args.repeat} runs; book = DataLoader('
          f'ToTensor, num_workers={args.workers}) + d2lzh.train_ch3; 1st = ours with an '
          'empty cache; RSS = peak of the main process (workers)')
    print(f'{"chapter":<8}{"ours s":>8}{"1st s":>7}{"book s":>8}{"torch s":>8}{"book/ours":>10}'
          f'{"book/1st":>9}{"torch/ours":>11}{"ours MiB":>9}{"book MiB":>14}{"torch MiB":>10}'
          '  same lines')
    details = []
    for section in chosen:
        m = measure_section(section, args)
        print(row(section, m), flush=True)
        details.append(every_run(section, m))
    print('every run, in seconds:')
    for line in details:
        print('  ' + line)


if __name__ == '__main__':
    main()
