# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Everything the roles decide from, read from one node in one run: the reader behind
the ascend_facts module (published as ansible_facts.ascend).

Versions come from the files the vendor tools and pip write (version.info, the CANN install
info files, conda-meta, dist-info METADATA), never from importing anything: importing
torch_npu on a node with a broken driver hangs or crashes.  Whatever is missing is None, so
a bare node and a half-provisioned one read as cleanly as a finished one.
Runs on the node's system Python (3.9+), standard library only.
"""

import glob
import grp
import hashlib
import json
import os
import platform
import pwd
import re
import shutil
import stat

from ansible_collections.ascend_verl.cluster.plugins.module_utils import fabric_facts, host_facts, npu_pci, ray_facts
from ansible_collections.ascend_verl.cluster.plugins.module_utils.version import normalize_name

CANN_INFO = "/etc/Ascend/ascend_cann_install.info"
# os-release ID -> the distribution name Ansible's facts use (preflight_os_allowed speaks it).
DISTRIBUTIONS = {"openeuler": "openEuler", "ubuntu": "Ubuntu", "debian": "Debian", "kylin": "Kylin Linux Advanced Server",
                 "centos": "CentOS", "rhel": "RedHat", "rocky": "Rocky", "almalinux": "AlmaLinux", "euleros": "EulerOS"}
PKG_MGRS = (("dnf", "dnf"), ("yum", "yum"), ("apt-get", "apt"), ("zypper", "zypper"))
_HEX40 = re.compile(r"^[0-9a-f]{40}$")


class Node(object):
    """File access below `root` (a test sysroot, or "/"); paths shown are the node's own."""

    def __init__(self, root="/"):
        self.root = root if root not in ("", "/") else None

    def at(self, path):
        return os.path.join(self.root, path.lstrip("/")) if self.root else path

    def shown(self, path):
        return "/" + os.path.relpath(path, self.root) if self.root and path.startswith(self.root) else path

    def read(self, path):
        try:
            with open(self.at(path), errors="replace") as f:
                return f.read()
        except (IOError, OSError):
            return None

    def glob(self, pattern):
        return sorted(glob.glob(self.at(pattern)))


def key_value(text, key, sep="="):
    """Value of the first `key<sep>value` line (spaces around the separator allowed)."""
    match = re.search(r"(?m)^\s*%s\s*%s\s*(\S.*?)\s*$" % (re.escape(key), re.escape(sep)), text or "")
    return match.group(1).strip('"') if match else None


def env_values(text):
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


def system(node, uname=None):
    """OS, architecture, kernel, the interpreter running this, package manager, headers."""
    osr = node.read("/etc/os-release") or ""
    os_id = key_value(osr, "ID") or ""
    version = key_value(osr, "VERSION_ID") or ""
    release, machine = uname or (platform.release(), platform.machine())
    pkg_mgr = next((name for tool, name in PKG_MGRS
                    if shutil.which(tool, path="/usr/bin:/usr/sbin:/bin:/sbin:/usr/local/bin")), None)
    return {
        "distribution": DISTRIBUTIONS.get(os_id.lower(), key_value(osr, "NAME") or os_id or None),
        "distribution_version": version or None,
        "distribution_major_version": version.split(".")[0] if version else None,
        "pretty_name": key_value(osr, "PRETTY_NAME"),
        "arch": machine,
        "kernel": release,
        "python_version": platform.python_version(),
        "pkg_mgr": pkg_mgr,
        "kernel_headers": os.path.exists(node.at("/lib/modules/%s/build" % release)),
    }


def accounts(user, group):
    """uid/gid of the driver's run user and group, None for either when absent."""
    out = {"user": None, "group": None}
    if user:
        try:
            entry = pwd.getpwnam(user)
            out["user"] = {"name": user, "uid": entry.pw_uid, "gid": entry.pw_gid}
        except KeyError:
            pass
    if group:
        try:
            out["group"] = {"name": group, "gid": grp.getgrnam(group).gr_gid}
        except KeyError:
            pass
    return out


