"""The Python half of a stack's offline mirror: what an air-gapped site copies next to the
HDK/CANN .run files (see `simcluster artifacts`).

- conda installers (Miniforge, Miniconda) with the conda stand-in;
- one wheelhouse tar per architecture: real wheels from PyPI where they are small and pure
  Python (setuptools, wheel, packaging, mbridge, ...) or must really run on a node (Ray with
  its dependencies, Hydra/OmegaConf, numpy: pylock.LOCK), stub wheels with the real names and
  versions for what cannot run here (torch, torch_npu, triton-ascend, ...), and a
  SHA256SUMS of its own so pip can check every wheel (--require-hashes);
- source archives of what the roles build from source: SGLang (the real package tree from
  PyPI, with the NPU pyproject), verl (the real sdist, with requirements-npu.txt and the
  recipe submodule), MindSpeed and Megatron-LM (stub projects), sgl-kernel-npu (a build.sh
  stand-in producing stub wheels; A2's `-a deepep2` builds deep_ep only, as upstream) or its
  release zips.
Everything is deterministic except what PyPI serves, which is pinned.
"""

import gzip
import hashlib
import io
import os
import tarfile
import zipfile

from . import condainstaller, config, internet, pylock, pypi, verlscripts, wheels

ARCHES = ("aarch64", "x86_64")

STAMP = 0


def _tar(files, compress=True):
    """{path: bytes or (bytes, mode)} -> deterministic tar(.gz) bytes."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:   # long paths
        for path in sorted(files):
            data, mode = files[path] if isinstance(files[path], tuple) else (files[path], 0o644)
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime, info.uid, info.gid = len(data), mode, STAMP, 0, 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(data))
    if not compress:
        return raw.getvalue()
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def _setup_py(name, version, packages):
    return ("# simcluster stand-in of %s's source tree (not the real project)\n"
            "from setuptools import setup\nsetup(name=%r, version=%r, packages=%r)\n"
            % (name, name, version, packages)).encode()


def _stub_project(top, name, version, package):
    init = ('"""simcluster stub of %s %s"""\n__version__ = "%s"\nSIMCLUSTER_STUB = True\n'
            % (name, version, version)).encode()
    pyproject = b'[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
    return {top + "/setup.py": _setup_py(name, version, [package]), top + "/pyproject.toml": pyproject,
            top + "/%s/__init__.py" % package: init}


# What the wheelhouse holds besides the components the manifest pins.  Stubs: name -> version.
CANN_DEPS = {"attrs": "25.3.0", "decorator": "5.2.1", "sympy": "1.14.0", "cffi": "1.17.1", "pyyaml": "6.0.2",
             "pathlib2": "2.3.7.post1", "psutil": "7.0.0", "protobuf": "3.20.3", "scipy": "1.15.3",
             "requests": "2.32.3", "absl-py": "2.3.0", "typing-extensions": "4.14.0"}
# A representative part of SGLang's NPU runtime dependencies (the real list is longer).
SGLANG_DEPS = {"fastapi": "0.115.12", "uvicorn": "0.34.3", "xgrammar": "0.1.27", "timm": "1.0.16",
               "torchao": "0.9.0", "pybase64": "1.4.1", "openai": "1.86.0", "partial-json-parser": "0.2.1.1.post5",
               "python-multipart": "0.0.20", "orjson": "3.10.18", "msgspec": "0.19.0", "pydantic": "2.11.5",
               "sentencepiece": "0.2.0", "tiktoken": "0.9.0", "pyzmq": "26.4.0", "setproctitle": "1.3.6",
               "ipython": "9.3.0", "tqdm": "4.67.1"}
SCRIPT_DEPS = {"pybind11": "2.13.6", "click": "8.2.1", "cachetools": "5.5.2"}
VERL_DEPS = {"accelerate": "1.7.0", "codetiming": "1.4.0", "datasets": "3.6.0", "dill": "0.3.8",
             "hydra-core": "1.3.2", "pandas": "2.3.0", "peft": "0.15.2", "pyarrow": "19.0.1",
             "pylatexenc": "2.10", "torchdata": "0.11.0", "tensordict": "0.10.0", "wandb": "0.20.1",
             "tensorboard": "2.19.0", "mathruler": "0.1.0", "einops": "0.8.1", "qwen-vl-utils": "0.0.11",
             "hf-transfer": "0.1.9", "pillow": "11.2.1"}
# Stubs whose import name is not the distribution's.
PACKAGES = {"ipython": ["IPython"], "pillow": ["PIL"]}
# Stub dependencies, as the real wheels declare them (pip installs PIL with torchvision).
REQUIRES = {"torchvision": ["pillow"], "qwen-vl-utils": ["pillow"]}
REAL = ("setuptools", "wheel", "packaging", "mbridge")


def requirements_npu(version, triton_ascend):
    """verl's requirements-npu.txt at that release (verl_npu_stack.md section 2)."""
    lines = ["accelerate", "codetiming", "datasets", "dill", "hydra-core", "numpy<2.0.0", "pandas", "peft>=0.15.2",
             "pyarrow>=15.0.0", "pybind11", "pylatexenc", "tensordict>=0.8.0,<=0.10.0,!=0.9.0", "ray[default]",
             "wandb", "mathruler", "torchdata", "einops", "qwen_vl_utils", "hf_transfer"]
    if version.startswith("0.8"):
        lines.append("bytecode")
    lines.append("triton-ascend==%s" % triton_ascend)
    return ("# verl %s requirements-npu.txt (as in verl_npu_stack.md section 2)\n" % version
            + "\n".join(lines) + "\n").encode()


