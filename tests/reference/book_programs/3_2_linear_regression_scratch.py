import d2lzh as d2l
from mxnet import autograd, nd

num_inputs, num_examples = 2, 1000
true_w, true_b = [2, -3.4], 4.2
features = nd.random.normal(scale=1, shape=(num_examples, num_inputs))
labels = true_w[0] * features[:, 0] + true_w[1] * features[:, 1] + true_b
labels += nd.random.normal(scale=0.01, shape=labels.shape)

print('set_figsize returns', d2l.set_figsize())
d2l.plt.scatter(features[:, 1].asnumpy(), labels.asnumpy(), 1)

batch_size = 10
for X, y in d2l.data_iter(batch_size, features, labels):
    print('first batch', X.asnumpy()[0], y.asnumpy()[0])
    break

w = nd.random.normal(scale=0.01, shape=(num_inputs, 1))
b = nd.zeros(shape=(1,))
w.attach_grad()
b.attach_grad()
lr, num_epochs = 0.03, 3
net, loss = d2l.linreg, d2l.squared_loss
for epoch in range(num_epochs):
    for X, y in d2l.data_iter(batch_size, features, labels):
        with autograd.record():
            l = loss(net(X, w, b), y)
        l.backward()
        d2l.sgd([w, b], lr, batch_size)
    train_l = loss(net(features, w, b), labels)
    print('epoch %d, loss %f' % (epoch + 1, train_l.mean().asscalar()))
print('learned w', w.reshape((-1,)).asnumpy(), 'b', b.asnumpy())