def hdk(node, root):
    return {"driver": key_value(node.read(root + "/driver/version.info"), "Version"),
            "firmware": key_value(node.read(root + "/firmware/version.info"), "Version")}


def davinci_count(node):
    return len([p for p in node.glob("/dev/davinci*") if os.path.basename(p)[len("davinci"):].isdigit()])


def cann(node, root, arch):
    """The install root CANN recorded, and the toolkit, kernels/ops and NNAL versions in both
    layouts (<=8.3 ascend-toolkit/<ver>, 8.5 cann-<ver> with ascend-toolkit/latest linked)."""
    out = {"recorded_root": key_value(node.read(CANN_INFO), "Install_Path"),
           "toolkit": None, "kernels": None, "nnal": None, "layout": None}
    for base in ("ascend-toolkit/latest", "cann"):
        found = node.glob("%s/%s/%s-linux/ascend_toolkit_install.info" % (root, base, arch or "*"))
        if found:
            info_dir = os.path.dirname(found[0])
            out["toolkit"] = key_value(node.read(node.shown(found[0])), "version")
            for name, layout in (("ascend_ops_install.info", "8.5"), ("ascend_kernels_install.info", "8.3")):
                text = node.read(node.shown(os.path.join(info_dir, name)))
                if text is not None:
                    out["kernels"], out["layout"] = key_value(text, "version"), layout
                    break
            break
    out["nnal"] = key_value(node.read(root + "/nnal/atb/latest/version.info"), "Ascend-cann-atb", ":")
    return out


def conda_meta(node, prefix, name):
    """Version of package `name` in a conda prefix, from conda-meta/<name>-<ver>-<build>.json
    (the record's own fields, else its file name, which conda writes in that form)."""
    for path in node.glob(os.path.join(prefix, "conda-meta", "%s-*.json" % name)):
        try:
            data = json.loads(node.read(node.shown(path)) or "{}")
        except ValueError:
            data = {}
        if data.get("name") == name and data.get("version"):
            return str(data["version"])
        parts = os.path.basename(path)[:-len(".json")].rsplit("-", 2)
        if len(parts) == 3 and parts[0] == name and parts[1][:1].isdigit():
            return parts[1]
    return None


def site_packages(node, env_path):
    return node.glob(os.path.join(env_path, "lib", "python3*", "site-packages"))


def distributions(node, env_path):
    """{normalised name: (version, dist-info dir)} of every distribution in the env."""
    found = {}
    for sp in site_packages(node, env_path):
        metas = glob.glob(os.path.join(sp, "*.dist-info", "METADATA")) + glob.glob(os.path.join(sp, "*.egg-info", "PKG-INFO"))
        for meta in sorted(metas):
            try:
                with open(meta, errors="replace") as f:
                    head = f.read(4096)        # Name and Version lead the header
            except (IOError, OSError):
                continue
            name, version = key_value(head, "Name", ":"), key_value(head, "Version", ":")
            if name and version:
                name = normalize_name(name)
                if name in found:       # two installs of one package: show both (a broken env)
                    version = found[name][0] + " + " + version
                found[name] = (version, found.get(name, (None, os.path.dirname(meta)))[1])
    return found


def editable_source(dist_dir):
    """The source directory of a `pip install -e` (direct_url.json), else None."""
    try:
        with open(os.path.join(dist_dir, "direct_url.json")) as f:
            direct = json.load(f)
    except (IOError, OSError, ValueError):
        return None
    url = direct.get("url", "")
    if url.startswith("file://") and direct.get("dir_info", {}).get("editable"):
        return url[len("file://"):]
    return None


