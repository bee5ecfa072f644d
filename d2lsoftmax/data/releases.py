"""Fashion-MNIST's two releases: their names, where each is served, how each file is verified.

Zalando published Fashion-MNIST on 2017-08-26 and replaced it on 2017-08-31
(duplicates removed, everything reshuffled: the labels differ at 54,046 of
60,000 training and 8,962 of 10,000 test positions, so train and test are
split differently). MXNet's gluon mirror serves the first, so d2lzh and the
book's printed logs used it; Debian's dataset-fashion-mnist, torchvision and
TFDS carry the second. Plain data, no MXNet: `d2lsoftmax list` and the
argument checks may read it for free.
"""
from collections import namedtuple

BOOK = '2017-08-26'  # the book's release: gluon's mirror, d2lzh, the book's logs
CURRENT = '2017-08-31'  # the current release: Debian, torchvision, TFDS, Zalando's site

# name, what it is, who serves it: the words release_line prints.
Release = namedtuple('Release', 'name role served_by')
RELEASES = {
    BOOK: Release(BOOK, "the book's release", "MXNet's gluon mirror, d2lzh"),
    CURRENT: Release(CURRENT, 'current release', 'Debian, torchvision, TFDS'),
}
ORDER = (BOOK, CURRENT)  # the order files are matched against the releases

# Where each release is downloaded from (one URL per file: BASE + name + '.gz').
# The book's: gluon's FashionMNIST repository ($MXNET_GLUON_REPO overrides the host,
# as in gluon); the current one: Zalando's published location ($D2LSOFTMAX_ZALANDO_URL).
GLUON_REPO = 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/'
GLUON_PATH = 'gluon/dataset/fashion-mnist/'
ZALANDO_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'

# What each file of each release is checked against, by base name:
#   'gz_sha1': SHA-1 of the .gz exactly as served (what gluon checks; MXNet 1.2.1-1.9.1);
#   'sha256':  SHA-256 of the decompressed idx file (any compression, or none, passes).
# A file passes when either digest it has matches. Only these are known: the
# 2017-08-26 image files are recognised as gluon's .gz files alone. Tests inject
# their own table (monkeypatch DIGESTS) to verify small fake files.
DIGESTS = {
    BOOK: {
        'train-images-idx3-ubyte': {
            'gz_sha1': '0cf37b0d40ed5169c6b3aba31069a9770ac9043d'},
        'train-labels-idx1-ubyte': {
            'gz_sha1': '236021d52f1e40852b06a4c3008d8de8aef1e40b',
            'sha256': 'c7673bb30764062aa9ddeaf6184d7043075ded6a31aee7d16f38402434ad395d'},
        't10k-images-idx3-ubyte': {
            'gz_sha1': '626ed6a7c06dd17c0eec72fa3be1740f146a2863'},
        't10k-labels-idx1-ubyte': {
            'gz_sha1': '17f9ab60e7257a1620f4ad76bbbaf857c3920701',
            'sha256': '0106d6dfb86a77b9299271c292262daad9001d5a44d251a3880227436b8ce3b1'},
    },
    CURRENT: {
        'train-images-idx3-ubyte': {
            'sha256': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888'},
        'train-labels-idx1-ubyte': {
            'sha256': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9'},
        't10k-images-idx3-ubyte': {
            'sha256': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b'},
        't10k-labels-idx1-ubyte': {
            'sha256': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34'},
    },
}


def check_name(name, origin='release='):
    """`name` if it names a release; else ValueError saying where it came from and the choices."""
    if name not in RELEASES:
        raise ValueError(f'unknown Fashion-MNIST release {name!r} (from {origin}); choose '
                         f"{BOOK} (the book's, MXNet's gluon mirror) or {CURRENT} "
                         '(current: Debian, torchvision, TFDS)')
    return name


def describe(name):
    """'2017-08-31 (current release; Debian, torchvision, TFDS)': a release in words."""
    release = RELEASES[name]
    return f'{name} ({release.role}; {release.served_by})'


def other(name):
    """The release that is not `name`."""
    return CURRENT if name == BOOK else BOOK
