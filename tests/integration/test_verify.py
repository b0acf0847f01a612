"""playbooks/verify.yml on the simulated three-node Atlas 900 A2 PODc test_site provisioned:
each injected fault is reported on the right host and device, and nothing else is blamed."""

import glob
import ipaddress
import json
import os
import xml.etree.ElementTree as ET

import pytest

import stack
from conftest import HCCN_TOOL, failures, planned_ports, playbook, ports_of, stack_args, task_results

REPORT_TASK = "Verify | diagnose the cluster and write the reports"


@pytest.fixture(scope="module")
def cluster(a2x3):
    """The cluster test_site converged (seed line, ports addressed from the plan; conftest runs
    that file first)."""
    return a2x3


def verify(cluster, tmp_path, *args, smoke=False):
    # The smoke job proves Ray on the NPUs (site.yml above ran it; test_python's cluster checks it in depth):
    # here it is one Python worker per NPU on every run of a file about the fabric, so only the first has it.
    rc, stats, out = playbook(cluster.inventory, "playbooks/verify.yml", "-e", "verify_report_dir=%s" % tmp_path,
                              "-e", "verify_ray_smoke=%s" % smoke, *args)
    report = task_results(out, REPORT_TASK)["localhost"]
    return rc, report


def blamed(report):
    return [(f["host"], f["device"], f["check"]) for f in report["failures"]]


def test_healthy_cluster_passes_and_writes_the_reports(cluster, tmp_path):
    rc, report = verify(cluster, tmp_path, smoke=True)
    assert rc == 0 and report["ok"] and report["failures"] == []
    # same_index on 3 nodes: 3 host pairs x 8 rails, each probed once.
    assert report["summary"]["probes"] == 24 and report["summary"]["probes_failed"] == 0
    assert report["matrix"]["node1"]["node2"] == [8, 8]
    json_file, = glob.glob(str(tmp_path / "verify-*.json"))
    with open(json_file) as f:
        doc = json.load(f)
    assert doc["failures"] == [] and doc["context"]["topology"] == "same_index"
    suite = ET.parse(json_file[:-len("json")] + "junit.xml").getroot()
    assert suite.find("testsuite").get("tests") == "3" and suite.find("testsuite").get("failures") == "0"
    assert "PASSED" in open(json_file[:-len("json")] + "md").read()


def test_full_mesh_probes_every_device_pair(cluster, tmp_path):
    rc, report = verify(cluster, tmp_path, "-e", "verify_topology=full_mesh")
    assert rc == 0 and report["summary"]["probes"] == 3 * 64, report["failures"]


FAULTS = [
    # (node, fault, args, undo args, what must be blamed)
    ("node2", "npu-health", ("5", "Alarm"), ("npu-health", "5", "OK"), [("node2", 5, "health")]),
    ("node3", "link-down", ("2",), ("link-up", "2"), [("node3", 2, "link")]),
    ("node2", "npu-busy", ("4", "python3", "2048"), ("npu-idle", "4"), [("node2", 4, "processes")]),
    ("node3", "dcmi-error", (), ("dcmi-ok",), [("node3", None, "driver"), ("node3", None, "hccn")]),
    ("node1", "tls", ("6", "1"), ("tls", "6", "0"), [("node1", 6, "tls")]),
    ("node1", "node-down", (), ("node-up",), [("node1", None, "reachable")]),
]


@pytest.mark.parametrize("node, fault, args, undo, expected", FAULTS, ids=[f[1] for f in FAULTS])
def test_fault_is_localised(cluster, tmp_path, node, fault, args, undo, expected):
    cluster.fault(node, fault, *args)
    try:
        rc, report = verify(cluster, tmp_path)
    finally:
        cluster.fault(node, *undo)
    assert rc != 0
    assert blamed(report) == expected, report["failures"]
    doc_file, = glob.glob(str(tmp_path / "verify-*.json"))
    with open(doc_file) as f:
        assert [(x["host"], x["device"], x["check"]) for x in json.load(f)["failures"]] == expected
    suite = ET.parse(doc_file[:-len("json")] + "junit.xml").getroot().find("testsuite")
    assert suite.get("failures") == "1"


def test_link_down_message_names_the_evidence(cluster, tmp_path):
    cluster.fault("node2", "link-down", "7")
    try:
        rc, report = verify(cluster, tmp_path)
    finally:
        cluster.fault("node2", "link-up", "7")
    assert report["failures"][0]["message"] == "link DOWN, net health Fault; no peer reaches it (0 of 2 probes)"
    assert report["matrix"]["node1"]["node2"] == [7, 8]


def test_check_mode_reports_without_failing(cluster, tmp_path):
    cluster.fault("node3", "npu-health", "1", "Critical")
    try:
        rc, report = verify(cluster, tmp_path, "--check")
    finally:
        cluster.fault("node3", "npu-health", "1", "OK")
    assert rc == 0 and blamed(report) == [("node3", 1, "health")]
    assert not os.listdir(str(tmp_path))


AUDIT_TASK = "Audit | compare the fleet and write the reports"


