"""The npu_pci_info module end to end: arguments in, exit_json out, check mode."""

from ansible_collections.ascend_verl.cluster.tests.unit.compat import run_module
from ansible_collections.ascend_verl.cluster.plugins.modules import npu_pci_info


def test_reports_npus_and_changes_nothing(tmp_path, capsys):
    dev = tmp_path / "0000:9d:00.0"
    dev.mkdir()
    for name, value in (("vendor", "0x19e5"), ("device", "0xd803"), ("subsystem_device", "0x3001")):
        (dev / name).write_text(value + "\n")
    rc, out = run_module(npu_pci_info, capsys, {"sysfs_path": str(tmp_path), "_ansible_check_mode": True})
    assert rc == 0
    assert out["changed"] is False
    assert out["npu_pci"]["count"] == 1
    assert out["npu_pci"]["npu_device"] == "A3"


def test_rejects_unknown_option(capsys):
    rc, out = run_module(npu_pci_info, capsys, {"sysfs": "/x"})
    assert rc == 1
    assert "Unsupported parameters" in out["msg"]
