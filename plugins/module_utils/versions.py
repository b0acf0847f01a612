# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every version of the verl/SGLang/Ascend stack on one node, read from files only.

Python packages are read from their installed metadata, never imported (importing torch_npu
on a node with a broken driver hangs or crashes); the env's Python is not run.  Anything
missing is None: a half-provisioned node is reported, not failed.
Runs on the node's system Python (3.9+), standard library only.
"""

import glob
import json
import os
import re

COMPONENTS = ("os", "kernel", "arch", "driver", "firmware", "npu_smi", "toolkit", "kernels", "nnal", "conda",
              "python", "torch", "torch_npu", "torchvision", "sglang", "sgl_kernel_npu", "deep_ep",
              "torch_memory_saver", "triton_ascend", "triton", "verl", "verl_commit", "ray", "transformers",
              "numpy", "megatron_core", "mindspeed", "mbridge")
# PEP 503 normalised distribution name -> component
PACKAGES = {"torch": "torch", "torch-npu": "torch_npu", "torchvision": "torchvision", "sglang": "sglang",
            "sgl-kernel-npu": "sgl_kernel_npu", "deep-ep": "deep_ep", "torch-memory-saver": "torch_memory_saver",
            "triton-ascend": "triton_ascend", "triton": "triton", "verl": "verl", "ray": "ray",
            "transformers": "transformers", "numpy": "numpy", "megatron-core": "megatron_core",
            "mindspeed": "mindspeed", "mbridge": "mbridge"}
_HEX40 = re.compile(r"^[0-9a-f]{40}$")


def _read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except (IOError, OSError):
        return None


def key_value(text, key, sep="="):
    """Value of the first `key<sep>value` line (spaces around the separator allowed)."""
    match = re.search(r"(?m)^\s*%s\s*%s\s*(\S.*?)\s*$" % (re.escape(key), re.escape(sep)), text or "")
    return match.group(1).strip('"') if match else None


def env_file(text):
    """KEY=VALUE lines (optional `export`, optional quotes) -> dict; None when absent."""
    if text is None:
        return None
    out = {}
    for line in text.splitlines():
        match = re.match(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if match:
            value = match.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            out[match.group(1)] = value
    return out


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def site_packages(env_dir):
    return sorted(glob.glob(os.path.join(env_dir, "lib", "python3*", "site-packages")))


def distributions(env_dir):
    """{component: [(version, dist-info dir)]} for the packages the audit follows."""
    found = {}
    for sp in site_packages(env_dir):
        metas = (glob.glob(os.path.join(sp, "*.dist-info", "METADATA"))
                 + glob.glob(os.path.join(sp, "*.egg-info", "PKG-INFO")))
        for meta in sorted(metas):
            text = _read(meta)
            name, version = key_value(text, "Name", ":"), key_value(text, "Version", ":")
            component = PACKAGES.get(normalise(name or ""))
            if component and version:
                found.setdefault(component, []).append((version, os.path.dirname(meta)))
    return found


def git_head(repo):
    """Commit checked out in a git work tree (a .git dir or a `gitdir:` file); None if unknown."""
    git = os.path.join(repo, ".git")
    if os.path.isfile(git):
        target = key_value(_read(git), "gitdir", ":")
        git = os.path.normpath(os.path.join(repo, target)) if target else git
    head = (_read(os.path.join(git, "HEAD")) or "").strip()
    if _HEX40.match(head):
        return head
    if not head.startswith("ref:"):
        return None
    ref = head[4:].strip()
    value = (_read(os.path.join(git, ref)) or "").strip()
    if _HEX40.match(value):
        return value
    for line in (_read(os.path.join(git, "packed-refs")) or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == ref and _HEX40.match(parts[0]):
            return parts[0]
    return None


def editable_commit(dist_dir):
    """verl installed with `pip install -e`: the commit of its source tree."""
    try:
        direct = json.loads(_read(os.path.join(dist_dir, "direct_url.json")) or "{}")
    except ValueError:
        return None
    url = direct.get("url", "")
    if not url.startswith("file://"):
        return None
    return git_head(url[len("file://"):])


def conda_meta(prefix, name):
    """Version of package `name` from a conda prefix's conda-meta/<name>-<ver>-<build>.json."""
    for path in sorted(glob.glob(os.path.join(prefix, "conda-meta", "%s-*.json" % name))):
        try:
            data = json.loads(_read(path) or "{}")
        except ValueError:
            continue
        if data.get("name") == name and data.get("version"):
            return str(data["version"]), path
    return None, None


