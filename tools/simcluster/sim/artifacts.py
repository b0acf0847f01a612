"""Vendor installer stand-ins for a stack: the .run files a real site downloads from Huawei.

`generate(stack, out_dir)` reads the stack manifest the collection itself uses
(roles/stack/vars/stacks/<stack>.yml) and writes, for every component, chip variant and
architecture, a self-extracting .run with the real file name, plus SHA256SUMS.  Output is
byte-for-byte deterministic, so checksums are stable across machines and runs.

A .run is a makeself-style shell header followed by a tar.gz payload (runpkg.py, hwstate.py,
for the driver also npu_smi.py, hccn_tool.py and upgrade_tool.py, for the toolkit hccl_test.py and
its Makefile hccl_test.mk, and meta.json).  The header verifies the
payload's SHA256 the way makeself does (a mismatch exits 2, as makeself does, which is why a
caller must verify checksums itself: 2 also means "installed, reboot needed").
"""

import gzip
import hashlib
import io
import json
import os
import tarfile

import yaml

from . import config, pyartifacts

ARCHES = pyartifacts.ARCHES
CHIPS = {"A2": "910b", "A3": "910_93"}
LABELS = {"driver": "ASCEND DRIVER RUN PACKAGE",
          "firmware": "ASCEND-HDK-{chip} FIRMWARE RUN PACKAGE",
          "toolkit": "ASCEND CANN TOOLKIT RUN PACKAGE",
          "kernels": "ASCEND CANN KERNELS RUN PACKAGE",
          "nnal": "ASCEND CANN NNAL RUN PACKAGE"}
PAYLOAD = {"driver": ("runpkg.py", "hwstate.py", "npu_smi.py", "hccn_tool.py", "upgrade_tool.py"),
           "toolkit": ("runpkg.py", "hwstate.py", "hccl_test.py", "hccl_test.mk")}
DEFAULT_PAYLOAD = ("runpkg.py", "hwstate.py")

HEADER = """#!/bin/bash
# simcluster stand-in for a Huawei Ascend .run package (makeself-style; not Huawei software).
# The payload after line {skip} is a tar.gz; its SHA256 is checked before anything runs.
SKIP={skip}
SHA={sha}
LABEL="{label}"
me="$0"; [ -f "$me" ] || me="$(command -v -- "$0")"
quiet=n; noexec=n; keep=n; target=""; check=n
for a in "$@"; do
  case "$a" in
    --quiet) quiet=y ;; --noexec) noexec=y ;; --keep) keep=y ;; --check) check=y ;;
    --extract=*) target="${{a#--extract=}}"; noexec=y; keep=y ;;
    --info) echo "Identification: $LABEL"; echo "Target directory: run_package"; exit 0 ;;
    --list) tail -n +"$SKIP" "$me" | tar tzf -; exit 0 ;;
  esac
done
verify() {{
  sum=$(tail -n +"$SKIP" "$me" | sha256sum | cut -d' ' -f1)
  if [ "$sum" != "$SHA" ]; then
    echo "Error in SHA256 checksums: $sum is different from $SHA" >&2
    exit 2
  fi
  [ "$quiet" = y ] || echo "Verifying archive integrity...  100%   SHA256 checksums are OK. All good."
}}
[ "$check" = y ] && verify
verify
if [ -z "$target" ]; then
  target=$(mktemp -d "${{TMPDIR:-/tmp}}/selfgz.XXXXXX") || exit 1
else
  mkdir -p "$target" || exit 1
fi
[ "$quiet" = y ] || echo "Uncompressing $LABEL  100%  "
if ! tail -n +"$SKIP" "$me" | tar xzf - -C "$target"; then
  echo "Extraction failed." >&2
  [ "$keep" = y ] || rm -rf "$target"
  exit 1
fi
[ "$noexec" = y ] && exit 0
SIMCLUSTER_RUN_NAME=$(basename -- "$me") python3 "$target/runpkg.py" "$target/meta.json" "$@"
rc=$?
[ "$keep" = y ] || rm -rf "$target"
exit $rc
"""


def load_manifest(stack):
    path = os.path.join(config.REPO_ROOT, "roles", "stack", "vars", "stacks", stack + ".yml")
    if not os.path.isfile(path):
        known = sorted(f[:-4] for f in os.listdir(os.path.dirname(path)) if f.endswith(".yml"))
        raise ValueError("unknown stack %r (known: %s)" % (stack, ", ".join(known)))
    with open(path) as f:
        return yaml.safe_load(f)["stack_manifest"]


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _payload(meta, names):
    """Deterministic tar.gz: fixed order, owner, mode and time."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        files = [(n, _read(os.path.join(config.STANDINS_DIR, n))) for n in names]
        files.append(("meta.json", (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode()))
        for name, data in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def build_run(meta):
    payload = _payload(meta, PAYLOAD.get(meta["package"], DEFAULT_PAYLOAD))
    label = LABELS[meta["package"]].format(chip=(meta.get("chip") or "").upper())
    skip = HEADER.count("\n") + 1
    header = HEADER.format(skip=skip, sha=hashlib.sha256(payload).hexdigest(), label=label)
    assert header.count("\n") == skip - 1
    return header.encode() + payload


def packages(manifest, arches=ARCHES):
    """(file name, meta) for every file the manifest names."""
    out = []
    for package, comp in sorted(manifest["components"].items()):
        if package not in LABELS:
            continue
        for key, pattern in sorted(comp["files"].items()):
            for arch in (arches if "{arch}" in pattern else (None,)):
                name = pattern.replace("{arch}", arch or "")
                meta = {"package": package, "version": comp["version"], "file": name,
                        "arch": arch, "chip": CHIPS.get(key),
                        "release": comp.get("release", comp["version"]),
                        "package_name": name.split("_")[0], "stack": manifest["name"]}
                if package in ("driver", "firmware"):
                    meta["hdk_version"] = manifest["components"]["driver"]["version"]
                out.append((name, meta))
    return out


def generate(stack, out_dir, arch=None, python=True):
    """Write every .run of the stack (one arch, or both), with python=True also its Python
    half (pyartifacts: conda installers, wheelhouse, source archives), and SHA256SUMS;
    return the paths."""
    if arch is not None and arch not in ARCHES:
        raise ValueError("unknown arch %r (known: %s)" % (arch, ", ".join(ARCHES)))
    manifest = load_manifest(stack)
    os.makedirs(out_dir, exist_ok=True)
    written, sums = [], []
    files = [(name, build_run(meta)) for name, meta in packages(manifest, (arch,) if arch else ARCHES)]
    if python:
        for one in ((arch,) if arch else ARCHES):
            files += pyartifacts.generate(manifest, one)
    unique = {}
    for name, data in files:      # both arches name the same arch-independent archives
        if unique.setdefault(name, data) != data:
            raise AssertionError("%s: one name, different contents per arch" % name)
    for name, data in sorted(unique.items()):
        target = os.path.join(out_dir, name)
        with open(target, "wb") as f:
            f.write(data)
        os.chmod(target, 0o644)
        written.append(target)
        sums.append("%s  %s\n" % (hashlib.sha256(data).hexdigest(), name))
    sums_path = os.path.join(out_dir, "SHA256SUMS")
    with open(sums_path, "w") as f:
        f.write("".join(sorted(sums, key=lambda line: line.split()[1])))
    written.append(sums_path)
    return written
