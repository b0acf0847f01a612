#!/usr/bin/python
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: diag_bundle
short_description: Build a node's diagnostics bundle (a tar.gz of what support asks for), secrets redacted
version_added: 0.3.0
description:
  - In one run on the node, reads what Huawei support asks for and writes it, redacted, into
    C(<tmpdir>/ascend-diag-*/<host>.tar.gz) with a C(manifest.json) at the top; the caller fetches the file and
    removes RV(tmpdir) (role P(ascend_verl.cluster.collect#role) does).
  - C(npu-smi info), C(-l), C(-m), each NPU's (A3 each die's) C(-t board) and C(-t health); C(hccn_tool -i <N>) per
    RoCE port (C(-ip), C(-link), C(-net_health), C(-netdetect), C(-gateway), C(-tls), C(-link_stat), C(-speed),
    C(-duplex), C(-lldp), C(-optical), C(-stat), on A3 C(-vnic)); C(/etc/hccn.conf); the driver's, firmware's,
    CANN's and NNAL's C(version.info) / C(*_install.info) files; the installer logs (C(/var/log/ascend_seclog));
    the environment file and C(/etc/profile.d/ascend*.sh); the newest Ray logs; the newest device logs; the tail
    of C(dmesg); C(uname -a), C(df -h), C(lspci -d 19e5:), C(/etc/os-release).
  - What the node does not have (no driver, no CANN, no Ray, a tool or a file) is listed in the manifest as
    missing, never a failure. Every command runs under C(timeout) (O(timeout)), so a hung C(npu-smi) costs at most
    that long; a command that fails or hangs is recorded with its return code.
  - Every collected text has the O(redact) values and the generic patterns (URL userinfo, C(password=), C(token=),
    C(*_PASSWORD=), C(*_TOKEN=), C(Authorization) headers with Basic or Bearer credentials) replaced by C(***) before it is archived; the
    manifest counts the replacements per file.
author:
  - ascend_verl.cluster maintainers (@ascend-verl)
options:
  host:
    description: Name of the node in the bundle (the top directory of the tarball and the file name).
    type: str
    required: true
  npu_device:
    description: V(A2) or V(A3) (how npu-smi addresses dies); empty = from the NPUs on the PCI bus.
    type: str
    default: ""
  ascend_root:
    description: Root of the Ascend install.
    type: path
    default: /usr/local/Ascend
  env_file:
    description: The KEY=VALUE environment file of the node.
    type: path
  ray_temp_dir:
    description: Ray's session and log directory (Ray's own default unless the ray role's knob says otherwise).
    type: path
    default: /tmp/ray
  device_log_dirs:
    description: Directories whose newest O(log_files) files (recursively) are collected as device logs.
    type: list
    elements: path
    default: [/var/log/npu, /root/ascend/log]
  extra_files:
    description: More files or globs to collect (their tails).
    type: list
    elements: path
    default: []
  log_lines:
    description: Lines kept of every log, of C(dmesg) and of O(extra_files).
    type: int
    default: 1000
  log_files:
    description: Newest files taken from Ray's log directory and from each of O(device_log_dirs).
    type: int
    default: 20
  max_file_bytes:
    description: At most this many bytes are read of any one file (its end).
    type: int
    default: 4194304
  timeout:
    description: Seconds one command may take before it is killed and recorded as timed out.
    type: int
    default: 30
  parallel:
    description: Commands and reads at the same time.
    type: int
    default: 8
  required:
    description: Components whose absence the summary reports as C(summary.required_missing) (the node is partial).
    type: list
    elements: str
    choices: [driver, firmware, cann, nnal, fabric, env, install_logs, ray, device_logs]
    default: [driver, firmware, cann, env]
  redact:
    description: Secret values to replace by C(***) wherever they occur (role collect passes every form of the
      secrets the controller knows, see the C(collect_secrets) filter).
    type: list
    elements: str
    default: []
  tmpdir:
    description: Directory on the node under which the bundle's private temporary directory is made.
    type: path
    default: /tmp
attributes:
  check_mode:
    support: full
    description: In check mode nothing is run or read beyond finding the tools and files; RV(plan) says what would
      be collected and RV(missing) what the node lacks.
  diff_mode:
    support: none
    description: The node is not changed; there is no diff.
"""

EXAMPLES = r"""
- name: Build the bundle on the node
  ascend_verl.cluster.diag_bundle:
    host: "{{ inventory_hostname }}"
    npu_device: "{{ ascend_npu_device }}"
    env_file: /etc/ascend_verl/npu.env
    redact: "{{ my_secret_values }}"
    timeout: 20
  register: bundle

- name: Bring it to the controller
  ansible.builtin.fetch:
    src: "{{ bundle.path }}"
    dest: "reports/diag/{{ inventory_hostname }}.tar.gz"
    flat: true

- name: Remove the node's copy
  ansible.builtin.file:
    path: "{{ bundle.tmpdir }}"
    state: absent
"""

RETURN = r"""
path:
  description: The tarball on the node (not in check mode).
  returned: success and not check mode
  type: str
  sample: /tmp/ascend-diag-x1y2z3/node1.tar.gz
tmpdir:
  description: The private directory holding it, to remove after fetching.
  returned: success and not check mode
  type: str
  sample: /tmp/ascend-diag-x1y2z3
check_mode:
  description: Whether this was a check-mode run (nothing collected).
  returned: always
  type: bool
plan:
  description: Every item of the bundle, C({name, component, source}); in check mode what would be collected.
  returned: success
  type: list
  elements: dict
  sample: [{name: npu-smi/info.txt, component: driver, source: /usr/local/bin/npu-smi info}]
missing:
  description: What the node does not have, C({name, component, reason}).
  returned: success
  type: list
  elements: dict
  sample: [{name: "npu-smi/*", component: driver, reason: "npu-smi not found: the NPU driver is not installed"}]
manifest:
  description: One entry per archived file, C({name, component, source, status, rc, bytes, redactions, seconds});
    status is C(ok), C(failed) (non-zero exit), C(timeout) or C(empty).
  returned: success and not check mode
  type: list
  elements: dict
summary:
  description: Items, bytes, replacements, components present and missing, timed-out and failed items.
  returned: success
  type: dict
  sample: {items: 52, ok: 52, bytes: 81234, redactions: 3, components: [driver, firmware, cann, env],
           missing_components: [ray], required_missing: [], missing: 6, timeouts: [], failed: []}
"""

import glob
import io
import json
import os
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.plugins.module_utils import collect, hardware, hccn, npu_pci


def _stat(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return {"path": path, "size": st.st_size, "mtime": st.st_mtime}


def _find(cand, seen):
    """The files a candidate's pattern names on this node (a directory: its files, recursively)."""
    hits = []
    if cand.get("recursive"):
        for top, dirs, files in os.walk(cand["pattern"]):
            dirs.sort()
            for name in sorted(files):
                hits.append(os.path.join(top, name))
    else:
        hits = sorted(glob.glob(cand["pattern"]))
    out = []
    for path in hits:
        real = os.path.realpath(path)
        if not os.path.isfile(path) or real in seen:
            continue
        seen.add(real)
        st = _stat(path)
        if st:
            out.append(st)
    return out


def probe(p):
    """What the node has: the tools, the devices, the files the candidates name."""
    path_env = os.environ.get("PATH", "")
    tools = dict((name, hardware.first_executable(hardware.tool_candidates(name, path_env)))
                 for name in ("uname", "df", "lspci", "dmesg"))
    npu_device = p["npu_device"] or npu_pci.summarize(npu_pci.scan()).get("npu_device")
    seen = set()
    found = {}
    for cand in collect.candidates(p):
        found[cand["pattern"]] = _find(cand, seen)
    return {
        "npu_smi": hardware.first_executable(hardware.tool_candidates("npu-smi", path_env)),
        "hccn_tool": hccn.find_tool(None, p["ascend_root"]),
        "devices": hccn.device_ids(),
        "npu_device": npu_device if npu_device in ("A2", "A3") else None,
        "tools": tools,
        "found": found,
    }


def _read(path, max_bytes):
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - max_bytes))
        return f.read(), size > max_bytes


