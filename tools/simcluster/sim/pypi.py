"""Real files from PyPI that the stand-ins ship (pip for conda envs; small pure-Python
packages of the wheelhouse), downloaded once into the simulator's cache, outside the repo.

PyPI is the one package index this machine reaches; everything else vendor-side is made here.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

from . import config

CACHE = os.path.join(config.CACHE_ROOT, "pypi")
# name -> default pinned version (wheels); sdists and other versions are asked for explicitly
PINS = {"pip": "24.3.1", "setuptools": "80.9.0", "wheel": "0.45.1", "packaging": "25.0",
        "setuptools-scm": "8.3.1", "mbridge": "0.15.1"}
# Only an sdist on PyPI: the wheel is built once (pure Python) with a pinned build backend and
# fixed timestamps, so its bytes do not depend on the day or the pip.
BUILT = {"antlr4-python3-runtime"}
BUILD_BACKEND = ("setuptools==80.9.0", "wheel==0.45.1")
SOURCE_DATE_EPOCH = "1767225600"          # 2026-01-01, wheels.STAMP


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


def platform_args(arch):
    """pip's options for binary wheels a node of that architecture installs (CPython 3.11)."""
    out = ["--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp"]
    for tag in ("manylinux2014_%s", "manylinux_2_17_%s", "manylinux_2_28_%s"):
        out += ["--platform", tag % arch]
    return out


def _normalise(name):
    return re.sub(r"[-_.]+", "_", name).lower()


def _cached_wheel(directory, name, version):
    if not os.path.isdir(directory):
        return None
    for entry in sorted(os.listdir(directory)):
        parts = entry.split("-")
        if entry.endswith(".whl") and len(parts) >= 5 and _normalise(parts[0]) == _normalise(name) \
                and parts[1] == version:
            return os.path.join(directory, entry)
    return None


def fetch_wheel(name, version, arch):
    """Path of the cached wheel of name==version for CPython 3.11 on manylinux `arch`, fetched
    with --no-deps on first use (the version comes from a lock, never from the resolver).  A
    pure-Python wheel is kept in the cache itself (both architectures use it), a binary one
    under CACHE/<arch>; a BUILT one is built from its sdist."""
    for directory in (CACHE, os.path.join(CACHE, arch)):
        found = _cached_wheel(directory, name, version)
        if found and (directory != CACHE or found.endswith("-none-any.whl")):
            return found
    os.makedirs(CACHE, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".fetch-", dir=CACHE)
    try:
        want = "%s==%s" % (name, version)
        common = ["--quiet", "--no-deps", "--disable-pip-version-check", "--no-cache-dir"]
        if name in BUILT:
            with open(os.path.join(tmp, "build-constraints.txt"), "w") as f:
                f.write("".join(p + "\n" for p in BUILD_BACKEND))
            # PIP_CONSTRAINT pins the isolated build env of older pips, PIP_BUILD_CONSTRAINT of newer ones
            env = dict(os.environ, SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH, PIP_CONSTRAINT=f.name,
                       PIP_BUILD_CONSTRAINT=f.name)
            argv = ["wheel"] + common + ["--no-binary=:all:", "-w", os.path.join(tmp, "out"), want]
        else:
            env = None
            argv = ["download"] + common + platform_args(arch) + ["-d", os.path.join(tmp, "out"), want]
        run = subprocess.run([sys.executable, "-m", "pip"] + argv, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        got = _cached_wheel(os.path.join(tmp, "out"), name, version)
        if run.returncode != 0 or got is None:
            raise RuntimeError("pip %s %s for %s left no wheel: %s" % (argv[0], want, arch, run.stdout[-2000:]))
        target = CACHE if got.endswith("-none-any.whl") else os.path.join(CACHE, arch)
        os.makedirs(target, exist_ok=True)
        dest = os.path.join(target, os.path.basename(got))
        os.replace(got, dest)
        return dest
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
