"""npu_health and npu_smi_info end to end with a recorded npu-smi (a script that prints a
reference sample or an error and exits as the real tool does)."""

import os

import pytest

from ansible_collections.ascend_verl.cluster.tests.unit.compat import run_module
from ansible_collections.ascend_verl.cluster.plugins.modules import npu_health, npu_smi_info

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures", "npu_smi")


@pytest.fixture
def npu_smi_tool(tmp_path):
    """A fake npu-smi that prints `text` and exits `rc`; returns its path."""
    def make(text, rc=0):
        out = tmp_path / "out.txt"
        out.write_text(text)
        tool = tmp_path / "npu-smi"
        tool.write_text("#!/bin/sh\ncat '%s'\nexit %d\n" % (out, rc))
        tool.chmod(0o755)
        return str(tool)
    return make


def sample(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def test_healthy_a3_node(npu_smi_tool, capsys):
    args = {"npu_smi_path": npu_smi_tool(sample("a3_info_25.3.rc1.txt")), "expected_count": 16,
            "require_no_processes": True, "_ansible_check_mode": True}
    rc, out = run_module(npu_health, capsys, args)
    assert rc == 0 and out["ok"] is True and out["failures"] == [] and out["changed"] is False
    assert out["npu_smi"]["product"] == "A3"


def test_unhealthy_and_busy_fail_with_every_failure(npu_smi_tool, capsys):
    text = sample("a2_info_25.2.0.txt").replace("| 3     910B3               | OK     ", "| 3     910B3               | Alarm  ")
    text = text.replace("| No running processes found in NPU 6                                                            |",
                        "| 6       0                 | 582939        |                          | 19502                   |")
    args = {"npu_smi_path": npu_smi_tool(text), "expected_count": 8, "require_no_processes": True}
    rc, out = run_module(npu_health, capsys, args)
    assert rc == 1 and out["ok"] is False
    assert [(f["device"], f["check"]) for f in out["failures"]] == [
        ("npu 3 chip 0 (phy 3)", "health"), ("npu 6 chip 0 (phy 6)", "processes")]
    assert out["msg"] == ("npu 3 chip 0 (phy 3): health is Alarm, expected OK; npu 6 chip 0 (phy 6): processes is "
                          "pid 582939 (19502 MB), expected no process")


def test_not_started_is_a_driver_failure_without_failing_the_task(npu_smi_tool, capsys):
    tool = npu_smi_tool("dcmi module initialize failed. ret is -8005\n", 1)
    rc, out = run_module(npu_health, capsys, {"npu_smi_path": tool, "fail_on_unhealthy": False})
    assert rc == 0 and out["ok"] is False and out["npu_smi"] is None
    assert out["failures"][0]["check"] == "driver" and "reboot" in out["failures"][0]["found"]


def test_info_fails_clearly_when_not_started_or_missing(npu_smi_tool, capsys, tmp_path):
    rc, out = run_module(npu_smi_info, capsys, {"npu_smi_path": npu_smi_tool("dcmi module initialize failed. ret is -8005\n", 1)})
    assert rc == 1 and "ret is -8005" in out["msg"] and "reboot" in out["msg"]
    rc, out = run_module(npu_smi_info, capsys, {"npu_smi_path": str(tmp_path / "nope")})
    assert rc == 1 and "driver is not installed" in out["msg"]


def test_info_returns_the_parse(npu_smi_tool, capsys):
    rc, out = run_module(npu_smi_info, capsys, {"npu_smi_path": npu_smi_tool(sample("a2_info_25.2.0.txt"))})
    assert rc == 0 and out["npu_smi"]["version"] == "25.2.0" and len(out["npu_smi"]["devices"]) == 8
