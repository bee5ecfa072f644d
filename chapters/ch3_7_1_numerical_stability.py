"""Numerical stability: why softmax then log overflows, and softmax cross-entropy from logits."""
SECTION = '3.7.1'
BOOK_LR = 0.1  # the steps of scratch and concise are compared at the book's rate
DIVERGE_LR = 1.0  # a rate at which the naive softmax of section 3.6 produces nan

import itertools

import numpy as np
from mxnet import nd
from mxnet.gluon import loss as gloss

import d2lsoftmax as d2l
from d2lsoftmax import cli, stable
from d2lsoftmax.concise import sgd_trainer, softmax_loss
from d2lsoftmax.scratch import cross_entropy, init_params, softmax_regression

F32 = np.finfo(np.float32)
# (what it shows, logits o, label y): one example each
CASES = [
    ('ordinary logits', [1.0, 2.0, 3.0], 2),
    ('a huge logit, right class', [1000.0, 0.0], 0),
    ('a huge logit, wrong class', [1000.0, 0.0], 1),
    ('true class far below', [-1000.0, 0.0], 0),
    ('all logits very negative', [-1000.0, -1000.0], 0),
    ('confidently wrong', [-60.0, 60.0], 0),
    ('confidently wrong, mild', [45.0, 0.0], 1),
    ('confidently right', [20.0, 0.0], 0),
    ('float32 limit, wrong class', [float(F32.max), 0.0], 1),
]


def row(a):
    """A numpy row in 4 significant digits."""
    return np.array2string(a, precision=4)


def show_cases(cases=CASES):
    """Naive and stable loss and gradient of each case, and why the naive one fails."""
    for what, o, y in cases:
        r = stable.compare([o], [y])
        print(f'{what}: o = [{", ".join(f"{v:g}" for v in o)}], y = {y}')
        print(f'  naive  softmax {row(r["naive_softmax"][0])}  loss {r["naive_loss"][0]:<11.4g} '
              f'grad {row(r["naive_grad"][0])}')
        print(f'  stable softmax {row(r["softmax"][0])}  loss {r["loss"][0]:<11.4g} '
              f'grad {row(r["grad"][0])}')
        print(f'  -> {stable.explain(o, y)}')


def show_gluon_takes_logits():
    """gluon's SoftmaxCrossEntropyLoss equals our cross-entropy on logits, not on probabilities."""
    o = nd.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0], [-60.0, 60.0, 0.0]])  # (3, 3)
    y = nd.array([2, 0, 0])
    ours = stable.cross_entropy(o, y)
    gluon = gloss.SoftmaxCrossEntropyLoss()(o, y)
    on_probs = gloss.SoftmaxCrossEntropyLoss()(stable.softmax(o), y)  # softmax twice
    print('stable.cross_entropy(o, y)              ', row(ours.asnumpy()))
    print('SoftmaxCrossEntropyLoss()(o, y)         ', row(gluon.asnumpy()),
          '<- the same, to MXNet\'s float32 log_softmax (about 1.5e-6 absolute)')
    print('SoftmaxCrossEntropyLoss()(softmax(o), y)', row(on_probs.asnumpy()),
          '<- wrong: a softmax layer in the net would be applied twice')
    print('so the concise net ends in Dense(10), with no softmax layer')


def same_steps(batches, test_iter, lr=BOOK_LR):
    """Scratch (logits + stable loss + sgd) and concise, same start and batches: same params."""
    W, b = init_params()  # W ~ N(0, 0.01^2), b = 0, attach_grad
    twin = stable.concise_twin(W, b)  # Dense(10) holding copies of W and b
    batch_size = len(batches[0][1])
    print('start: max |scratch - concise| =', stable.param_gap(W, b, twin))
    print('scratch: ', end='')
    d2l.train_ch3(stable.linear(W, b), batches, test_iter, stable.cross_entropy, 1,
                  batch_size, params=[W, b], lr=lr)
    print('concise: ', end='')
    d2l.train_ch3(twin, batches, test_iter, softmax_loss(), 1, batch_size,
                  trainer=sgd_trainer(twin, lr))
    gap = stable.param_gap(W, b, twin)
    print(f'after {len(batches)} steps at lr {lr}: max |scratch - concise| = {gap:.2g} '
          f'(float32 rounding; the largest weight is {nd.abs(W).max().asscalar():.3g})')
    return gap


def naive_against_stable(batches, test_iter, lr=DIVERGE_LR):
    """Section 3.6's naive model diverges at lr; the same model on logits does not."""
    batch_size = len(batches[0][1])
    W, b = init_params()
    print('naive:  ', end='')
    try:
        d2l.train_ch3(softmax_regression(W, b), batches, test_iter, cross_entropy, 1,
                      batch_size, params=[W, b], lr=lr)
        print(f'  (no nan in {len(batches)} batches at lr {lr}; try a larger --lr)')
    except d2l.TrainingDiverged as e:
        print(e)
    W, b = init_params()
    print('stable: ', end='')
    return d2l.train_ch3(stable.linear(W, b), batches, test_iter, stable.cross_entropy, 1,
                         batch_size, params=[W, b], lr=lr)


def main(argv=None):
    parser = cli.chapter_parser(SECTION, __doc__, lr=DIVERGE_LR, batch_size=256)
    parser.add_argument('--num-batches', type=int, default=100,
                        help='minibatches to train on in the comparisons (default %(default)s)')
    args = parser.parse_args(argv)
    if args.num_batches < 1:
        parser.error(f'--num-batches must be positive, got {args.num_batches}')
    d2l.set_seed(args.seed)

    print(f'float32: exp(x) = inf for x > {stable.EXP_OVERFLOW:.2f}, exp(x) = 0 for x < '
          f'{stable.EXP_UNDERFLOW:.2f}; sum**2 = inf once a logit > {stable.SQUARE_OVERFLOW:.2f}')
    print()
    show_cases()
    print()
    show_gluon_takes_logits()

    train_iter, test_iter = d2l.load_data_fashion_mnist(args.batch_size)
    batches = list(itertools.islice(train_iter, args.num_batches))  # the same for every model
    print(f'\nscratch with the stable pair against concise, on the first {len(batches)} batches:')
    same_steps(batches, test_iter)
    print(f'\nthe naive softmax of section 3.6 against the stable pair at lr {args.lr}:')
    return naive_against_stable(batches, test_iter, args.lr)


if __name__ == '__main__':
    cli.script(main)
