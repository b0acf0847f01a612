# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan for the NPU driver and firmware (role hdk).

Order matters: a fresh node takes the driver first (the firmware installer needs it), an
upgrade takes the firmware first (Huawei's upgrade order).  A node that already runs a driver
is touched only behind the safety gate (every NPU healthy and idle) unless forced.  A device
that answers -8005 waits for a reboot.  Python 3.9+, standard library only.
"""

import re

from ansible_collections.ascend_verl.cluster.plugins.module_utils import hardware
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.common import change, differs, file_for, plan, wanted

PARTS = ("driver", "firmware")


def refusal(files, chip_device, arch):
    """A package for another chip or architecture is refused before anything runs."""
    chip = hardware.HDK_CHIP.get(chip_device)
    arch_re = re.escape(arch).replace("_", "[_-]")
    if chip and all("-%s-" % chip in files[p] for p in PARTS) and re.search(r"linux-%s\.run$" % arch_re, files["driver"]):
        return []
    return ["refusing %s / %s: the node has %s NPUs (package chip token -%s-) on %s (driver must end in linux-%s.run)"
            % (files["driver"], files["firmware"], chip_device or "no", chip, arch, arch)]


def account_step(accounts, knobs):
    user, group = accounts.get("user"), accounts.get("group")
    if (user and user["uid"] == knobs["hdk_uid"] and user["gid"] == knobs["hdk_gid"]
            and group and group["gid"] == knobs["hdk_gid"]):
        return None
    found = "uid %s gid %s" % (user["uid"], user["gid"]) if user else "no such user"
    return {"name": "account", "why": "%s: wanted uid %s gid %s, found %s" % (
        knobs["hdk_user"], knobs["hdk_uid"], knobs["hdk_gid"], found)}


def build_step(system, knobs):
    """What building the driver's kernel module needs (only when the driver is installed)."""
    packages = knobs["hdk_build_packages"]
    pkg_mgr = system.get("pkg_mgr")
    headers = []
    if knobs["hdk_install_headers"] and not system.get("kernel_headers"):
        headers = (["linux-headers-" + system["kernel"]] if pkg_mgr == "apt"
                   else ["kernel-headers", "kernel-devel-" + system["kernel"]])
    wanted_packages = list(packages.get(pkg_mgr) or packages.get("dnf") or [])
    return {"name": "build", "packages": wanted_packages, "headers": headers,
            "why": "build: the driver's kernel module is built on the node (%s)" % ", ".join(wanted_packages + headers)}


def hdk(manifest, facts, knobs, inputs=None):
    system, found = facts["system"], facts["hdk"]
    device, arch = knobs["ascend_npu_device"], system["arch"]
    files = dict((p, file_for(manifest, p, device, arch)) for p in PARTS)
    want = dict((p, wanted(manifest, p)) for p in PARTS)
    problems = refusal(files, facts["pci"].get("npu_device") or device, arch)
    fresh = found["driver"] is None
    installers = []
    for part in (PARTS if fresh else tuple(reversed(PARTS))):
        if differs(found[part], want[part]):
            flags = list(knobs["hdk_%s_%s_flags" % (part, "upgrade" if found[part] else "install")])
            if part == "driver" and fresh and knobs["ascend_root"].rstrip("/") != hardware.DEFAULT_ROOT:
                flags.append("--install-path=" + knobs["ascend_root"])
            installers.append({"name": part, "file": files[part], "flags": flags,
                               "why": change(part, want[part], found[part])})
    steps = [s for s in (account_step(facts["accounts"], knobs),) if s]
    if any(i["name"] == "driver" for i in installers):
        steps.append(build_step(system, knobs))
    # A device that answers -8005 waits for a reboot.  Nodes that had no driver when this run
    # began (inputs.fresh, from the first plan) reboot together: nothing can be running on them;
    # the others roll in batches.
    pending = (facts.get("npu_smi") or {}).get("kind") == "not_started"
    began_fresh = str((inputs or {}).get("fresh", fresh)).lower() == "true"
    mode = ("together" if began_fresh else "rolling") if pending and knobs["hdk_reboot_allowed"] else None
    return plan("hdk", problems, steps + installers, installers=installers, account=bool(steps and steps[0]["name"] == "account"),
                build=next((s for s in steps if s["name"] == "build"), None),
                gate=bool(installers) and not fresh and not knobs["hdk_force"], fresh=fresh,
                reboot=pending, reboot_mode=mode, reboot_blocked=pending and not knobs["hdk_reboot_allowed"],
                found=found, wanted=want)
