"""d2lsoftmax: the MXNet/Gluon classification chapters of Dive into Deep Learning, runnable today.

`import d2lsoftmax as d2l` gives the names the book's code uses from `d2lzh`.
"""
from . import concise, data, scratch, stable, training
from .data import (DataError, FashionMNISTIter, get_fashion_mnist_labels,
                   load_data_fashion_mnist)
from .plotting import (plt, set_figsize, show_fashion_mnist, show_images,
                       use_svg_display)
from .scratch import sgd
from .training import (EpochRecord, TrainingDiverged, evaluate_accuracy, predict_ch3,
                       set_seed, train_ch3)

__version__ = '0.1.0'