def _version(manifest, name):
    return str(manifest["components"][name]["version"])


# torch_npu's __init__: on import it registers the npu device namespace as torch.npu, as the
# real one does (torch_npu/npu is standins/torch_npu_npu.py).
TORCH_NPU_INIT = '''"""simcluster stub of torch-npu %s: the name and version are real, the code is not.
Importing it attaches torch.npu (device queries from /dev/davinciN, see torch_npu.npu)."""
__version__ = "%s"
SIMCLUSTER_STUB = True

import sys as _sys

import torch as _torch

from . import npu

_torch.npu = npu
_sys.modules.setdefault("torch.npu", npu)
'''


# Stubs that others probe: when pyarrow imports, Ray registers serializers for pa.Table and
# pyarrow.json's option classes in every worker (ray/_private/arrow_serialization.py), and a
# stub without those names fails every task submission.
PYARROW_INIT = '''"""simcluster stub of pyarrow %(v)s: the name and version are real, the code is not."""
__version__ = "%(v)s"
SIMCLUSTER_STUB = True


class Table:
    """Name only (Ray registers a reducer for it)."""
'''
PYARROW_JSON = '''"""simcluster stub of pyarrow.json: names only (Ray registers serializers for them)."""


class ReadOptions:
    def __init__(self, *args, **kwargs):
        self.args = args


class ParseOptions:
    def __init__(self, *args, **kwargs):
        self.args = args
'''
STUB_FILES = {"pyarrow": {"pyarrow/__init__.py": PYARROW_INIT % {"v": VERL_DEPS["pyarrow"]},
                          "pyarrow/json.py": PYARROW_JSON}}


# Deep stubs: the stub sources of a package are under standins/pystubs/<package>/, with the
# helpers of pystubs/_stub.py as <package>/_simcluster_stub.py; the wheel's header (version,
# SIMCLUSTER_STUB) goes on top of their __init__.py.  Deep enough for `import verl` and
# `import sglang` to get through their module-level code (the README's wheelhouse table).
PYSTUBS_DIR = os.path.join(config.STANDINS_DIR, "pystubs")


