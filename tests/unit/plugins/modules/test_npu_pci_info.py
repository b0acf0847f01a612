"""The npu_pci_info module end to end: arguments in, exit_json out, check mode."""

import json

import pytest

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    from ansible_collections.ascend_verl.cluster.tests.unit.compat import patch_module_args
from ansible_collections.ascend_verl.cluster.plugins.modules import npu_pci_info


def run_module(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            npu_pci_info.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def test_reports_npus_and_changes_nothing(tmp_path, capsys):
    dev = tmp_path / "0000:9d:00.0"
    dev.mkdir()
    for name, value in (("vendor", "0x19e5"), ("device", "0xd803"), ("subsystem_device", "0x3001")):
        (dev / name).write_text(value + "\n")
    rc, out = run_module(capsys, {"sysfs_path": str(tmp_path), "_ansible_check_mode": True})
    assert rc == 0
    assert out["changed"] is False
    assert out["npu_pci"]["count"] == 1
    assert out["npu_pci"]["npu_device"] == "A3"


def test_rejects_unknown_option(capsys):
    rc, out = run_module(capsys, {"sysfs": "/x"})
    assert rc == 1
    assert "Unsupported parameters" in out["msg"]
