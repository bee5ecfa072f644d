import d2lzh as d2l
from mxnet import autograd, nd

def xyplot(x_vals, y_vals, name):
    d2l.set_figsize(figsize=(5, 2.5))
    d2l.plt.plot(x_vals.asnumpy(), y_vals.asnumpy())
    d2l.plt.xlabel('x')
    d2l.plt.ylabel(name + '(x)')

x = nd.arange(-8.0, 8.0, 0.1)
x.attach_grad()
for name in ('relu', 'sigmoid', 'tanh'):
    with autograd.record():
        y = getattr(x, name)()
    xyplot(x, y, name)
    y.backward()
    xyplot(x, x.grad, 'grad of ' + name)
    print(name, 'sum %.4f, sum of grad %.4f' % (y.sum().asscalar(), x.grad.sum().asscalar()))
