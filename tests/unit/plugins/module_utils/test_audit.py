"""The fleet audit: who drifted from the manifest or the majority, and nobody else."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import audit

MANIFEST = {"name": "seed", "components": {
    "driver": {"version": "25.3.rc1", "files": {"A2": "x.run"}}, "firmware": {"version": "7.8.0.1.211"},
    "toolkit": {"version": "8.3.RC1"}, "kernels": {"version": "8.3.RC1"}, "nnal": {"version": "8.3.RC1"},
    "python": {"version": "3.11"}}}
GOOD = {"os": "openEuler 22.03 (LTS-SP4)", "driver": "25.3.rc1", "firmware": "7.8.0.1.211", "toolkit": "8.3.RC1",
        "kernels": "8.3.RC1", "nnal": "8.3.RC1", "python": "3.11.13", "torch": "2.7.1", "triton": None}


def fleet(n=3, **edits):
    hosts = dict(("node%d" % i, {"versions": dict(GOOD)}) for i in range(1, n + 1))
    for key, value in edits.items():
        host, component = key.split("__")
        hosts[host]["versions"][component] = value
    return hosts


def blamed(result):
    return [(d["host"], d["component"], d["kind"]) for d in result["drift"]]


def test_identical_fleet_has_no_drift():
    result = audit.audit(fleet(), MANIFEST)
    assert result["drift"] == [] and result["summary"] == {"hosts": 3, "ok": 3, "drift": 0, "unreachable": 0,
                                                           "failed": 0}
    assert result["components"][:6] == ["driver", "firmware", "toolkit", "kernels", "nnal", "python"]


@pytest.mark.parametrize("edits, expected", [
    ({"node2__driver": "25.2.0"}, [("node2", "driver", "manifest")]),
    ({"node3__torch": "2.8.0"}, [("node3", "torch", "majority")]),
    ({"node1__triton": "3.2.0"}, [("node1", "triton", "manifest")]),
    ({"node2__python": "3.10.14"}, [("node2", "python", "manifest")]),
    ({"node2__python": "3.11.9"}, []),
    ({"node2__toolkit": "8.3.rc1"}, []),                     # case is not drift
    ({"node1__torch": None}, [("node1", "torch", "majority")]),   # absent where the fleet has it
])
def test_only_the_edited_node_and_component_are_blamed(edits, expected):
    assert blamed(audit.audit(fleet(**edits), MANIFEST)) == expected


def test_whole_fleet_off_the_manifest_is_all_blamed():
    result = audit.audit(fleet(node1__nnal="8.2.RC1", node2__nnal="8.2.RC1", node3__nnal="8.2.RC1"), MANIFEST)
    assert blamed(result) == [("node1", "nnal", "manifest"), ("node2", "nnal", "manifest"), ("node3", "nnal", "manifest")]
    assert result["majority"]["nnal"] == "8.2.RC1"


def test_no_majority_blames_nobody():
    assert blamed(audit.audit(fleet(2, node2__torch="2.8.0"), MANIFEST)) == []


def test_unreachable_and_failed_are_listed_and_sorted_naturally():
    hosts = fleet(2)
    hosts["node10"] = {"unreachable": True, "msg": "Failed to connect to the host via ssh"}
    hosts["node3"] = {"failed": True, "msg": "MODULE FAILURE"}
    result = audit.audit(hosts, MANIFEST)
    assert [r["host"] for r in result["rows"]] == ["node1", "node2", "node3", "node10"]
    assert [(u["host"], u["status"]) for u in result["not_audited"]] == [("node3", "failed"), ("node10", "unreachable")]
    assert result["summary"]["unreachable"] == 1 and result["summary"]["failed"] == 1


def test_reports_render_every_format():
    hosts = fleet(node2__driver="<script>alert(1)</script>")
    hosts["node4"] = {"unreachable": True, "msg": "timed out"}
    files = audit.render(audit.audit(hosts, MANIFEST), "seed", "audit-20261125T000000Z")
    assert set(files) == {"json", "csv", "html", "md", "junit.xml"}
    doc = json.loads(files["json"])
    assert doc["stack"] == "seed" and doc["drift"][0]["host"] == "node2"
    rows = list(csv.reader(io.StringIO(files["csv"])))
    assert rows[0][:3] == ["host", "status", "driver"] and rows[1][:3] == ["(manifest)", "", "25.3.rc1"]
    assert rows[3][:3] == ["node2", "drift", "<script>alert(1)</script>"] and rows[5][:2] == ["node4", "unreachable"]
    assert "<script>" not in files["html"] and "&lt;script&gt;" in files["html"]
    assert files["html"].count('class="drift"') == 1 and 'title="node2: driver' in files["html"]
    assert "| node2 | driver |" in files["md"] and "- node4: unreachable (timed out)" in files["md"]
    suite = ET.fromstring(files["junit.xml"]).find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("4", "2")


def test_describe():
    d = {"host": "node2", "component": "driver", "found": "25.2.0", "expected": "25.3.rc1", "majority": "25.3.rc1",
         "kind": "manifest"}
    assert audit.describe(d) == "node2: driver 25.2.0 (expected 25.3.rc1)"
    d.update(kind="majority", component="torch", found=None, expected=None, majority="2.7.1")
    assert audit.describe(d) == "node2: torch absent (fleet majority 2.7.1)"


def test_host_settings_are_judged_against_each_hosts_plan():
    hosts = fleet(3)
    for i, host in enumerate(sorted(hosts)):
        planned = "10.20.0.%d-10.20.0.%d/16" % (16 * (i + 1), 16 * (i + 1) + 7)
        hosts[host]["settings"] = {"roce": {"found": planned, "expected": planned},
                                   "swappiness": {"found": "60", "expected": None}}     # not managed: listed only
    hosts["node2"]["settings"]["roce"]["found"] = "10.20.0.32-10.20.0.38/16; 10.30.0.9/16"
    result = audit.audit(hosts, MANIFEST)
    assert blamed(result) == [("node2", "roce", "plan")]
    assert result["components"][-2:] == ["roce", "swappiness"] and result["settings"] == ["roce", "swappiness"]
    assert audit.describe(result["drift"][0]) == ("node2: roce 10.20.0.32-10.20.0.38/16; 10.30.0.9/16 "
                                                  "(planned 10.20.0.32-10.20.0.39/16)")
    pages = audit.render(result, "seed", "t")
    assert "this host's plan" in pages["md"] and "(per host)" in pages["csv"]


def test_without_the_python_stack_only_the_system_half_is_pinned():
    """ascend_install_method none: the env is the site's own, judged by the majority only."""
    hosts = fleet(node1__python="3.10.14", node2__python="3.10.14", node3__python="3.10.14", node1__triton="3.2.0")
    result = audit.audit(hosts, MANIFEST, install_method="none")
    assert result["pinned"] == ["driver", "firmware", "toolkit", "kernels", "nnal"]
    assert blamed(result) == [("node1", "triton", "majority")]
    assert blamed(audit.audit(fleet(node2__driver="25.2.0"), MANIFEST, install_method="none")) == [
        ("node2", "driver", "manifest")]
