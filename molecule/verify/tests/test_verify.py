"""verify's report on two healthy nodes (converge wrote one per run into the scenario's
ephemeral directory, and the play fails on a failed check): passed, nothing blamed, every rail
of the one host pair probed once and answered, in every format."""

import glob
import json
import os
import xml.etree.ElementTree as ET

REPORTS = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "reports")
NODES = ["node1", "node2"]


def reports():
    """The JSON reports, oldest first: [(path, doc)]."""
    out = []
    for path in sorted(glob.glob(os.path.join(REPORTS, "verify-*.json"))):
        with open(path) as f:
            out.append((path, json.load(f)))
    assert out, "no verify report in %s" % REPORTS
    return out


def test_the_report_passed_naming_no_failure(host):
    dummy, doc = reports()[-1]
    assert doc["ok"] is True and doc["failures"] == [] and doc["bad_hosts"] == []
    summary = doc["summary"]
    assert (summary["hosts"], summary["unreachable"], summary["failed_hosts"], summary["failures"]) == (2, 0, 0, 0)
    assert summary["clock_spread_s"] is not None and summary["clock_spread_s"] < 1.0
    assert summary["ray_npus"] is None and doc["ray"] is None        # verify_ray: false
    assert doc["context"]["topology"] == "same_index"


def test_same_index_probes_every_rail_of_the_host_pair_once(host):
    dummy, doc = reports()[-1]
    # two hosts, one pair, eight rails (device i to device i), each probed by the node that owns the pair
    assert doc["summary"]["probes"] == 8 and doc["summary"]["probes_failed"] == 0
    assert doc["matrix"]["node1"]["node2"] == [8, 8]


def test_every_format_says_passed(host):
    path, doc = reports()[-1]
    base = path[:-len("json")]
    with open(base + "md") as f:
        assert f.readline().strip() == "# Cluster verification: PASSED"
    suite = ET.parse(base + "junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("2", "0")
    assert sorted(c.get("name") for c in suite.findall("testcase")) == NODES


def test_every_run_passed(host):
    docs = reports()
    assert len(docs) >= 2      # converge and idempotence
    assert all(doc["ok"] and doc["summary"]["probes"] == 8 for dummy, doc in docs)


def test_the_env_file_it_checked_is_on_the_node(host):
    env = host.file("/etc/ascend_verl/npu.env")
    assert env.is_file and env.contains("^ASCEND_RT_VISIBLE_DEVICES=0,1,2,3,4,5,6,7$")
