"""conda stand-in for a simulated node (simcluster; not Anaconda's or conda-forge's conda).

Implements the subset the collection's conda role and a user of the seed page use, with the
real JSON shapes and shell code:

    conda --version                      conda info --json | --envs
    conda env list [--json]              conda create -n NAME python=3.11 [-y] [--offline] [...]
    conda run -n NAME CMD [ARGS...]      conda init --install (writes etc/profile.d/conda.sh)
    conda shell.{posix,bash,sh,zsh} hook|activate [NAME|PATH]|deactivate|reactivate

An env is a venv of the node's own Python 3.11 (the only Python this simulated channel
"has") with pip bootstrapped from the wheel shipped in the installer, plus the
conda-meta/python-<ver>-<build>.json record real conda writes.  Runs on the node's python3.

The shell integration works as real conda's: etc/profile.d/conda.sh defines a `conda` shell
function; `conda activate|deactivate` asks `conda shell.posix activate|deactivate` for shell
code (PATH with the env's bin first, CONDA_PREFIX, CONDA_DEFAULT_ENV, CONDA_SHLVL, CONDA_PREFIX_<n>
of the env below, CONDA_PROMPT_MODIFIER, the PS1 prefix) and evals it; the rest runs this file.
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


# etc/profile.d/conda.sh: the shape of the one real conda installs (a `conda` function that
# evals what `conda shell.posix activate|deactivate` prints; condabin put on PATH once).
PROFILE = r"""export CONDA_EXE='{exe}'
export _CE_M=''
export _CE_CONDA=''
export CONDA_PYTHON_EXE='{python}'

# simcluster stand-in of conda's shell integration (same functions and variables as the real one)
__conda_exe() (
    "$CONDA_EXE" "$@"
)

__conda_hashr() {{
    if [ -n "${{ZSH_VERSION:+x}}" ]; then
        \rehash
    else
        \hash -r
    fi
}}

__conda_activate() {{
    \local ask_conda
    ask_conda="$(PS1="${{PS1:-}}" __conda_exe shell.posix "$@")" || \return
    \eval "$ask_conda"
    __conda_hashr
}}

conda() {{
    \local cmd="${{1-__missing__}}"
    case "$cmd" in
        activate|deactivate)
            __conda_activate "$@"
            ;;
        install|update|upgrade|remove|uninstall)
            __conda_exe "$@" || \return
            __conda_activate reactivate
            ;;
        *)
            __conda_exe "$@"
            ;;
    esac
}}

if [ -z "${{CONDA_SHLVL+x}}" ]; then
    \export CONDA_SHLVL=0
    PATH="$(\dirname "$(\dirname "$CONDA_EXE")")/condabin${{PATH:+":${{PATH}}"}}"
    \export PATH
    if [ -z "${{PS1+x}}" ]; then
        PS1=
    fi