def deep_stub_files(name, version, packages):
    """{path: text} of the deep stub of the packages (empty for a shallow one)."""
    out = {}
    for pkg in packages:
        root = os.path.join(PYSTUBS_DIR, pkg)
        if not os.path.isdir(root):
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for fn in sorted(f for f in filenames if f.endswith(".py")):
                with open(os.path.join(dirpath, fn)) as f:
                    out["%s/%s" % (pkg, os.path.relpath(os.path.join(dirpath, fn), root))] = f.read()
        with open(os.path.join(PYSTUBS_DIR, "_stub.py")) as f:
            out[pkg + "/_simcluster_stub.py"] = f.read()
        out[pkg + "/__init__.py"] = wheels.header(name, version) + out.get(pkg + "/__init__.py", "")
    return out


def stub(name, version, packages=None, files=None):
    """A stub wheel, deep where standins/pystubs has the package."""
    packages = packages or [wheels.normalise(name)]
    merged = deep_stub_files(name, version, packages)
    merged.update(files or {})
    return wheels.build(name, version, packages=packages, files=merged, requires=REQUIRES.get(name, ()))


def torch_npu_wheel(version):
    with open(os.path.join(config.STANDINS_DIR, "torch_npu_npu.py")) as f:
        npu = f.read()
    files = deep_stub_files("torch-npu", version, ["torch_npu"])       # torch_npu.npu.mstx
    files.update({"torch_npu/__init__.py": TORCH_NPU_INIT % (version, version), "torch_npu/npu/__init__.py": npu})
    return wheels.build("torch-npu", version, packages=["torch_npu"], files=files)


def check_lock(manifest):
    """The lock's Ray and numpy are the manifest's, and each real wheel has the version of the
    stub it replaces (the other stand-in requirements were written against it)."""
    lock = dict((wheels.normalise(k), v) for k, v in pylock.LOCK.items())
    problems = ["%s %s, the manifest says %s" % (n, lock.get(n), _version(manifest, n))
                for n in ("ray", "numpy") if lock.get(n) != _version(manifest, n)]
    pins = dict(pypi.PINS)
    for table in (CANN_DEPS, SGLANG_DEPS, SCRIPT_DEPS, VERL_DEPS):
        pins.update(table)
    problems += ["%s %s, the stub (or pypi.PINS) says %s" % (n, lock[wheels.normalise(n)], v)
                 for n, v in sorted(pins.items()) if lock.get(wheels.normalise(n), v) != v]
    if problems:
        raise ValueError("sim/pylock.py's LOCK does not fit stack %s: %s (regenerate it, see pylock.py)"
                         % (manifest["name"], "; ".join(problems)))


def stub_wheels(manifest, arch):
    """(name, bytes) of every stub wheel of the stack (none for what pylock.LOCK has real)."""
    def v(name):
        return _version(manifest, name)
    out = [
        stub("torch", v("torch")),
        torch_npu_wheel(v("torch_npu")),
        stub("torchvision", v("torchvision")),
        stub("triton-ascend", v("triton_ascend"), packages=["triton"]),
        # upstream triton shares the triton/ package with triton-ascend (xgrammar wants it on x86)
        stub("triton", "3.3.1", packages=["triton"]),
        stub("numpy", v("numpy")),
        stub("transformers", v("transformers")),
        stub("ray", v("ray")),
    ]
    for table in (CANN_DEPS, SGLANG_DEPS, SCRIPT_DEPS, VERL_DEPS):
        for name, version in sorted(table.items()):
            out.append(stub(name, version, packages=PACKAGES.get(name), files=STUB_FILES.get(name)))
    if manifest["name"] != "seed":
        out.append(stub("bytecode", "0.16.2"))
    real = set(wheels.normalise(n) for n in pylock.LOCK)
    return [(name, data) for name, data in out if name.split("-")[0] not in real]


