# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Layer 2 of preflight: can this host take the stack?  Read-only; a plan with problems only.

The free space comes first, from a raw `df -Pk` (with a full disk Ansible cannot even unpack
a module on the node), before the reader runs.  Python 3.9+, standard library only.
"""

from ansible_collections.ascend_verl.cluster.plugins.module_utils import hardware
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.common import plan
from ansible_collections.ascend_verl.cluster.plugins.module_utils.version import compare


def free_mb(df_text, paths):
    """The raw probe prints "path P" before `df -Pk P`'s data row (nothing when df failed);
    the fourth field of that row is the free space in kB -> {path: MB, or None}."""
    out = dict((path, None) for path in paths)
    current = None
    for line in (df_text or "").splitlines():
        fields = line.split()
        if fields[:1] == ["path"]:
            current = line.strip()[len("path "):]
        elif current in out and len(fields) >= 6 and fields[3].isdigit():
            out[current] = int(fields[3]) // 1024
            current = None
    return out


def disk_problems(df_text, need):
    free = free_mb(df_text, list(need))
    return ["%s has %s MB free, expected >= %s MB" % (path, free[path] if free[path] is not None else "unknown", mb)
            for path, mb in need.items() if free[path] is None or free[path] < int(mb)]


def os_allowed(system, allowed):
    versions = [system.get("distribution_version"), system.get("distribution_major_version")]
    return any(entry.get("distribution") == system.get("distribution") and any(v in versions for v in entry.get("versions", []))
               for entry in allowed)


def preflight(manifest, facts, knobs, inputs=None):
    inputs = inputs or {}
    problems = disk_problems(inputs.get("df"), knobs["preflight_free_mb"])
    if not facts:           # the raw disk check, before any module may run
        return plan("preflight", problems, [])
    system, pci = facts["system"], facts["pci"]
    if not os_allowed(system, knobs["preflight_os_allowed"]):
        problems.append("OS %s %s is not on preflight_os_allowed (%s)" % (
            system.get("distribution"), system.get("distribution_version"),
            ", ".join(e.get("distribution", "?") for e in knobs["preflight_os_allowed"])))
    if system["arch"] not in knobs["preflight_arch_allowed"]:
        problems.append("architecture %s, expected %s" % (system["arch"], " or ".join(knobs["preflight_arch_allowed"])))
    if compare(system["python_version"], str(knobs["preflight_python_min"])) < 0:
        problems.append("Python %s, expected >= %s" % (system["python_version"], knobs["preflight_python_min"]))
    if not system["kernel_headers"] and inputs.get("headers_package_rc") not in (0, "0"):
        problems.append("kernel headers for %s are neither installed (/lib/modules/%s/build) nor available from %s"
                        % (system["kernel"], system["kernel"], system.get("pkg_mgr")))
    expected = hardware.expected_devices(knobs["ascend_product"])
    if expected is not None and pci["count"] != expected:
        problems.append("%d NPU(s) on the PCI bus, expected %d for %s" % (pci["count"], expected, knobs["ascend_product"]))
    if pci.get("npu_device") not in (None, "", knobs["ascend_npu_device"]):
        problems.append("the NPUs on the PCI bus are %s, ascend_npu_device says %s" % (pci["npu_device"], knobs["ascend_npu_device"]))
    return plan("preflight", problems, [], headers_query=not system["kernel_headers"])