class Runner(object):
    def __init__(self, module, timeout, max_bytes):
        self.module, self.timeout, self.max_bytes = module, timeout, max_bytes

    def command(self, argv):
        """-> (rc, text, status); timeout(1) kills a hung tool (and its process group) after `timeout` s."""
        rc, out, err = self.module.run_command(["timeout", "-k", "5", str(self.timeout)] + list(argv))
        text = out + (("\n--- stderr ---\n" + err) if err else "")
        if rc in (124, 137):
            return rc, text + "\n--- no answer in %d s: killed ---\n" % self.timeout, "timeout"
        return rc, text, "ok" if rc == 0 else "failed"

    def item(self, item):
        start = time.time()
        rc, truncated = None, False
        try:
            if item["kind"] == "command":
                rc, text, status = self.command(item["argv"])
                if item.get("lines"):
                    text = collect.tail_text(text, item["lines"])
            elif item["kind"] == "commands":
                parts, statuses = [], []
                for argv in item["argvs"]:
                    one_rc, one, one_status = self.command(argv)
                    statuses.append(one_status)
                    parts.append("### %s (rc=%s)\n%s\n" % (" ".join(argv), one_rc, one.rstrip("\n")))
                text = "\n".join(parts)
                status = "ok" if "ok" in statuses else ("timeout" if "timeout" in statuses else "failed")
                rc = 0 if status == "ok" else 1
            else:
                data, truncated = _read(item["path"], self.max_bytes)
                text = collect.tail_text(data, item.get("lines") if item["kind"] == "tail" else None)
                status = "ok" if text else "empty"
        except (IOError, OSError) as e:
            text, status = "cannot read: %s\n" % e, "failed"
        return text, {"status": status, "rc": rc, "truncated": truncated, "seconds": round(time.time() - start, 3)}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str", required=True),
            npu_device=dict(type="str", default=""),
            ascend_root=dict(type="path", default=hardware.DEFAULT_ROOT),
            env_file=dict(type="path"),
            ray_temp_dir=dict(type="path", default="/tmp/ray"),
            device_log_dirs=dict(type="list", elements="path", default=["/var/log/npu", "/root/ascend/log"]),
            extra_files=dict(type="list", elements="path", default=[]),
            log_lines=dict(type="int", default=1000),
            log_files=dict(type="int", default=20),
            max_file_bytes=dict(type="int", default=4194304),
            timeout=dict(type="int", default=30),
            parallel=dict(type="int", default=8),
            required=dict(type="list", elements="str", default=list(collect.DEFAULT_REQUIRED),
                          choices=[c for c in collect.COMPONENTS if c not in ("system", "extra")]),
            redact=dict(type="list", elements="str", default=[], no_log=True),
            tmpdir=dict(type="path", default="/tmp"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    facts = probe(p)
    planned = collect.plan(facts, p)
    items, missing = planned["items"], planned["missing"]
    plan_out = [{"name": i["name"], "component": i["component"], "source": collect.describe(i)} for i in items]
    if module.check_mode:
        would = [dict(e, status="ok") for e in plan_out]
        module.exit_json(changed=False, check_mode=True, plan=plan_out, missing=missing,
                         summary=collect.summarize(would, missing, p["required"]))

    runner = Runner(module, p["timeout"], p["max_file_bytes"])
    workers = max(1, min(p["parallel"], len(items) or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(runner.item, items))

    manifest, members = [], []
    for item, (text, meta) in zip(items, results):
        clean, count = collect.redact(text, p["redact"])
        data = clean.encode("utf-8")
        entry = {"name": item["name"], "component": item["component"], "source": collect.describe(item),
                 "bytes": len(data), "redactions": count}
        entry.update(meta)
        manifest.append(entry)
        members.append((item["name"], data))
    summary = collect.summarize(manifest, missing, p["required"])
    doc = {"host": p["host"], "collected_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "npu_device": facts["npu_device"], "devices": facts["devices"], "summary": summary,
           "files": manifest, "missing": missing}
    members.append(("manifest.json", (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("utf-8")))

    tmpdir = tempfile.mkdtemp(prefix="ascend-diag-", dir=p["tmpdir"])
    path = os.path.join(tmpdir, "%s.tar.gz" % p["host"])
    now = time.time()
    try:
        with tarfile.open(path, "w:gz") as tar:
            for name, data in members:
                info = tarfile.TarInfo(collect.archive_name(p["host"], name))
                info.size, info.mtime, info.mode = len(data), now, 0o644
                tar.addfile(info, io.BytesIO(data))
        os.chmod(path, 0o600)
    except (IOError, OSError) as e:
        module.fail_json(msg="cannot write the bundle %s: %s" % (path, e), tmpdir=tmpdir)
    # The bundle is a temporary file the caller removes; the node itself is not changed.
    module.exit_json(changed=False, check_mode=False, path=path, tmpdir=tmpdir, plan=plan_out, missing=missing,
                     manifest=manifest, summary=summary)


if __name__ == "__main__":
    main()
