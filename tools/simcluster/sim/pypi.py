"""Real files from PyPI that the stand-ins ship (pip for conda envs; small pure-Python
packages of the wheelhouse), downloaded once into the simulator's cache, outside the repo.

PyPI is the one package index this machine reaches; everything else vendor-side is made here.
"""

import glob
import os
import subprocess
import sys

from . import config

CACHE = os.path.join(config.CACHE_ROOT, "pypi")
# name -> default pinned version (wheels); sdists and other versions are asked for explicitly
PINS = {"pip": "24.3.1", "setuptools": "80.9.0", "wheel": "0.45.1", "packaging": "25.0",
        "setuptools-scm": "8.3.1", "mbridge": "0.15.1"}


def fetch(name, version=None, kind="wheel"):
    """Path of the cached file, downloading it on first use."""
    version = version or PINS[name]
    pattern = os.path.join(CACHE, "%s-%s%s" % (name.replace("-", "_"), version,
                                               "-*.whl" if kind == "wheel" else ".tar.gz"))
    found = sorted(glob.glob(pattern))
    if found:
        return found[0]
    os.makedirs(CACHE, exist_ok=True)
    argv = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check",
            "-d", CACHE, "%s==%s" % (name, version)]
    argv += ["--only-binary=:all:"] if kind == "wheel" else ["--no-binary=:all:"]
    subprocess.run(argv, check=True)
    found = sorted(glob.glob(pattern))
    if not found:
        raise RuntimeError("pip download %s==%s left no %s in %s" % (name, version, pattern, CACHE))
    return found[0]
