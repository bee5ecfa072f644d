"""Folders a test cannot write in, even as root."""
import os
import subprocess


def writable(folder):
    """True when a file can really be created in `folder` (as the tests' user)."""
    try:
        with open(os.path.join(folder, '.probe'), 'w'):
            pass
    except OSError:
        return False
    os.remove(os.path.join(folder, '.probe'))
    return True


def make_read_only(folder):
    """Make `folder` unwritable even for root; returns how to undo it, or None."""
    if os.geteuid() != 0:
        os.chmod(folder, 0o555)
        return lambda: os.chmod(folder, 0o755)
    done = subprocess.run(['chattr', '+i', str(folder)], capture_output=True)
    if done.returncode == 0:
        return lambda: subprocess.run(['chattr', '-i', str(folder)], check=True)
    return None
