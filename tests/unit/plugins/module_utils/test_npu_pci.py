"""npu_pci.scan/summarize against fake sysfs trees shaped like real Atlas servers."""

import os

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import npu_pci


def make_tree(root, devices):
    """devices: {slot: (vendor, device, subsystem_device)} -> files as sysfs has them."""
    for slot, (vendor, device, subsys) in devices.items():
        d = root / slot
        d.mkdir()
        for name, value in (("vendor", vendor), ("device", device), ("class", "0x120000"),
                            ("subsystem_vendor", "0x19e5"), ("subsystem_device", subsys),
                            ("revision", "0x20")):
            (d / name).write_text(value + "\n")
    return str(root)


A2_SLOTS = ["0000:c1:00.0", "0000:c2:00.0", "0000:81:00.0", "0000:82:00.0",
            "0000:01:00.0", "0000:02:00.0", "0000:41:00.0", "0000:42:00.0"]
HOST_NIC = {"0000:7d:00.0": ("0x19e5", "0xa222", "0x00a1")}  # Huawei, but not an NPU

CASES = [
    # (id, devices, count, npu_device, by_device_id)
    ("a2-eight", dict({s: ("0x19e5", "0xd802", "0x3003") for s in A2_SLOTS}, **HOST_NIC),
     8, "A2", {"0xd802": 8}),
    ("a3-sixteen-dies", {"0000:%02x:00.0" % b: ("0x19e5", "0xd803", "0x3001") for b in range(0x81, 0xA1, 2)},
     16, "A3", {"0xd803": 16}),
    ("no-npu", dict(HOST_NIC), 0, None, {}),
    ("mixed", {"0000:c1:00.0": ("0x19e5", "0xd802", "0x3003"),
               "0000:9d:00.0": ("0x19E5", "0xD803", "0x3001")}, 2, "mixed", {"0xd802": 1, "0xd803": 1}),
    ("310p-only", {"0000:01:00.0": ("0x19e5", "0xd500", "0x0100")}, 1, None, {"0xd500": 1}),
    ("other-vendor-d802", {"0000:01:00.0": ("0x10de", "0xd802", "0x0000")}, 0, None, {}),
]


@pytest.mark.parametrize("devices,count,npu_device,by_id", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_scan_and_summarize(tmp_path, devices, count, npu_device, by_id):
    summary = npu_pci.summarize(npu_pci.scan(make_tree(tmp_path, devices)))
    assert summary["count"] == count
    assert summary["npu_device"] == npu_device
    assert summary["by_device_id"] == by_id
    assert [d["slot"] for d in summary["devices"]] == sorted(d["slot"] for d in summary["devices"])


def test_entries_carry_chip_and_ids(tmp_path):
    root = make_tree(tmp_path, {"0000:c1:00.0": ("0x19e5", "0xd802", "0x3003")})
    assert npu_pci.scan(root) == [{
        "slot": "0000:c1:00.0", "device_id": "0xd802", "subsystem_device_id": "0x3003",
        "revision": "0x20", "chip": "910b", "npu_device": "A2"}]


def test_missing_sysfs_is_empty(tmp_path):
    assert npu_pci.scan(str(tmp_path / "absent")) == []


def test_unreadable_entry_is_skipped(tmp_path):
    root = make_tree(tmp_path, {"0000:c1:00.0": ("0x19e5", "0xd802", "0x3003")})
    os.remove(os.path.join(root, "0000:c1:00.0", "vendor"))
    assert npu_pci.scan(root) == []
