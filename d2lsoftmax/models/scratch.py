"""Softmax regression from scratch (book section 3.6): plain `nd` ops and `attach_grad`."""
import math

from mxnet import autograd, nd

NUM_INPUTS, NUM_OUTPUTS = 784, 10  # 28 * 28 pixels in, 10 classes out


def softmax(X):
    """Row-wise softmax exactly as the book writes it: exp, row sum, divide.

    Naive on purpose: exp(x) overflows float32 once x > 88.7, and inf / inf is nan
    (see d2lsoftmax.models.stable for the version that subtracts the row maximum).
    """
    X_exp = X.exp()  # (batch_size, num_outputs)
    partition = X_exp.sum(axis=1, keepdims=True)  # (batch_size, 1)
    return X_exp / partition  # broadcast: each row sums to 1


def cross_entropy(y_hat, y):
    """-log of the probability `y_hat` gives to the true class `y`; shape (batch_size,)."""
    return -nd.pick(y_hat, y).log()


def accuracy(y_hat, y):
    """Fraction of rows of `y_hat` whose argmax equals `y` (a Python float)."""
    return (y_hat.argmax(axis=1) == y.astype('float32')).mean().asscalar()


def sgd(params, lr, batch_size):
    """Mini-batch SGD in place: the gradient is of the batch's summed loss, so divide by b."""
    for param in params:
        # The book's `param[:] = param - lr * param.grad / batch_size`, same arithmetic,
        # written in place with out=: MXNet's slice assignment costs more than the step.
        nd.elemwise_sub(param, lr * param.grad / batch_size, out=param)


def init_params(num_inputs=NUM_INPUTS, num_outputs=NUM_OUTPUTS, sigma=0.01):
    """W ~ N(0, sigma^2) of shape (num_inputs, num_outputs), b zeros; both attach_grad."""
    W = nd.random.normal(scale=sigma, shape=(num_inputs, num_outputs))
    b = nd.zeros(num_outputs)
    W.attach_grad()
    b.attach_grad()
    return W, b


def check_input(X, num_inputs):
    """Raise a clear error unless each example of X has `num_inputs` values."""
    shape = X.shape  # one read: each property access is a call into MXNet
    if len(shape) < 2 or math.prod(shape[1:]) != num_inputs:
        raise ValueError(
            f'net expects a batch of examples with {num_inputs} values each '
            f'(e.g. X of shape (batch_size, 1, 28, 28)), got X of shape {shape}. '
            'Load the data without resize=, or build the model for this input size.')


def softmax_regression(W, b):
    """net(X) = softmax(X W + b) over flattened images, as the book's `net`."""
    num_inputs = W.shape[0]

    def net(X):
        check_input(X, num_inputs)
        return softmax(nd.dot(X.reshape((-1, num_inputs)), W) + b)
    return net


# ------------------------------------------- multilayer perceptron (book section 3.9)

NUM_HIDDENS = 256  # one hidden layer of 256 units


def relu(X):
    """ReLU(x) = max(x, 0) elementwise, as the book writes it with nd.maximum."""
    return nd.maximum(X, 0)


def init_mlp_params(num_inputs=NUM_INPUTS, num_hiddens=NUM_HIDDENS, num_outputs=NUM_OUTPUTS,
                    sigma=0.01):
    """[W1, b1, W2, b2]: W ~ N(0, sigma^2), b zeros, all attach_grad (the book's order)."""
    W1 = nd.random.normal(scale=sigma, shape=(num_inputs, num_hiddens))
    b1 = nd.zeros(num_hiddens)
    W2 = nd.random.normal(scale=sigma, shape=(num_hiddens, num_outputs))
    b2 = nd.zeros(num_outputs)
    params = [W1, b1, W2, b2]
    for param in params:
        param.attach_grad()
    return params


def mlp(W1, b1, W2, b2):
    """net(X) = relu(X W1 + b1) W2 + b2 over flattened images: logits, no softmax.

    Pair it with a loss that takes logits (gluon's SoftmaxCrossEntropyLoss, as the
    book does, or d2lsoftmax.models.stable.cross_entropy).
    """
    num_inputs = W1.shape[0]

    def net(X):
        check_input(X, num_inputs)
        H = relu(nd.dot(X.reshape((-1, num_inputs)), W1) + b1)  # (batch_size, num_hiddens)
        return nd.dot(H, W2) + b2  # (batch_size, num_outputs)
    return net


# ------------------------------------------------------- dropout (book section 3.13)

def dropout(X, drop_prob):
    """Zero each entry of X with probability drop_prob, scale the rest by 1 / (1 - drop_prob).

    The expectation of each entry is unchanged, so nothing needs rescaling at test time.
    """
    if not 0 <= drop_prob <= 1:
        raise ValueError(f'drop_prob must be in [0, 1], got {drop_prob}')
    keep_prob = 1 - drop_prob
    if keep_prob == 0:  # everything dropped; 0 / 0 below would be nan
        return X.zeros_like()
    mask = nd.random.uniform(0, 1, X.shape) < keep_prob  # (same shape as X) of 0s and 1s
    return mask * X / keep_prob


def init_dropout_params(num_inputs=NUM_INPUTS, num_hiddens1=NUM_HIDDENS,
                        num_hiddens2=NUM_HIDDENS, num_outputs=NUM_OUTPUTS, sigma=0.01):
    """[W1, b1, W2, b2, W3, b3] of the book's two-hidden-layer MLP, all attach_grad."""
    sizes = [num_inputs, num_hiddens1, num_hiddens2, num_outputs]
    params = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        params += [nd.random.normal(scale=sigma, shape=(fan_in, fan_out)), nd.zeros(fan_out)]
    for param in params:
        param.attach_grad()
    return params


def dropout_mlp(W1, b1, W2, b2, W3, b3, drop_prob1=0.2, drop_prob2=0.5):
    """net(X): two ReLU layers, each followed by dropout while training, then logits.

    autograd.is_training() is true only inside autograd.record(): evaluation sees the
    whole network, as the book's 3.13 net does.
    """
    num_inputs = W1.shape[0]

    def net(X):
        check_input(X, num_inputs)
        X = X.reshape((-1, num_inputs))
        H1 = (nd.dot(X, W1) + b1).relu()  # (batch_size, num_hiddens1)
        if autograd.is_training():
            H1 = dropout(H1, drop_prob1)
        H2 = (nd.dot(H1, W2) + b2).relu()  # (batch_size, num_hiddens2)
        if autograd.is_training():
            H2 = dropout(H2, drop_prob2)
        return nd.dot(H2, W3) + b3  # (batch_size, num_outputs)
    return net
