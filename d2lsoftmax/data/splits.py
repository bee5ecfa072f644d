"""The arrays of a split: both files read, verified as one release, and checked for shape.

Images (N, 28, 28, 1) uint8 and labels (N,) int32, the layout gluon's
FashionMNIST gives; the batches are made from these (see batches).
"""
import os

import numpy as np

from d2lsoftmax.data.identity import examine
from d2lsoftmax.data.idx import FILES, DataError, file_in, read_idx
from d2lsoftmax.data.finder import locate

TEXT_LABELS = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat',
               'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']


def read_split(directory, split, verify=True, release=None):
    """Images (N, 28, 28, 1) uint8 and labels (N,) int32 of `split` read from `directory`.

    verify: both files must be faithful files of one release (of `release` if given).
    """
    images_base, labels_base = FILES[split]
    images_path = file_in(directory, images_base)
    labels_path = file_in(directory, labels_base)
    for base, path in ((images_base, images_path), (labels_base, labels_path)):
        if path is None:
            raise DataError(f'{directory}: {base}[.gz] is missing.')
    if verify:
        (of_images, images), (of_labels, labels) = (examine(images_path, images_base),
                                                    examine(labels_path, labels_base))
        _same_release(directory, {images_path: of_images, labels_path: of_labels}, release)
    else:
        images, labels = read_idx(images_path), read_idx(labels_path)
    _check_split(images, labels, images_path, labels_path)
    # The layout gluon's FashionMNIST gives: (N, H, W, C) uint8, int32 labels.
    return images.reshape(-1, 28, 28, 1), labels.astype(np.int32)


def _same_release(directory, found, release=None):
    """DataError unless the files ({path: release}) are of one release (`release` if given)."""
    kinds = set(found.values())
    if len(kinds) > 1 or (release is not None and kinds != {release}):
        what = ', '.join(f'{os.path.basename(p)} is {r}' for p, r in found.items())
        raise DataError(f'{directory}: {what}' + (f', not {release}' if len(kinds) == 1 else '')
                        + '; one load takes every file from one release (mixing them can put '
                        'test images into the training set). Keep one release per folder.')


def _check_split(images, labels, images_path, labels_path):
    """DataError unless images are (N, 28, 28) and labels (N,) in 0-9."""
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f'{images_path}: images of shape {images.shape[1:]}, '
                        'expected 28x28 (an idx3 file).')
    if labels.ndim != 1:
        raise DataError(f'{labels_path}: labels of shape {labels.shape}, expected 1-D (idx1).')
    if len(images) != len(labels):
        raise DataError(f'count mismatch: {images_path} holds {len(images)} images but '
                        f'{labels_path} holds {len(labels)} labels.')
    if len(labels) and labels.max() >= len(TEXT_LABELS):
        raise DataError(f'{labels_path}: label {labels.max()} out of range 0-9.')


def load_arrays(split, root=None, release=None):
    """Images (N, 28, 28, 1) uint8 and labels (N,) int32 of 'train' or 'test'.

    From the set `locate(root, release)` chooses; every split of a process comes
    from the same release unless the files change.
    """
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    location = locate(root, release)
    return read_split(location.directory, split, release=location.release)
