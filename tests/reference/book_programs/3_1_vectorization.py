import d2lzh as d2l
from time import time
from mxnet import nd

a, b = nd.ones(shape=200), nd.ones(shape=200)
start = time()
c = nd.zeros(shape=200)
for i in range(200):
    c[i] = a[i] + b[i]
print('element by element: %f sec' % (time() - start))
start = time()
d = a + b
print('vectorized: %f sec' % (time() - start))
print('same result', (c == d).min().asscalar())
print('broadcast', (nd.ones(shape=3) + 10).asnumpy())
