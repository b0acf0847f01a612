"""A fake /sys/bus/pci/devices tree for one node.

Bound over the node's sysfs, so `lspci` (pciutils' sysfs back end) and anything reading
vendor/device files see the NPUs the way a real server shows them before and after the
driver: `c1:00.0 Processing accelerators: Huawei Technologies Co., Ltd. Device d802 (rev 20)`.
A few ordinary host devices keep the listing honest (a count must filter on 19e5:d80x).
"""

import os
import struct

# (slot, vendor, device, class, revision, subsystem vendor, subsystem device)
_HOST_DEVICES = [
    ("0000:00:00.0", 0x19E5, 0xA120, 0x060400, 0x21, 0x0000, 0x0000),  # Kunpeng root port
    ("0000:7d:00.0", 0x19E5, 0xA222, 0x020000, 0x21, 0x19E5, 0x00A1),  # onboard 25GE NIC
    ("0000:74:02.0", 0x19E5, 0xA230, 0x010700, 0x30, 0x19E5, 0xA230),  # SAS controller
]


def _write_device(root, slot, vendor, device, cls, rev, svendor, sdevice):
    d = os.path.join(root, slot.lower())
    os.makedirs(d, exist_ok=True)
    cfg = bytearray(256)
    struct.pack_into("<HHHHB", cfg, 0, vendor, device, 0x0006, 0x0010, rev)
    cfg[9:12] = bytes([cls & 0xFF, (cls >> 8) & 0xFF, (cls >> 16) & 0xFF])
    struct.pack_into("<HH", cfg, 0x2C, svendor, sdevice)
    with open(os.path.join(d, "config"), "wb") as f:
        f.write(bytes(cfg))
    values = {
        "vendor": "0x%04x" % vendor, "device": "0x%04x" % device, "class": "0x%06x" % cls,
        "revision": "0x%02x" % rev, "subsystem_vendor": "0x%04x" % svendor,
        "subsystem_device": "0x%04x" % sdevice, "irq": "0", "numa_node": "0",
        "resource": "0x0000000000000000 0x0000000000000000 0x0000000000000000\n" * 12,
    }
    for name, value in values.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(value if value.endswith("\n") else value + "\n")


def write_tree(root, state):
    """Create <root>/<slot>/... for the host devices and every NPU die of `state`."""
    for dev in _HOST_DEVICES:
        _write_device(root, *dev)
    device_id = int(state["pci_device_id"], 16)
    subsystem = int(state["subsystem_device_id"], 16)
    for npu in state["devices"]:
        _write_device(root, npu["bus_id"], 0x19E5, device_id, 0x120000, 0x20, 0x19E5, subsystem)
