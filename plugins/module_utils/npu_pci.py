# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ascend NPUs as the PCI bus shows them, read from sysfs (no driver needed).

A node shows its NPUs as PCI functions of vendor 0x19e5 long before any driver is
installed, the way `lspci` does; counting them is how an installer knows it has the
hardware it expects.  Runs on the node's system Python (3.9+), standard library only.
"""

import os

from ansible_collections.ascend_verl.cluster.plugins.module_utils.hardware import PCI_DEVICES, PCI_VENDOR

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
        if entry["vendor"] != PCI_VENDOR or entry["device"] not in PCI_DEVICES:
            continue
        chip, npu_device = PCI_DEVICES[entry["device"]]
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
