"""hccn_info, ascend_facts, verify_report and fleet_audit end to end as modules."""

import json
import os

import pytest

from ansible_collections.ascend_verl.cluster.tests.unit.compat import run_module
from ansible_collections.ascend_verl.cluster.plugins.modules import ascend_facts, fleet_audit, hccn_info, verify_report


@pytest.fixture
def hccn_tool(tmp_path):
    """A fake hccn_tool: answers per command, link DOWN on device 1, or -8005 everywhere."""
    def make(mode="ok"):
        tool = tmp_path / "hccn_tool"
        tool.write_text("""#!/bin/sh
[ "%s" = dcmi ] && { echo 'dcmi module initialize failed. ret is -8005'; exit 1; }
case "$3" in
  -ip) echo "ipaddr:10.0.0.1$2"; echo "netmask:255.255.255.0";;
  -link) [ "$2" = 1 ] && echo 'link status: DOWN' || echo 'link status: UP';;
  -net_health) echo 'net health status: Success';;
  -tls) echo "dev_id:$2, tls switch[0](0:disable, 1:enable), tls preconfigured[1](0:non-preset, 1:preset), tls alarm time threshold[60]days";;
  -netdetect) echo 'netdetect address: 10.0.0.254';;
  -gateway) echo "default gateway:10.0.0.254, Iface:eth$2";;
esac
""" % mode)
        tool.chmod(0o755)
        return str(tool)
    return make


def test_hccn_info_reads_each_device(hccn_tool, capsys):
    rc, out = run_module(hccn_info, capsys, {"hccn_tool_path": hccn_tool(), "devices": [0, 1], "_ansible_check_mode": True})
    assert rc == 0 and out["changed"] is False
    assert [(d["phy_id"], d["address"], d["link"], d["tls_switch"]) for d in out["hccn"]["devices"]] == [
        (0, "10.0.0.10", "UP", 0), (1, "10.0.0.11", "DOWN", 0)]


def test_hccn_info_not_started_and_missing(hccn_tool, tmp_path, capsys):
    rc, out = run_module(hccn_info, capsys, {"hccn_tool_path": hccn_tool("dcmi"), "devices": [0]})
    assert rc == 1 and "-8005: the device is not started" in out["msg"]
    rc, out = run_module(hccn_info, capsys, {"hccn_tool_path": str(tmp_path / "none"), "devices": [0]})
    assert rc == 1 and "the NPU driver is not installed" in out["msg"]


def test_ascend_facts_on_a_bare_tree(tmp_path, capsys):
    env_file = tmp_path / "npu.env"
    env_file.write_text("ASCEND_RT_VISIBLE_DEVICES=0,1\n")
    rc, out = run_module(ascend_facts, capsys, {
        "ascend_root": str(tmp_path / "Ascend"), "conda_prefix": str(tmp_path / "conda"), "env_file": str(env_file),
        "files": [str(env_file), str(tmp_path / "absent")], "login_shell": ["HOME"], "_ansible_check_mode": True})
    facts = out["ansible_facts"]["ascend"]
    assert rc == 0 and out["changed"] is False and facts["npu_smi"] is None
    assert facts["versions"]["driver"] is None and facts["versions"]["arch"] == os.uname().machine
    assert facts["hdk"] == {"driver": None, "firmware": None} and facts["conda"]["installed"] is False
    assert facts["env_file"]["values"] == {"ASCEND_RT_VISIBLE_DEVICES": "0,1"}
    assert facts["files"][str(env_file)]["exists"] and facts["files"][str(tmp_path / "absent")] == {"exists": False}
    assert facts["login_shell"]["HOME"] == os.environ.get("HOME", "/root")


def test_verify_report_writes_and_fails(tmp_path, capsys):
    hosts = {"node1": {"unreachable": False, "health": {"ok": True, "failures": [], "npu_smi": {"devices": []}},
                       "hccn": {"hccn": {"devices": []}}, "connectivity": {}, "env": {}},
             "node2": {"unreachable": True, "msg": "ssh: connect timed out"}}
    rc, out = run_module(verify_report, capsys, {"hosts": hosts, "report_dir": str(tmp_path), "report_name": "v"})
    assert rc == 1 and out["lines"] == ["node2: reachable: unreachable: ssh: connect timed out"]
    assert sorted(os.listdir(str(tmp_path))) == ["v.json", "v.junit.xml", "v.md"]
    assert json.load(open(str(tmp_path / "v.json")))["failures"][0]["host"] == "node2"


