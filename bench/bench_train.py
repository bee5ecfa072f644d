"""Benchmark: train each chapter for 5 epochs with d2lsoftmax, the book's reference and PyTorch.

For each training chapter it runs, each in a fresh process (so peak RSS is its own):
  ours   runs.train_chapter: in-memory batches, train_ch3 with one host read per epoch
  book   gluon FashionMNIST + DataLoader(ToTensor, num_workers=4) + d2lzh.train_ch3
  torch  the same model and batches in PyTorch, if torch is importable (else skipped)
and prints seconds, peak RSS, the ratios, and whether ours and the book print the same
lines. Targets: 3.6 >= 10x faster than the book; 3.7 and 3.10 no slower than PyTorch.

    python bench/bench_train.py [--sections 3.6 3.7] [--num-epochs 5] [--workers 4]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time


def peak_rss_mb():
    """Peak resident memory of this process and of its (waited-for) children, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def run_ours(section, num_epochs, workers):
    from d2lsoftmax import runs
    from d2lsoftmax.training import EPOCH_LINE
    records, _ = runs.train_chapter(section, num_epochs=num_epochs)
    return [EPOCH_LINE % r for r in records]


def run_book(section, num_epochs, workers):
    from d2lsoftmax import book, runs
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
    from d2lsoftmax import runs
    from d2lsoftmax.data import load_arrays
    from d2lsoftmax.training import EPOCH_LINE
    args = runs.chapter_args(runs.chapter_module(section))
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
    from d2lsoftmax import book, runs  # noqa: F401
    runs.chapter_module(section)
    if kind == 'torch':
        import torch  # noqa: F401
    start = time.perf_counter()
    lines = RUNNERS[kind](section, num_epochs, workers)
    seconds = time.perf_counter() - start
    own, children = peak_rss_mb()
    print(json.dumps(dict(seconds=seconds, rss=own, children_rss=children, lines=lines)))


def measure(kind, section, num_epochs, workers):
    """Run `kind` in a fresh interpreter; its JSON, or None when it cannot run (no torch)."""
    cmd = [sys.executable, os.path.abspath(__file__), '--child', kind, '--sections', section,
           '--num-epochs', str(num_epochs), '--workers', str(workers)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        if kind == 'torch' and 'ModuleNotFoundError' in done.stderr:
            return None
        sys.exit(f'{kind} {section} failed:\n{done.stderr[-2000:]}')
    return json.loads(done.stdout.splitlines()[-1])


def main():
    from d2lsoftmax import runs
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sections', nargs='+', default=None)
    parser.add_argument('--num-epochs', type=int, default=5)
    parser.add_argument('--workers', type=int, default=4, help='DataLoader workers of the book')
    parser.add_argument('--child', choices=RUNNERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.sections[0], args.num_epochs, args.workers)
    sections = args.sections or runs.training_sections()
    print(f'{args.num_epochs} epochs each; book = DataLoader(ToTensor, num_workers='
          f'{args.workers}) + d2lzh.train_ch3; RSS = peak of the main process (workers)')
    print(f'{"chapter":<8}{"ours s":>8}{"book s":>8}{"torch s":>8}{"book/ours":>10}'
          f'{"torch/ours":>11}{"ours MiB":>9}{"book MiB":>14}{"torch MiB":>10}  same lines')
    for section in sections:
        ours, book = (measure(k, section, args.num_epochs, args.workers) for k in ('ours', 'book'))
        torch = measure('torch', section, args.num_epochs, args.workers)
        t_s = f'{torch["seconds"]:8.2f}' if torch else f'{"-":>8}'
        t_ratio = f'{torch["seconds"] / ours["seconds"]:10.2f}x' if torch else f'{"-":>11}'
        t_rss = f'{torch["rss"]:10.0f}' if torch else f'{"-":>10}'
        book_rss = f'{book["rss"]:.0f} ({book["children_rss"]:.0f})'
        print(f'{section:<8}{ours["seconds"]:8.2f}{book["seconds"]:8.2f}{t_s}'
              f'{book["seconds"] / ours["seconds"]:9.1f}x{t_ratio}{ours["rss"]:9.0f}'
              f'{book_rss:>14}{t_rss}  {"yes" if ours["lines"] == book["lines"] else "NO"}')
        if torch:
            print(f'        torch final: {torch["lines"][-1]}')


if __name__ == '__main__':
    main()
