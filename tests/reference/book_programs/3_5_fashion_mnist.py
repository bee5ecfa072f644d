import d2lzh as d2l
import time

print('use_svg_display returns', d2l.use_svg_display())
batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
X, y = next(iter(train_iter))
print('a batch', X.shape, X.dtype, y.shape, y.dtype)
labels = d2l.get_fashion_mnist_labels(y[:9].asnumpy())
print('labels', labels)
print('show_fashion_mnist returns', d2l.show_fashion_mnist(X[:9], labels))
d2l.plt.show()
start = time.time()
for X, y in train_iter:
    continue
print('%.2f sec per pass' % (time.time() - start))
