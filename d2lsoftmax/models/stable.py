"""Numerically stable softmax and cross-entropy (book section 3.7.1), in the scratch style.

The book's softmax computes exp(o) / sum(exp(o)). In float32, exp(o) overflows to inf
once o > 88.72 (log of the largest float32, 3.4e38), and inf / inf is nan; exp(o)
underflows to 0 once o < -103.97, and log(0) is -inf. Even a finite loss can have a
wrong gradient: the backward pass of the division squares the sum, inf once o > 44.36.
All of it is cured by algebra, with c the row max:

    softmax(o) = exp(o - c) / sum(exp(o - c))
    log softmax(o)_j = (o_j - c) - log(sum_k exp(o_k - c))     (LogSumExp)

After the shift every exp is in (0, 1] and the max term is exactly 1, so the sum is
in [1, n]: nothing overflows and the log is never taken of 0 (we take it as log1p of
the other terms, which keeps tiny losses exact). The cross-entropy -log softmax(o)_y
is computed from the logits o without forming the probabilities, as gluon's
SoftmaxCrossEntropyLoss does; that is why the concise net has no softmax layer.
Everything is plain `nd` ops, so autograd gives the gradients (softmax(o) - onehot(y)).
"""
import numpy as np
from mxnet import autograd, nd

import d2lsoftmax.models.concise as concise  # the modules, not the package (no cycle)
import d2lsoftmax.models.scratch as scratch

FLOAT32 = np.finfo(np.float32)
EXP_OVERFLOW = float(np.log(FLOAT32.max))  # 88.72: exp(o) is inf in float32 above this
EXP_UNDERFLOW = float(np.log(float(FLOAT32.smallest_subnormal) / 2))  # -103.97: exp(o) is 0 below
# The backward pass of exp(o) / sum divides by sum**2, inf once the max logit > 44.36.
SQUARE_OVERFLOW = EXP_OVERFLOW / 2


def softmax(X):
    """Row-wise softmax that cannot overflow: exp(X - row max) has every entry in (0, 1]."""
    c = nd.stop_gradient(X.max(axis=1, keepdims=True))  # (batch_size, 1); cancels in the ratio
    X_exp = (X - c).exp()  # (batch_size, num_outputs), the row max maps to exactly 1
    return X_exp / X_exp.sum(axis=1, keepdims=True)  # the sum is in [1, num_outputs]


def _shift_and_log_sum(X):
    """Row argmax m, row max c and log(sum_j exp(X_j - c)) as log1p of the non-max terms.

    The max term is exactly 1, so the log is log(1 + rest); log1p keeps the digits of a
    tiny rest that 1 + rest would round away (the loss of a confident right answer).
    c is picked, not max()ed: autograd then sends its gradient to one entry even on ties.
    """
    m = X.argmax(axis=1)  # (batch_size,) index of each row's max
    c = nd.pick(X, m, keepdims=True)  # (batch_size, 1); the max entry enters only here
    others = 1 - nd.one_hot(m, X.shape[1])  # (batch_size, num_outputs), 0 at the max
    rest = ((X - c).exp() * others).sum(axis=1, keepdims=True)  # (batch_size, 1) in [0, n-1]
    return m, c, nd.log1p(rest)


def logsumexp(X):
    """log(sum(exp(X))) per row without overflow: c + log(sum(exp(X - c))); (batch_size, 1)."""
    _, c, log_sum = _shift_and_log_sum(X)
    return c + log_sum


def log_softmax(X):
    """log(softmax(X)) per row from the logits: (X - c) - log(sum(exp(X - c))), never log(0)."""
    _, c, log_sum = _shift_and_log_sum(X)
    return (X - c) - log_sum  # (batch_size, num_outputs), all entries <= 0 and finite


def cross_entropy(y_hat, y):
    """-log softmax(y_hat)[y] from logits `y_hat` (LogSumExp); shape (batch_size,).

    The stable replacement for scratch.cross_entropy(scratch.softmax(o), y): pass the
    net's logits, as to gluon's SoftmaxCrossEntropyLoss, whose numbers it reproduces.
    """
    m, c, log_sum = _shift_and_log_sum(y_hat)
    c_minus_o_y = c.reshape((-1,)) - nd.pick(y_hat, y)  # (batch_size,), >= 0
    # Where y is the argmax this is exactly 0; masking it keeps autograd from forming the
    # gradient p_y - 1 as (1 - rest') - 1, which rounds away a confident answer's digits.
    return log_sum.reshape((-1,)) + c_minus_o_y * (m != y.astype(m.dtype))


def linear(W, b):
    """net(X) = X W + b over flattened images: softmax regression's logits, no softmax.

    Paired with `cross_entropy` it is the scratch twin of the concise Dense(10) net
    trained with SoftmaxCrossEntropyLoss.
    """
    num_inputs = W.shape[0]

    def net(X):
        scratch.check_input(X, num_inputs)
        return nd.dot(X.reshape((-1, num_inputs)), W) + b  # (batch_size, num_outputs)
    return net