def _toolkit_dir(cann, arch):
    pattern = (arch + "-linux") if arch else "*-linux"
    for base in ("ascend-toolkit/latest", "cann"):
        for path in sorted(glob.glob(os.path.join(cann, base, pattern, "ascend_toolkit_install.info"))):
            return os.path.dirname(path)
    return None


def collect(root="/", ascend="/usr/local/Ascend", cann="/usr/local/Ascend", conda_prefix="/opt/miniforge3",
            conda_env="verl-sglang", env_path="/etc/ascend_verl/npu.env", npu_smi_version=None, uname=None):
    """-> {versions: {component: str or None}, sources: {component: where}, env_file: dict or None}."""
    def at(path):
        return os.path.join(root, path.lstrip("/")) if root not in ("", "/") else path

    versions = dict((c, None) for c in COMPONENTS)
    sources = {}

    def put(component, value, source):
        if value:
            if root not in ("", "/") and source.startswith(root):
                source = "/" + os.path.relpath(source, root)
            versions[component], sources[component] = value, source

    osr = _read(at("/etc/os-release"))
    pretty = key_value(osr, "PRETTY_NAME")
    put("os", pretty or " ".join(v for v in (key_value(osr, "NAME"), key_value(osr, "VERSION_ID")) if v),
        "/etc/os-release")
    if uname:
        put("kernel", uname[0], "uname -r")
        put("arch", uname[1], "uname -m")
    for component, path in (("driver", ascend + "/driver/version.info"),
                            ("firmware", ascend + "/firmware/version.info")):
        put(component, key_value(_read(at(path)), "Version"), path)
    put("npu_smi", npu_smi_version, "npu-smi -v")
    tk = _toolkit_dir(at(cann), versions["arch"])
    if tk:
        info = os.path.join(tk, "ascend_toolkit_install.info")
        put("toolkit", key_value(_read(info), "version"), info)
        for name in ("ascend_ops_install.info", "ascend_kernels_install.info"):
            path = os.path.join(tk, name)
            if os.path.exists(path):
                put("kernels", key_value(_read(path), "version"), path)
                break
    nnal = cann + "/nnal/atb/latest/version.info"
    put("nnal", key_value(_read(at(nnal)), "Ascend-cann-atb", ":"), nnal)
    version, path = conda_meta(at(conda_prefix), "conda")
    put("conda", version, path)
    env_dir = at(os.path.join(conda_prefix, "envs", conda_env))
    version, path = conda_meta(env_dir, "python")
    if not version:
        found = [os.path.basename(os.path.dirname(sp))[len("python"):] for sp in site_packages(env_dir)]
        version, path = (found[-1], env_dir) if found else (None, None)
    put("python", version, path)
    for component, dists in distributions(env_dir).items():
        put(component, " + ".join(v for v, dummy in dists), dists[0][1])
        if component == "verl":
            put("verl_commit", editable_commit(dists[0][1]), "direct_url.json")
    return {"versions": versions, "sources": sources, "env_file": env_file(_read(at(env_path)))}


def resolve_globs(patterns, root="/"):
    """-> {pattern: [{path, link}]}: what each glob matches, sorted; `link` is the target of a
    symbolic link, else None.  Lets a caller learn which files exist in the same remote run."""
    out = {}
    for pattern in patterns:
        full = os.path.join(root, pattern.lstrip("/")) if root not in ("", "/") else pattern
        found = []
        for path in sorted(glob.glob(full)):
            shown = "/" + os.path.relpath(path, root) if root not in ("", "/") else path
            found.append({"path": shown, "link": os.readlink(path) if os.path.islink(path) else None})
        out[pattern] = found
    return out


def parse_npu_smi_version(text):
    """`npu-smi -v` -> version, e.g. "npu-smi version: 25.3.rc1"."""
    match = re.search(r"version\s*:\s*(\S+)", text or "", re.I)
    return match.group(1) if match else None