def kernel_wheels(manifest, arch, device, deepep_only=False):
    """The three sgl-kernel-npu wheels (stubs) for A2 or A3."""
    deep_ep = wheels.build("deep-ep", _version(manifest, "deep_ep"), packages=["deep_ep"], files={
        "deep_ep/deep_ep_cpp.cpython-311-%s-linux-gnu.so" % arch: "simcluster stub extension (%s)\n" % device})
    if deepep_only:
        return [deep_ep]
    return [wheels.build("torch-memory-saver", _version(manifest, "torch_memory_saver"),
                         packages=["torch_memory_saver"]),
            wheels.build("sgl-kernel-npu", _version(manifest, "sgl_kernel_npu"), packages=["sgl_kernel_npu"]),
            deep_ep]


BUILD_SH = r"""#!/bin/bash
# simcluster stand-in of sgl-kernel-npu's build.sh (not the real build): needs the CANN env
# like the real one, and writes the wheels to output/.  `-a deepep2` builds deep_ep only.
set -e
@PAD@source $(dirname ${ASCEND_HOME_PATH})/set_env.sh
if [ -z "${ASCEND_HOME_PATH:-}" ]; then echo "ASCEND_HOME_PATH is not set: source set_env.sh first" >&2; exit 1; fi
mkdir -p output
if [ "${1:-}" = "-a" ] && [ "${2:-}" = "deepep2" ]; then
  cp prebuilt/$(uname -m)/deepep2/*.whl output/
else
  cp prebuilt/$(uname -m)/full/*.whl output/
fi
echo "Build finished: $(ls output)"
"""
# Line 101 sources CANN's set_env.sh, as in the real build.sh at 46b73de: the upstream script
# comments it out with `sed -i '101s/^/# /'`, so the line number matters.
BUILD_SH = BUILD_SH.replace("@PAD@", "".join("# (simcluster stand-in: line %d)\n" % n for n in range(5, 101)))


