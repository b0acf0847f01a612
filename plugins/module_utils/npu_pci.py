# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ascend NPUs as the PCI bus shows them, read from sysfs (no driver needed).

A node shows its NPUs as PCI functions of vendor 0x19e5 long before any driver is
installed, the way `lspci` does; counting them is how an installer knows it has the
hardware it expects.  Runs on the node's system Python (3.9+), standard library only.
"""

import os

ASCEND_VENDOR = "0x19e5"

# PCI device id -> (chip family as in the HDK package names, NPU_DEVICE)
ASCEND_DEVICES = {
    "0xd801": ("910", "A1"),
    "0xd802": ("910b", "A2"),
    "0xd803": ("910_93", "A3"),
    "0xd500": ("310p", None),
}

_FIELDS = ("vendor", "device", "class", "subsystem_vendor", "subsystem_device", "revision")


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip().lower()
    except (IOError, OSError):
        return None


def scan(sysfs_path="/sys/bus/pci/devices"):
    """Every Ascend NPU function under sysfs_path, sorted by slot."""
    found = []
    try:
        slots = sorted(os.listdir(sysfs_path))
    except (IOError, OSError):
        return found
    for slot in slots:
        entry = dict((field, _read(os.path.join(sysfs_path, slot, field))) for field in _FIELDS)
        if entry["vendor"] != ASCEND_VENDOR or entry["device"] not in ASCEND_DEVICES:
            continue
        chip, npu_device = ASCEND_DEVICES[entry["device"]]
        found.append({
            "slot": slot,
            "device_id": entry["device"],
            "subsystem_device_id": entry["subsystem_device"],
            "revision": entry["revision"],
            "chip": chip,
            "npu_device": npu_device,
        })
    return found


def summarize(devices):
    """Counts per PCI device id and the NPU_DEVICE they make (None: none, 'mixed')."""
    by_id = {}
    for dev in devices:
        by_id[dev["device_id"]] = by_id.get(dev["device_id"], 0) + 1
    kinds = set(dev["npu_device"] for dev in devices)
    if not kinds:
        npu_device = None
    elif len(kinds) == 1:
        npu_device = kinds.pop()
    else:
        npu_device = "mixed"
    return {"count": len(devices), "by_device_id": by_id, "npu_device": npu_device,
            "devices": devices}
