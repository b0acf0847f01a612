"""conda stand-in for a simulated node (simcluster; not Anaconda's or conda-forge's conda).

Implements the subset the collection's conda role uses, with the real JSON shapes:

    conda --version                      conda info --json
    conda env list --json                conda create -n NAME python=3.11 [-y] [--offline] [...]
    conda run -n NAME CMD [ARGS...]

An env is a venv of the node's own Python 3.11 (the only Python this simulated channel
"has") with pip bootstrapped from the wheel shipped in the installer, plus the
conda-meta/python-<ver>-<build>.json record real conda writes.  Runs on the node's python3.
"""

import glob
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = os.path.dirname(os.path.dirname(HERE))          # <prefix>/lib/simcluster/conda.py
VERSION = "25.3.1"
CHANNEL_PYTHONS = {"3.11": "/usr/bin/python3.11"}        # what the simulated channel offers


def _platform():
    return {"x86_64": "linux-64", "aarch64": "linux-aarch64"}.get(platform.machine(), "linux-64")


def _envs():
    found = [PREFIX]
    for path in sorted(glob.glob(os.path.join(PREFIX, "envs", "*"))):
        if os.path.isdir(os.path.join(path, "conda-meta")):
            found.append(path)
    return found


def _channels():
    rc = os.path.join(PREFIX, ".condarc")
    channels, in_list = [], False
    if os.path.exists(rc):
        for line in open(rc):
            if line.strip().startswith("channels:"):
                in_list = True
                continue
            if in_list and line.strip().startswith("- "):
                channels.append(line.strip()[2:].strip().strip("'\""))
            elif in_list and line.strip() and not line.startswith(" "):
                in_list = False
    return channels or ["conda-forge"]


def _env_prefix(name):
    return PREFIX if name == "base" else os.path.join(PREFIX, "envs", name)


def _python_version(python):
    out = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                         stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    return out.strip()


def create(argv):
    name, specs = None, []
    i = 0
    while i < len(argv):
        if argv[i] in ("-n", "--name"):
            name = argv[i + 1]
            i += 2
            continue
        if argv[i] in ("-c", "--channel"):
            i += 2
            continue
        if not argv[i].startswith("-"):
            specs.append(argv[i])
        i += 1
    if not name:
        sys.stderr.write("CondaValueError: either -n NAME or -p PREFIX option required,\n"
                         "try \"conda create -h\" for more details\n")
        return 1
    target = _env_prefix(name)
    if os.path.exists(target):
        # Real conda offers to remove it; the stand-in refuses, which is what a role must
        # never get into anyway.
        sys.stderr.write("CondaSystemExit: A conda environment already exists at %s\n" % target)
        return 1
    wanted = [s.split("=", 1)[1].lstrip("=") for s in specs if s.startswith("python=")] or ["3.11"]
    python = CHANNEL_PYTHONS.get(wanted[0].rstrip(".*"))
    if python is None:
        sys.stderr.write("\nPackagesNotFoundError: The following packages are not available from current "
                         "channels:\n\n  - python=%s\n\nCurrent channels:\n\n%s\n"
                         % (wanted[0], "".join("  - %s\n" % c for c in _channels())))
        return 1
    print("Channels:\n%s\nPlatform: %s\nCollecting package metadata (repodata.json): done\n"
          "Solving environment: done\n" % ("".join(" - %s\n" % c for c in _channels()), _platform()))
    subprocess.run([python, "-m", "venv", "--without-pip", target], check=True)
    wheel = sorted(glob.glob(os.path.join(HERE, "pip-*.whl")))
    if wheel:
        subprocess.run([os.path.join(target, "bin", "python"), os.path.join(wheel[-1], "pip"), "install",
                        "--quiet", "--no-index", "--disable-pip-version-check", wheel[-1]], check=True)
    version = _python_version(os.path.join(target, "bin", "python"))
    meta = os.path.join(target, "conda-meta")
    os.makedirs(meta)
    build = "h9e4cc4f_0_cpython"
    with open(os.path.join(meta, "python-%s-%s.json" % (version, build)), "w") as f:
        json.dump({"name": "python", "version": version, "build": build, "channel": _channels()[0],
                   "subdir": _platform()}, f, indent=1)
    with open(os.path.join(meta, "history"), "w") as f:
        f.write("==> simcluster conda stand-in <==\n# cmd: conda create %s\n" % " ".join(argv))
    print("Preparing transaction: done\nVerifying transaction: done\nExecuting transaction: done\n"
          "#\n# To activate this environment, use\n#\n#     $ conda activate %s\n#" % name)
    return 0


def run(argv):
    name, i = None, 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] in ("-n", "--name"):
            name = argv[i + 1]
            i += 2
        else:
            i += 1
    target = _env_prefix(name or "base")
    if not os.path.isdir(os.path.join(target, "conda-meta")):
        sys.stderr.write("EnvironmentLocationNotFound: Not a conda environment: %s\n" % target)
        return 1
    env = dict(os.environ, CONDA_PREFIX=target, CONDA_DEFAULT_ENV=name or "base",
               PATH=os.path.join(target, "bin") + os.pathsep + os.environ.get("PATH", ""))
    env.pop("PYTHONHOME", None)
    return subprocess.run(argv[i:], env=env, check=False).returncode


def main(argv):
    if argv[:1] in (["--version"], ["-V"]):
        print("conda %s" % VERSION)
        return 0
    if argv[:1] == ["info"] and "--json" in argv:
        print(json.dumps({"conda_version": VERSION, "root_prefix": PREFIX, "envs": _envs(),
                          "platform": _platform(), "channels": _channels(),
                          "python_version": platform.python_version(), "offline": "--offline" in argv},
                         indent=2))
        return 0
    if argv[:2] == ["env", "list"] and "--json" in argv:
        print(json.dumps({"envs": _envs()}, indent=2))
        return 0
    if argv[:1] == ["create"]:
        return create(argv[1:])
    if argv[:1] == ["run"]:
        return run(argv[1:])
    sys.stderr.write("simcluster conda stand-in: unsupported command: conda %s\n" % " ".join(argv))
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
