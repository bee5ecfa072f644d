import d2lzh as d2l
import numpy as np
import pandas as pd
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import data as gdata, loss as gloss, nn

# A tiny random stand-in for Kaggle's train.csv / test.csv: numbers, categories, gaps.
rng = np.random.RandomState(0)
def house_frame(n, with_price):
    frame = pd.DataFrame({'Id': np.arange(n), 'LotArea': rng.uniform(1e3, 2e4, n),
                          'YearBuilt': rng.randint(1900, 2010, n),
                          'MSZoning': rng.choice(['RL', 'RM', 'FV'], n),
                          'Street': rng.choice(['Pave', 'Grvl'], n)})
    frame.loc[::7, 'LotArea'] = np.nan
    frame.loc[::5, 'MSZoning'] = None
    if with_price:
        frame['SalePrice'] = rng.uniform(5e4, 4e5, n)
    return frame
train_data, test_data = house_frame(60, True), house_frame(20, False)

all_features = pd.concat((train_data.iloc[:, 1:-1], test_data.iloc[:, 1:]))
numeric_features = all_features.dtypes[all_features.dtypes != 'object'].index
all_features[numeric_features] = all_features[numeric_features].apply(
    lambda x: (x - x.mean()) / (x.std()))
all_features[numeric_features] = all_features[numeric_features].fillna(0)
all_features = pd.get_dummies(all_features, dummy_na=True).astype('float32')
n_train = train_data.shape[0]
train_features = nd.array(all_features[:n_train].values)
test_features = nd.array(all_features[n_train:].values)
train_labels = nd.array(train_data.SalePrice.values).reshape((-1, 1))

loss = gloss.L2Loss()

def get_net():
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize()
    return net

def log_rmse(net, features, labels):
    clipped_preds = nd.clip(net(features), 1, float('inf'))  # log needs positive prices
    return nd.sqrt(2 * loss(clipped_preds.log(), labels.log()).mean()).asscalar()

def train(net, train_features, train_labels, test_features, test_labels,
          num_epochs, learning_rate, weight_decay, batch_size):
    train_ls, test_ls = [], []
    train_iter = gdata.DataLoader(gdata.ArrayDataset(train_features, train_labels),
                                  batch_size, shuffle=True)
    trainer = gluon.Trainer(net.collect_params(), 'adam',
                            {'learning_rate': learning_rate, 'wd': weight_decay})
    for epoch in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(batch_size)
        train_ls.append(log_rmse(net, train_features, train_labels))
        if test_labels is not None:
            test_ls.append(log_rmse(net, test_features, test_labels))
    return train_ls, test_ls

def get_k_fold_data(k, i, X, y):
    size = X.shape[0] // k
    parts = [(X[j * size:(j + 1) * size, :], y[j * size:(j + 1) * size]) for j in range(k)]
    X_valid, y_valid = parts[i]
    rest = [part for j, part in enumerate(parts) if j != i]
    return (nd.concat(*[p[0] for p in rest], dim=0), nd.concat(*[p[1] for p in rest], dim=0),
            X_valid, y_valid)

def k_fold(k, X_train, y_train, num_epochs, learning_rate, weight_decay, batch_size):
    train_l_sum, valid_l_sum = 0, 0
    for i in range(k):
        net = get_net()
        train_ls, valid_ls = train(net, *get_k_fold_data(k, i, X_train, y_train),
                                   num_epochs, learning_rate, weight_decay, batch_size)
        train_l_sum += train_ls[-1]
        valid_l_sum += valid_ls[-1]
        if i == 0:
            d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'rmse',
                         range(1, num_epochs + 1), valid_ls, ['train', 'valid'])
        print('fold %d, train rmse %f, valid rmse %f' % (i, train_ls[-1], valid_ls[-1]))
    return train_l_sum / k, valid_l_sum / k

k, num_epochs, lr, weight_decay, batch_size = 3, 5, 5, 0, 16
train_l, valid_l = k_fold(k, train_features, train_labels, num_epochs, lr, weight_decay,
                          batch_size)
print('%d-fold validation: avg train rmse %f, avg valid rmse %f' % (k, train_l, valid_l))

net = get_net()
train_ls, _ = train(net, train_features, train_labels, None, None, num_epochs, lr,
                    weight_decay, batch_size)
d2l.semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'rmse')
print('train rmse %f' % train_ls[-1])
test_data['SalePrice'] = pd.Series(net(test_features).asnumpy().reshape(-1))
pd.concat([test_data['Id'], test_data['SalePrice']], axis=1).to_csv('submission.csv', index=False)
print('submission rows', len(pd.read_csv('submission.csv')))
