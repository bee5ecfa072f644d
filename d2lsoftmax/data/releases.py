"""Fashion-MNIST's releases, a table: their names, where each is served, how its files are checked.

Zalando published Fashion-MNIST on 2017-08-26 and replaced it on 2017-08-31
(duplicates removed, everything reshuffled: the labels differ at 54,046 of
60,000 training and 8,962 of 10,000 test positions, so train and test are
split differently). MXNet's gluon mirror serves the first, so d2lzh and the
book's printed logs used it; Debian's dataset-fashion-mnist, torchvision and
TFDS carry the second. Code reads RELEASES and never asks which release is
which: a third release is one more entry. Plain data, no MXNet: `d2lsoftmax
list` and the argument checks may read it for free.
"""
from collections import namedtuple

BOOK = '2017-08-26'  # the book's release: gluon's mirror, d2lzh, the book's logs
CURRENT = '2017-08-31'  # the current release: Debian, torchvision, TFDS, Zalando's site
DEFAULT = BOOK  # downloaded when no release is named and no folder holds one

# One release:
#   name:      its date, the name --release and $D2LSOFTMAX_RELEASE take;
#   role, served_by: what it is and who serves it, the words release_line prints;
#   choice:    how an unknown name's message offers it;
#   host, host_env, path: where it is downloaded from: each file is
#              ($host_env or host) + path + file name + '.gz';
#   folder:    the sub-folder of the MXNet cache its downloads go to ('': the cache itself);
#   digests:   what each file is checked against, by base name:
#     'gz_sha1': SHA-1 of the .gz exactly as served (what gluon checks; MXNet 1.2.1-1.9.1);
#     'sha256':  SHA-256 of the decompressed idx file (any compression, or none, passes).
#   A file passes when either digest it has matches. Only these are known: the
#   2017-08-26 image files are recognised as gluon's .gz files alone.
Release = namedtuple('Release', 'name role served_by choice host host_env path folder digests')

# In the order files are matched against them. Tests patch RELEASES (copies of
# the entries with their own digests) to verify small fake files.
RELEASES = {r.name: r for r in (
    Release(
        BOOK, "the book's release", "MXNet's gluon mirror, d2lzh",
        choice="the book's, MXNet's gluon mirror",
        # gluon's FashionMNIST repository; $MXNET_GLUON_REPO moves the host, as in gluon
        host='https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/',
        host_env='MXNET_GLUON_REPO', path='gluon/dataset/fashion-mnist/',
        folder='',  # gluon's own folder, shared with d2lzh
        digests={
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
        }),
    Release(
        CURRENT, 'current release', 'Debian, torchvision, TFDS',
        choice='current: Debian, torchvision, TFDS',
        # Zalando's published location
        host='http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
        host_env='D2LSOFTMAX_ZALANDO_URL', path='',
        folder=CURRENT,  # a sub-folder gluon ignores
        digests={
            'train-images-idx3-ubyte': {
                'sha256': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888'},
            'train-labels-idx1-ubyte': {
                'sha256': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9'},
            't10k-images-idx3-ubyte': {
                'sha256': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b'},
            't10k-labels-idx1-ubyte': {
                'sha256': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34'},
        }),
)}


def check_name(name, origin='release='):
    """`name` if it names a release; else ValueError saying where it came from and the choices."""
    if name not in RELEASES:
        *others, last = [f'{r.name} ({r.choice})' for r in RELEASES.values()]
        choices = f'{", ".join(others)} or {last}' if others else last
        raise ValueError(f'unknown Fashion-MNIST release {name!r} (from {origin}); '
                         f'choose {choices}')
    return name


def describe(name):
    """'2017-08-31 (current release; Debian, torchvision, TFDS)': a release in words."""
    release = RELEASES[name]
    return f'{name} ({release.role}; {release.served_by})'


def digest(name, base, kind):
    """The known `kind` ('gz_sha1' or 'sha256') of file `base` of release `name`, or None."""
    return RELEASES[name].digests.get(base, {}).get(kind)