def test_fleet_audit_check_mode_writes_nothing_then_fails_on_drift(tmp_path, capsys):
    manifest = {"name": "seed", "components": {"driver": {"version": "25.3.rc1"}}}
    hosts = {"node1": {"versions": {"driver": "25.3.rc1"}}, "node2": {"versions": {"driver": "25.2.0"}}}
    args = {"hosts": hosts, "manifest": manifest, "report_dir": str(tmp_path), "fail_on_drift": True}
    rc, out = run_module(fleet_audit, capsys, dict(args, _ansible_check_mode=True))
    assert rc == 1 and out["msg"] == "fleet audit: node2: driver 25.2.0 (expected 25.3.rc1)"
    assert os.listdir(str(tmp_path)) == []
    rc, out = run_module(fleet_audit, capsys, dict(args, fail_on_drift=False, formats=["csv", "junit"]))
    assert rc == 0 and sorted(os.path.basename(f) for f in out["files"]) == ["audit.csv", "audit.junit.xml"]


def _ray_result(failing_slot=False):
    """The head's ray_cluster result (smoke job, fail_on_missing false) for two A2 nodes."""
    from ansible_collections.ascend_verl.cluster.plugins.module_utils import ray_cluster
    fixtures = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures", "ray")
    with open(os.path.join(fixtures, "probe_a2x2.json")) as f:
        answer = json.load(f)
    if failing_slot:
        slot = next(s for s in answer["smoke"]["slots"] if s["address"] == "198.18.0.12" and s["npu_ids"] == ["3"])
        slot.update(error="RuntimeError: call aclrtSetDevice failed, error code is 507033", device_count=None)
    expect = [{"name": "node1", "address": "198.18.0.11", "npus": 8}, {"name": "node2", "address": "198.18.0.12", "npus": 8}]
    keys = ["RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES", "ASCEND_RT_VISIBLE_DEVICES", "HCCL_SOCKET_IFNAME"]
    nodes = ray_cluster.judge_nodes(answer, expect)
    smoke = ray_cluster.judge_smoke(answer["smoke"], expect, keys)
    return dict(changed=False, nodes=answer["nodes"], by_name=nodes["by_name"], missing=nodes["missing"],
                wrong=nodes["wrong"], npu_total=nodes["npu_total"], expected_total=nodes["expected_total"],
                ray_version=answer["ray_version"], error=answer["error"], smoke=smoke, slots=answer["smoke"]["slots"],
                summary=ray_cluster.summary(nodes, smoke))


@pytest.mark.parametrize("failing, rc_, slots", [(False, 0, "16/16"), (True, 1, "15/16")])
def test_verify_report_has_the_ray_line(tmp_path, capsys, failing, rc_, slots):
    line = "Ray 2.46.0: 16/16 NPUs in the cluster; smoke job %s NPU slots passed." % slots
    healthy = {"unreachable": False, "health": {"ok": True, "failures": [], "npu_smi": {"devices": []}},
               "hccn": {"hccn": {"devices": []}}, "connectivity": {}, "env": {}}
    hosts = {"node1": dict(healthy, ray=_ray_result(failing)), "node2": dict(healthy, ray=None)}
    rc, out = run_module(verify_report, capsys, {"hosts": hosts, "report_dir": str(tmp_path), "report_name": "v",
                                                 "check_env": False})
    md = (tmp_path / "v.md").read_text().splitlines()
    assert rc == rc_ and md[4:6] == [line, ""]          # after the title and the counts
    assert (out["summary"]["ray_npus"], out["summary"]["ray_smoke_slots"]) == ("16/16", slots)
    assert json.load(open(str(tmp_path / "v.json")))["ray"]["nodes"]["node2"]["expected"] == 8
    if failing:
        assert out["lines"] == ["node2 device 3: ray_smoke: NPU 3: RuntimeError: call aclrtSetDevice failed, error code "
                                "is 507033"]
        assert "| node2 | 3 | ray_smoke | NPU 3: RuntimeError: call aclrtSetDevice failed" in "\n".join(md)
    hosts = {"node1": healthy, "node2": healthy}
    run_module(verify_report, capsys, {"hosts": hosts, "report_dir": str(tmp_path), "report_name": "none", "check_env": False})
    assert not [t for t in (tmp_path / "none.md").read_text().splitlines() if t.startswith("Ray ")]