def concise_twin(W, b, hybridize=False):
    """concise.softmax_net holding copies of the scratch W (784, 10) and b: the same start.

    Dense stores its weight as (num_outputs, num_inputs) and computes X W^T + b.
    """
    net = concise.softmax_net(W.shape[1], num_inputs=W.shape[0], hybridize=hybridize)
    net(nd.zeros((1, W.shape[0])))  # a first call fixes the deferred shapes
    net[0].weight.set_data(W.T)
    net[0].bias.set_data(b)
    return net


def param_gap(W, b, net):
    """Largest |difference| between the scratch (W, b) and the concise twin's parameters."""
    return max(nd.abs(W - net[0].weight.data().T).max().asscalar(),
               nd.abs(b - net[0].bias.data()).max().asscalar())


# --------------------------------------------------- the naive version, taken apart

def naive_loss(o, y):
    """The book's pair on logits o: scratch.cross_entropy(scratch.softmax(o), y)."""
    return scratch.cross_entropy(scratch.softmax(o), y)


def loss_and_grad(loss, o, y):
    """loss(o, y) per example and the gradient of their sum with respect to the logits o."""
    o = o.copy()
    o.attach_grad()
    with autograd.record():
        l = loss(o, y)  # (batch_size,)
    l.backward()
    return l, o.grad  # (batch_size,), (batch_size, num_outputs)


def compare(o, y):
    """Naive and stable softmax, loss and loss gradient for logits `o`, labels `y`.

    Returns a dict of float32 numpy arrays, one row per example: 'naive_softmax',
    'naive_loss', 'naive_grad' (the book's pair) and 'softmax', 'loss', 'grad' (ours).
    """
    o, y = nd.array(o, dtype='float32'), nd.array(y, dtype='float32')
    naive_l, naive_grad = loss_and_grad(naive_loss, o, y)
    l, grad = loss_and_grad(cross_entropy, o, y)
    result = dict(naive_softmax=scratch.softmax(o), naive_loss=naive_l,
                  naive_grad=naive_grad, softmax=softmax(o), loss=l, grad=grad)
    return {name: value.asnumpy() for name, value in result.items()}


def reference_log_softmax(o):
    """log softmax in float64 NumPy (same shift and log1p): the true values, for checks."""
    o = np.asarray(o, dtype=np.float64)  # (batch_size, num_outputs)
    m = o.argmax(axis=1)
    c = o[np.arange(len(o)), m][:, None]  # (batch_size, 1) row max
    rest = np.exp(o - c)
    rest[np.arange(len(o)), m] = 0  # the max term, exactly 1, is the "1" of log1p
    return (o - c) - np.log1p(rest.sum(axis=1, keepdims=True))


def explain(o, y):
    """Why the naive loss of one example (logits `o`, label `y`) is or is not right.

    Follows the naive computation step by step in float32, as MXNet does it.
    """
    o = np.asarray(o, dtype=np.float32)  # (num_outputs,)
    true_loss = -reference_log_softmax(o[None])[0, y]
    with np.errstate(over='ignore', under='ignore', invalid='ignore', divide='ignore'):
        o_exp = np.exp(o)
        partition = o_exp.sum(dtype=np.float32)
        p_y = o_exp[y] / partition
    if np.isinf(o_exp).any():
        why = (f'exp({o.max():g}) overflows (float32 stops at {FLOAT32.max:.3g} = '
               f'exp({EXP_OVERFLOW:.2f})), so the sum is inf')
        if np.isnan(p_y):
            return why + ' and the true class gets inf/inf = nan'
        return why + ' and the true class gets exp(o_y)/inf = 0: -log(0) = inf'
    if partition == 0:
        return (f'every exp underflows to 0 (exp(o) rounds to 0 in float32 for '
                f'o < {EXP_UNDERFLOW:.2f}): 0/0 = nan')
    if p_y == 0:
        return (f'the true class has probability {np.exp(-true_loss):.3g}, below float32\'s '
                f'smallest {FLOAT32.smallest_subnormal:.3g}: it rounds to 0 and -log(0) = inf')
    if partition * np.float64(partition) > FLOAT32.max:
        return (f'the loss is finite, but the backward pass of exp(o) / sum divides by '
                f'sum**2 = inf (max logit {o.max():g} > {SQUARE_OVERFLOW:.2f}): the part of '
                'the gradient that flows through the sum is lost, the gradient is wrong')
    if p_y == 1 and true_loss >= FLOAT32.smallest_subnormal:
        return (f'p_y rounds to 1, so the naive loss reads -log(1) = 0 instead of '
                f'{true_loss:.3g}; log1p keeps that tiny value (harmless for training)')
    return 'every step is representable in float32: naive and stable agree'