def sources(manifest, arch):
    """(file name, bytes) of every source archive the stack's roles build from.  A source
    archive has one name for every arch, so it holds what each arch builds (and is the same
    bytes whichever arch asked); release zips are per arch."""
    comps = manifest["components"]
    out = []
    sg = comps["sglang"]
    src = zipfile.ZipFile(pypi.fetch("sglang", sg["version"]))
    tree = dict(("sglang/python/" + n, src.read(n)) for n in src.namelist()
                if n.startswith("sglang/") and not n.endswith("/"))
    # xgrammar needs upstream triton on x86, which then shadows triton-ascend (1.4 item 7)
    pins = ['"%s==%s"' % kv for kv in sorted(SGLANG_DEPS.items())]
    deps = ",\n    ".join(pins + ['"triton; platform_machine == \'x86_64\'"'])
    dynamic = sg["pyproject"] == "pyproject_npu.toml"
    npu = ("[build-system]\nrequires = [\"setuptools>=61\"%s]\nbuild-backend = \"setuptools.build_meta\"\n\n"
           "[project]\nname = \"sglang\"\n%s\ndescription = \"simcluster stand-in of SGLang's NPU pyproject\"\n"
           "requires-python = \">=3.10\"\ndependencies = [%s]\n\n[project.optional-dependencies]\nsrt_npu = []\n\n"
           "[tool.setuptools.packages.find]\ninclude = [\"sglang*\"]\n"
           % (", \"setuptools-scm>=8\"" if dynamic else "",
              "dynamic = [\"version\"]" if dynamic else "version = \"%s\"" % sg["version"],
              "" if dynamic else "\n    " + deps + "\n"))
    if dynamic:
        # pyproject_npu.toml: dependencies in the base list, version from git via setuptools_scm
        npu = npu.replace("dependencies = []", "dependencies = [\n    %s\n]" % deps)
        npu += "\n[tool.setuptools_scm]\nroot = \"..\"\nfallback_version = \"0.0.0.dev0\"\n"
    tree["sglang/python/" + sg["pyproject"]] = npu.encode()
    tree["sglang/python/pyproject.toml"] = b"# the CUDA build of SGLang (simcluster stand-in): not for NPU\n"
    out.append((sg["files"]["any"], _tar(tree)))
    for name, top, dist, package in (("mindspeed", "MindSpeed", "mindspeed", "mindspeed"),
                                     ("megatron_core", "Megatron-LM", "megatron-core", "megatron")):
        comp = comps[name]
        out.append((comp["files"]["any"], _tar(_stub_project(top, dist, comp["version"], package))))
    vl = comps["verl"]
    with tarfile.open(pypi.fetch("verl", vl["version"], "sdist")) as sdist:
        tree = {}
        for member in sdist.getmembers():
            if member.isfile():
                tree["verl/" + member.name.split("/", 1)[1]] = sdist.extractfile(member).read()
    tree["verl/requirements-npu.txt"] = requirements_npu(vl["version"], comps["triton_ascend"]["version"])
    tree["verl/recipe/README.md"] = b"verl-recipe (submodule `recipe`), simcluster stand-in\n"
    tree["verl/recipe/r1_ascend/deepscaler.py"] = b"# simcluster stand-in of recipe/r1_ascend/deepscaler.py\n"
    tree["verl/scripts/install_sglang_mcore_npu.sh"] = (verlscripts.install_script(manifest), 0o755)
    out.append((vl["files"]["any"], _tar(tree)))
    kn = comps["sgl_kernel_npu"]
    if "any" in kn["files"]:          # built from source on the node
        tree = {"sgl-kernel-npu/build.sh": (BUILD_SH.encode(), 0o755)}
        for one in ARCHES:
            for name, data in kernel_wheels(manifest, one, "A2/A3"):
                tree["sgl-kernel-npu/prebuilt/%s/full/%s" % (one, name)] = data
            for name, data in kernel_wheels(manifest, one, "A2", deepep_only=True):
                tree["sgl-kernel-npu/prebuilt/%s/deepep2/%s" % (one, name)] = data
        out.append((kn["files"]["any"], _tar(tree)))
    else:                             # release zips, one per device
        for device, pattern in sorted(kn["files"].items()):
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, data in kernel_wheels(manifest, arch, device):
                    entry = zipfile.ZipInfo(name, wheels.STAMP)
                    entry.external_attr = 0o644 << 16
                    zf.writestr(entry, data)
            out.append((pattern.replace("{arch}", arch), buf.getvalue()))
    return out


def wheelhouse(manifest, arch):
    """(file name, bytes): a tar of wheels plus the SHA256SUMS pip checks them against."""
    check_lock(manifest)
    files = dict(stub_wheels(manifest, arch))
    real = REAL + (("setuptools-scm",) if manifest["components"]["sglang"]["pyproject"] == "pyproject_npu.toml"
                   else ())
    paths = [pypi.fetch(name, str(manifest["components"]["mbridge"]["version"]) if name == "mbridge" else None)
             for name in real]
    paths += [pypi.fetch_wheel(name, version, arch) for name, version in sorted(pylock.LOCK.items())]
    for path in paths:
        with open(path, "rb") as f:
            files[os.path.basename(path)] = f.read()
    sums = "".join("%s  %s\n" % (hashlib.sha256(files[n]).hexdigest(), n) for n in sorted(files))
    tree = dict(("wheelhouse/" + n, d) for n, d in files.items())
    tree["wheelhouse/SHA256SUMS"] = sums.encode()
    return manifest["wheelhouse"]["file"].replace("{arch}", arch), _tar(tree, compress=False)


def generate(manifest, arch):
    """(file name, bytes) of the whole Python half of the stack for one architecture."""
    comps = manifest["components"]
    out = [condainstaller.build(flavour, comps["conda"]["version"], arch, pattern)
           for flavour, pattern in sorted(comps["conda"]["files"].items())]
    out += sources(manifest, arch)
    out.append(wheelhouse(manifest, arch))
    if arch == os.uname().machine:    # what the upstream script downloads, for this machine's nodes
        internet.publish(manifest, out)
    return out