fi
"""


def _profile():
    return PROFILE.format(exe=os.path.join(PREFIX, "bin", "conda"), python=sys.executable)


def _condarc_flag(key, default):
    rc = os.path.join(PREFIX, ".condarc")
    if os.path.exists(rc):
        for line in open(rc):
            if line.split(":", 1)[0].strip() == key and ":" in line:
                return line.split(":", 1)[1].strip().lower() == "true"
    return default


def init(argv):
    """`conda init --install`: conda's own shell files in the prefix (what the installer runs);
    the ~/.bashrc and --system variants are not simulated."""
    if "--install" not in argv:
        sys.stderr.write("simcluster conda stand-in: only `conda init --install` is simulated\n")
        return 2
    target = os.path.join(PREFIX, "etc", "profile.d", "conda.sh")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    new = _profile()
    old = open(target).read() if os.path.exists(target) else None
    if old != new:
        with open(target, "w") as f:
            f.write(new)
    print("%-15s %s" % ("no change" if old == new else "modified", target))
    return 0


def _quote(value):
    return "'%s'" % value.replace("'", "'\\''")


def _default_env(prefix):
    if os.path.realpath(prefix) == os.path.realpath(PREFIX):
        return "base"
    return os.path.basename(prefix) if os.path.basename(os.path.dirname(prefix)) == "envs" else prefix


def _locate(spec):
    """NAME or PATH -> (prefix, None) or (None, conda's error text)."""
    if "/" in spec:
        prefix = os.path.abspath(os.path.expanduser(spec))
        if os.path.isdir(os.path.join(prefix, "conda-meta")):
            return prefix, None
        return None, "EnvironmentLocationNotFound: Not a conda environment: %s" % prefix
    prefix = _env_prefix(spec)
    if os.path.isdir(os.path.join(prefix, "conda-meta")):
        return prefix, None
    return None, ("EnvironmentNameNotFound: Could not find conda environment: %s\n"
                  "You can list all discoverable environments with `conda info --envs`." % spec)


def _swap_path(path, old, new):
    """PATH with old's bin replaced by new's (or new's prepended); new=None removes old's."""
    entries = path.split(os.pathsep) if path else []
    old_bin = os.path.join(old, "bin") if old else None
    if old_bin in entries:
        i = entries.index(old_bin)
        entries[i:i + 1] = [os.path.join(new, "bin")] if new else []
    elif new:
        entries.insert(0, os.path.join(new, "bin"))
    return os.pathsep.join(entries)


def _shell_state(prefix, shlvl, path, ps1, old_modifier):
    modifier = "(%s) " % _default_env(prefix)
    if old_modifier and ps1.startswith(old_modifier):
        ps1 = ps1[len(old_modifier):]
    return [("PS1", modifier + ps1, False), ("PATH", path, True), ("CONDA_PREFIX", prefix, True),
            ("CONDA_SHLVL", str(shlvl), True), ("CONDA_DEFAULT_ENV", _default_env(prefix), True),
            ("CONDA_PROMPT_MODIFIER", modifier, True)]


def shell(dialect, argv):
    """Shell code for the `conda` function to eval (conda shell.posix activate ...)."""
    if dialect not in ("posix", "bash", "sh", "zsh", "dash"):
        sys.stderr.write("simcluster conda stand-in: unsupported shell: %s\n" % dialect)
        return 2
    verb, rest = (argv[0], argv[1:]) if argv else ("", [])
    if verb == "hook":
        sys.stdout.write(_profile() + ("conda activate base\n" if _condarc_flag("auto_activate_base", True) else ""))
        return 0
    env = os.environ
    shlvl = int(env.get("CONDA_SHLVL") or 0)
    current = env.get("CONDA_PREFIX") if shlvl > 0 else None
    path, ps1, modifier = env.get("PATH", ""), env.get("PS1", ""), env.get("CONDA_PROMPT_MODIFIER", "")
    unset, lines = [], []
    if verb == "activate" or (verb == "reactivate" and current):
        specs = [a for a in rest if not a.startswith("-")]
        prefix, error = _locate(specs[0] if specs else "base") if verb == "activate" else (current, None)
        if error:
            sys.stderr.write("\n%s\n\n" % error)
            return 1
        exports = []
        if current is None:                  # the first env of this shell
            shlvl, path = 1, _swap_path(path, None, prefix)
        elif os.path.realpath(current) != os.path.realpath(prefix):
            exports.append(("CONDA_PREFIX_%d" % shlvl, current, True))
            shlvl, path = shlvl + 1, _swap_path(path, current, prefix)
        state = exports + _shell_state(prefix, shlvl, path, ps1, modifier)
    elif verb == "deactivate":
        if current is None:
            return 0
        below = env.get("CONDA_PREFIX_%d" % (shlvl - 1)) if shlvl > 1 else None
        path = _swap_path(path, current, below)
        if below:
            unset.append("CONDA_PREFIX_%d" % (shlvl - 1))
            state = _shell_state(below, shlvl - 1, path, ps1, modifier)
        else:
            unset += ["CONDA_PREFIX", "CONDA_DEFAULT_ENV", "CONDA_PROMPT_MODIFIER"]
            state = [("PS1", ps1[len(modifier):] if modifier and ps1.startswith(modifier) else ps1, False),
                     ("PATH", path, True), ("CONDA_SHLVL", "0", True)]
    elif verb == "reactivate":
        return 0
    else:
        sys.stderr.write("simcluster conda stand-in: unsupported: conda shell.%s %s\n" % (dialect, " ".join(argv)))
        return 2
    lines += ["unset %s" % name for name in unset]
    lines += ["%s%s=%s" % ("export " if export else "", name, _quote(value)) for name, value, export in state]
    lines += ["export CONDA_EXE=%s" % _quote(os.path.join(PREFIX, "bin", "conda")), "export _CE_M=''",
              "export _CE_CONDA=''", "export CONDA_PYTHON_EXE=%s" % _quote(sys.executable)]
    print("\n".join(lines))
    return 0


def _env_table():
    active = os.environ.get("CONDA_PREFIX") if int(os.environ.get("CONDA_SHLVL") or 0) > 0 else None
    rows = ["# conda environments:", "#"]
    for prefix in _envs():
        name = _default_env(prefix)
        rows.append("%-22s %s %s" % (name if name != prefix else "", "*" if prefix == active else " ", prefix))
    return "\n".join(rows) + "\n"


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
    if argv[:2] == ["env", "list"] or (argv[:1] == ["info"] and ("--envs" in argv or "-e" in argv)):
        sys.stdout.write(_env_table())
        return 0
    if argv[:1] == ["create"]:
        return create(argv[1:])
    if argv[:1] == ["run"]:
        return run(argv[1:])
    if argv[:1] == ["init"]:
        return init(argv[1:])
    if argv[:1] and argv[0].startswith("shell."):
        return shell(argv[0].split(".", 1)[1], argv[1:])
    if argv[:1] in (["activate"], ["deactivate"]):
        # the executable itself cannot change its caller's shell: real conda says so
        sys.stderr.write("\nCondaError: Run 'conda init' before 'conda %s'\n\n" % argv[0])
        return 1
    sys.stderr.write("simcluster conda stand-in: unsupported command: conda %s\n" % " ".join(argv))
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
