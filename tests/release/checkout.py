"""The checkout's own files as a fresh clone or a build sees them, copied for the release tests."""

import os
import shutil
import subprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def copy_checkout(dest):
    """Copy the repository's files (tracked and new, not ignored; symlinks as links) to dest."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            stdout=subprocess.PIPE, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = os.path.join(REPO, rel)
        if os.path.lexists(src):
            os.makedirs(os.path.join(str(dest), os.path.dirname(rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(str(dest), rel), follow_symlinks=False)
    return dest
