"""Verified, decompressed copies of the .gz files, kept in the MXNet cache.

Gunzipping the training images takes 0.2 s, most of a run's reading time, so
the first read of a .gz leaves a copy in the cache; it is checked against its
SHA-256 at every use, and one that fails is ignored (and later rewritten).
"""
import json
import os

import d2lsoftmax.data.releases as releases  # the module, not the package (no cycle)
from d2lsoftmax.data.idx import DataError, parse_idx, read_file
from d2lsoftmax.data.places import cache_dir
from d2lsoftmax.util import outputs


def unpacked_path(base, release):
    """Where the verified, decompressed copy of `release`'s file `base` is kept.

    Beside it, base.json records its SHA-256 and the SHA-1s of the .gz files it
    was decompressed from; one folder per release, so the releases never mix.
    """
    return os.path.join(cache_dir(), 'unpacked', release, base)


def _read_json(path):
    """The dict in JSON file `path`, or None when absent, unreadable or not a dict."""
    try:
        with open(path, encoding='utf-8') as f:
            found = json.load(f)
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def read_copy(base, sha1, release=None):
    """(release, array) from a decompressed copy made from the .gz of `sha1`, or None.

    `release` None: the copies of every release are tried.
    """
    for candidate in ([release] if release else releases.RELEASES):
        copy = unpacked_path(base, candidate)
        record = _read_json(copy + '.json')
        if not record or sha1 not in record.get('sources', ()):
            continue
        digest = releases.digest(candidate, base, 'sha256') or record.get('sha256')
        if digest != record.get('sha256'):
            continue  # recorded for other digests than the release's: stale
        try:
            return candidate, parse_idx(read_file(copy), copy, digest)
        except DataError:
            continue  # damaged, stale or unreadable: the .gz is the source of truth
    return None


def keep_copy(release, base, content, digest, sha1):
    """Write the decompressed copy of a verified .gz, then its record (copy first: see above)."""
    copy = unpacked_path(base, release)
    record = _read_json(copy + '.json') or {}
    sources = record.get('sources', []) if record.get('sha256') == digest else []
    sources = [s for s in sources if s != sha1][-7:] + [sha1]  # e.g. Debian's and Zalando's .gz
    if _write_quietly(copy, content):
        record = {'release': release, 'file': base, 'sha256': digest, 'sources': sources}
        _write_quietly(copy + '.json', json.dumps(record, indent=1).encode())


def _write_quietly(path, content):
    """Write `path` atomically, unsynced (each use checks it); False if the disk refuses:
    a copy that cannot be kept costs only speed."""
    try:
        outputs.write_bytes(path, content, sync=False)
        return True
    except outputs.WriteError:
        return False
