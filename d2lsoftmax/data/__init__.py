"""Fashion-MNIST: find, verify and read the idx files, then serve batches from memory.

One job a module, bottom to top:
  releases   the releases as a table (names, hosts, cache folders, digests): plain data
  idx        the four files' names; reading and checking an idx file; DataError
  places     the folders searched, in order, and the release asked for ($D2LSOFTMAX_*)
  unpacked   verified decompressed copies of the .gz files, in the MXNet cache
  identity   which release a file is, by its digests; remembered per file
  download   a release's files from its host, within a deadline, stalls detected
  finder     the search (locate): the first usable folder, else a download, else one error
  splits     a split's arrays, both files of one release; TEXT_LABELS
  batches    the book's mini-batches (FashionMNISTIter, load_data_fashion_mnist)
Below, the names other modules, the chapters and the tests use as `data.X`. None of
them loads MXNet (a batch imports it when made): `d2lsoftmax list` reads this package.
"""
from d2lsoftmax.data import releases
from d2lsoftmax.data.batches import (FashionMNISTIter, get_fashion_mnist_labels,
                                     load_data_fashion_mnist)
from d2lsoftmax.data.download import download_fashion_mnist
from d2lsoftmax.data.identity import clear_caches, identify
from d2lsoftmax.data.idx import FILES, NUM_EXAMPLES, DataError, parse_idx, read_idx
from d2lsoftmax.data.finder import Location, find_data_dir, locate, release_line
from d2lsoftmax.data.places import (DATA_ENV, DEBIAN_DIR, DEBIAN_ENV, RELEASE_ENV, cache_dir,
                                    chosen_release, debian_dir)
from d2lsoftmax.data.splits import TEXT_LABELS, load_arrays, read_split

__all__ = ['DATA_ENV', 'DEBIAN_DIR', 'DEBIAN_ENV', 'DataError', 'FILES', 'FashionMNISTIter',
           'Location', 'NUM_EXAMPLES', 'RELEASE_ENV', 'TEXT_LABELS', 'cache_dir',
           'chosen_release', 'clear_caches', 'debian_dir', 'download_fashion_mnist',
           'find_data_dir', 'get_fashion_mnist_labels', 'identify', 'load_arrays',
           'load_data_fashion_mnist', 'locate', 'parse_idx', 'read_idx', 'read_split',
           'release_line', 'releases']