def audit(cluster, tmp_path, *args):
    rc, stats, out = playbook(cluster.inventory, "playbooks/audit.yml", "-e", "audit_report_dir=%s" % tmp_path, *args)
    return rc, task_results(out, AUDIT_TASK)["localhost"]


def test_audit_of_a_provisioned_fleet_matches_the_manifest(cluster, tmp_path):
    rc, report = audit(cluster, tmp_path, "-e", "audit_fail_on_drift=true")
    assert rc == 0 and report["drift"] == [] and report["summary"]["ok"] == 3
    row = report["rows"][0]["values"]
    assert (row["driver"], row["firmware"], row["toolkit"], row["kernels"], row["nnal"], row["triton"]) == tuple(
        stack.version("seed", c) for c in ("driver", "firmware", "toolkit", "kernels", "nnal")) + (None,)
    assert sorted(f.rsplit(".", 1)[-1] for f in os.listdir(str(tmp_path))) == ["csv", "html", "json", "md", "xml"]


def test_audit_names_the_node_whose_driver_was_edited(cluster, tmp_path):
    info = "/usr/local/Ascend/driver/version.info"
    cluster.ssh("node2", "cp %s /root/version.info.bak && sed -i 's/^Version=.*/Version=25.2.0/' %s" % (info, info))
    try:
        rc, report = audit(cluster, tmp_path, "-e", "audit_fail_on_drift=true")
    finally:
        cluster.ssh("node2", "mv /root/version.info.bak " + info)
    assert rc != 0
    assert set(d["host"] for d in report["drift"]) == {"node2"}
    assert report["lines"][0] == "node2: driver 25.2.0 (expected %s)" % stack.version("seed", "driver")
    html, = glob.glob(str(tmp_path / "audit-*.html"))
    text = open(html).read()
    assert text.count('class="drift"') == len(report["drift"]) and 'title="node2: driver 25.2.0' in text


def test_audit_lists_an_unreachable_host(cluster, tmp_path):
    cluster.fault("node3", "node-down")
    try:
        rc, report = audit(cluster, tmp_path)
    finally:
        cluster.fault("node3", "node-up")
    assert rc == 0 and report["drift"] == []        # audit_fail_on_drift is off by default
    assert [(u["host"], u["status"]) for u in report["not_audited"]] == [("node3", "unreachable")]
    md, = glob.glob(str(tmp_path / "audit-*.md"))
    assert "- node3: unreachable" in open(md).read()


def restyled(version):
    """The same version as a user might write it: other letter case, '-post' for '.post'."""
    return version.swapcase().replace(".POST", "-post").replace(".post", "-post")


def test_override_in_another_letter_case_converges_and_audits_clean(cluster, artifacts, tmp_path):
    """install and audit share one comparator: 25.3.RC1 is the node's 25.3.rc1."""
    overrides = {"components": dict((c, {"version": restyled(stack.version("seed", c))})
                                    for c in ("driver", "toolkit", "kernels", "nnal", "torch_npu", "sglang"))}
    assert overrides["components"]["driver"]["version"] != stack.version("seed", "driver")
    extra = ("-e", json.dumps({"stack_overrides": overrides}))
    # One node shows whether the install roles plan a reinstall; the audit reads all three.
    rc, stats, out = playbook(cluster.inventory, "site.yml", "--limit", "node1", *stack_args(artifacts), *extra)
    assert rc == 0 and stats["node1"]["changed"] == 0, stats
    rc, report = audit(cluster, tmp_path, "-e", "audit_fail_on_drift=true", *extra)
    assert rc == 0 and report["drift"] == [], report["lines"]


def test_a_port_readdressed_by_hand_is_named_then_put_back(cluster, artifacts, tmp_path):
    """Someone runs hccn_tool -ip -s on one port: verify and the audit name it against the plan,
    and the next run of the fabric stage puts it back (on that port only)."""
    planned = planned_ports(cluster, "node2")
    address, netmask, dummy = planned[3]
    moved = str(ipaddress.IPv4Address(address) + 100)           # same subnet: the pings still pass
    cluster.ssh("node2", "%s -i 3 -ip -s address %s netmask %s" % (HCCN_TOOL, moved, netmask))
    rc, report = verify(cluster, tmp_path)
    assert rc != 0 and blamed(report) == [("node2", 3, "fabric_plan")], report["failures"]
    assert report["failures"][0]["message"] == ("differs from the address plan: device 3: address %s/%s, planned %s/%s"
                                                % (moved, netmask, address, netmask))
    rc, audited = audit(cluster, tmp_path)
    assert [(d["host"], d["component"], d["kind"]) for d in audited["drift"]] == [("node2", "roce", "plan")]
    rc, stats, out = playbook(cluster.inventory, "playbooks/fabric.yml", "--limit", "node2")
    assert rc == 0, failures(out)
    fixed = task_results(out, "Fabric | set the port (hccn_tool -ip, -gateway, -netdetect)")["node2"]
    assert [r["item"]["argv"][:4] for r in fixed["results"]] == [["-i", "3", "-ip", "-s"]]
    assert ports_of(cluster, "node2", 8) == planned