def git_head(node, repo):
    """Commit checked out in a git work tree (a .git dir or a `gitdir:` file); None if unknown."""
    git = os.path.join(repo, ".git")
    if os.path.isfile(node.at(git)):
        target = key_value(node.read(git), "gitdir", ":")
        git = os.path.normpath(os.path.join(repo, target)) if target else git
    head = (node.read(os.path.join(git, "HEAD")) or "").strip()
    if _HEX40.match(head):
        return head
    if not head.startswith("ref:"):
        return None
    ref = head[4:].strip()
    value = (node.read(os.path.join(git, ref)) or "").strip()
    if _HEX40.match(value):
        return value
    for line in (node.read(os.path.join(git, "packed-refs")) or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == ref and _HEX40.match(parts[0]):
            return parts[0]
    return None


def conda(node, prefix, env_name):
    """conda itself, its envs (directories with conda-meta), and the named env's Python and
    packages.  Read from files: the conda stand-in and the real conda write the same ones."""
    envs = {}
    for meta in node.glob(os.path.join(prefix, "envs", "*", "conda-meta")):
        env_dir = os.path.dirname(meta)
        envs[os.path.basename(env_dir)] = node.shown(env_dir)
    env_path = os.path.join(prefix, "envs", env_name)
    env = {"name": env_name, "path": env_path, "exists": env_name in envs, "python": None,
           "site_packages": None, "packages": {}, "editable": {}, "verl_commit": None, "files": site_files(node, None)}
    if env["exists"]:
        env["python"] = conda_meta(node, env_path, "python")
        sps = site_packages(node, env_path)
        if sps:
            env["site_packages"] = node.shown(sps[-1])
            if not env["python"]:
                env["python"] = os.path.basename(os.path.dirname(sps[-1]))[len("python"):]
        for name, (version, dist_dir) in distributions(node, env_path).items():
            env["packages"][name] = version
            source = editable_source(dist_dir)
            if source:
                env["editable"][name] = node.shown(source) if node.root and source.startswith(node.root) else source
        if "verl" in env["editable"]:
            env["verl_commit"] = git_head(node, env["editable"]["verl"])
        if sps:
            env["files"] = site_files(node, node.shown(sps[-1]))
    binary = node.at(os.path.join(prefix, "bin", "conda"))
    return {"prefix": prefix, "installed": os.path.isfile(binary) and os.access(binary, os.X_OK),
            "version": conda_meta(node, prefix, "conda"), "envs": envs, "env": env}


def site_files(node, site):
    """The site-packages files the SGLang stack is judged by, beyond metadata: triton-ascend's
    triton/__init__.py (upstream triton clobbers it) and the deep_ep_cpp extension with the
    link the install scripts make at the top of site-packages."""
    if site is None:
        return {"triton_init": False, "deep_ep_so": [], "deep_ep_links": {}}
    links = {}
    for path in node.glob(os.path.join(site, "deep_ep_cpp*.so")):
        links[os.path.basename(path)] = os.readlink(path) if os.path.islink(path) else None
    return {"triton_init": os.path.isfile(node.at(os.path.join(site, "triton", "__init__.py"))),
            "deep_ep_so": [os.path.basename(p) for p in node.glob(os.path.join(site, "deep_ep", "deep_ep_cpp*.so"))],
            "deep_ep_links": links}


def file_stats(node, paths):
    """mode, owner, group and sha1 (what Ansible's template and stat compare) of each path."""
    out = {}
    for path in paths:
        try:
            st = os.stat(node.at(path))
        except OSError:
            out[path] = {"exists": False}
            continue
        entry = {"exists": True, "mode": "%04o" % stat.S_IMODE(st.st_mode), "checksum": None, "mtime": st.st_mtime,
                 "isdir": stat.S_ISDIR(st.st_mode),
                 "owner": _name(pwd.getpwuid, st.st_uid), "group": _name(grp.getgrgid, st.st_gid)}
        if stat.S_ISREG(st.st_mode):
            digest = hashlib.sha1()
            with open(node.at(path), "rb") as f:
                for chunk in iter(lambda: f.read(65536), b""):
                    digest.update(chunk)
            entry["checksum"] = digest.hexdigest()
        out[path] = entry
    return out


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def resolve_globs(node, patterns):
    """-> {pattern: [{path, link}]}: what each glob matches, sorted; `link` is a symbolic
    link's target, else None."""
    out = {}
    for pattern in patterns:
        out[pattern] = [{"path": node.shown(p), "link": os.readlink(p) if os.path.islink(p) else None}
                        for p in node.glob(pattern)]
    return out


def requirement_files(node, paths):
    """Text of each requirements file, None when absent (the planner parses them)."""
    return dict((path, node.read(path)) for path in paths)


def parse_route(route_line, addr_lines):
    """`ip -o route get X` and `ip -o addr show to SRC` -> {dev, src, ifname}.  On the head
    itself the route goes via lo, so the interface is the one that owns the source address."""
    dev = re.search(r"\bdev\s+(\S+)", route_line or "")
    src = re.search(r"\bsrc\s+(\S+)", route_line or "")
    owner = re.match(r"^\d+:\s+(\S+?)(?:@\S+)?\s", addr_lines or "")
    return {"dev": dev.group(1) if dev else None, "src": src.group(1) if src else None,
            "ifname": owner.group(1) if owner else (dev.group(1) if dev else None)}


def login_shell_values(run, names):
    """What a login shell (profile.d sourced) sees for `names`; None when bash fails."""
    script = "printf '%s\\n' " + " ".join('"${%s}"' % n for n in names)
    rc, out, dummy = run(["bash", "-lc", script])
    if rc != 0:
        return None
    lines = out.split("\n")
    return dict((n, lines[i] if i < len(lines) else "") for i, n in enumerate(names))


def route_to(run, address):
    rc, route, dummy = run(["ip", "-o", "route", "get", address])
    if rc != 0:
        return {"dev": None, "src": None, "ifname": None, "error": (route or dummy).strip() or "ip route get failed"}
    src = re.search(r"\bsrc\s+(\S+)", route)
    addr = ""
    if src:
        dummy_rc, addr, dummy = run(["ip", "-o", "addr", "show", "to", src.group(1)])
    return parse_route(route, addr)


def gather(run, root="/", uname=None, ascend_root="/usr/local/Ascend", conda_prefix="/opt/miniforge3",
           conda_env="verl-sglang", env_file="/etc/ascend_verl/npu.env", user=None, group=None, npu_smi_info=None,
           files=(), globs=(), requirements=(), head_address=None, login_shell=(), fabric=False,
           host=None, fabric_settle=0, ray=None):
    """The whole read.  `run(argv) -> (rc, out, err)` runs the few commands that are not file
    reads (ip, bash -lc); `npu_smi_info` is what the npu_smi helpers made of `npu-smi info`."""
    node = Node(root)
    sysinfo = system(node, uname)
    facts = {
        "system": sysinfo,
        "pci": npu_pci.summarize(npu_pci.scan(node.at("/sys/bus/pci/devices"))),
        "devices": davinci_count(node),
        "accounts": accounts(user, group),
        "hdk": hdk(node, ascend_root),
        "npu_smi": npu_smi_info,
        "cann": cann(node, ascend_root, sysinfo["arch"]),
        "conda": conda(node, conda_prefix, conda_env),
        "env_file": {"path": env_file, "values": env_values(node.read(env_file))},
        "files": file_stats(node, files),
        "globs": resolve_globs(node, globs),
        "requirements": requirement_files(node, requirements),
        "route": route_to(run, head_address) if head_address else None,
        "login_shell": login_shell_values(run, list(login_shell)) if login_shell else None,
        "fabric": fabric_facts.gather(run, node, ascend_root, settle=fabric_settle) if fabric else None,
        "host": host_facts.gather(run, node, host) if host else None,
        "ray": ray_facts.gather(run, node, ray) if ray else None,
        "paths": {"ascend_root": ascend_root, "conda_prefix": conda_prefix, "conda_env": conda_env},
    }
    return facts
