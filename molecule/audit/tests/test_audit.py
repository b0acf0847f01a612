"""The audit of a node that has only the HDK (role hdk): the report (converge wrote one per run
into the scenario's ephemeral directory) lists the node with the driver and firmware it has,
those as the manifest pins them, and every other pinned component as absent, each a drift
against the manifest, in every format; the two runs' reports agree on the versions and the drift."""

import glob
import json
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests"))
import stack  # noqa: E402  (the manifests the versions come from)

REPORTS = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "reports")
SEED = stack.manifest("seed")["components"]
HDK = ("driver", "firmware")
ABSENT = sorted(c for c in SEED if c not in HDK and "version" in SEED[c])


def reports():
    """The JSON reports, oldest first."""
    paths = sorted(glob.glob(os.path.join(REPORTS, "audit-*.json")))
    assert paths, "no audit report in %s" % REPORTS
    docs = []
    for path in paths:
        with open(path) as f:
            docs.append(json.load(f))
    return paths, docs


def latest():
    paths, docs = reports()
    return paths[-1], docs[-1]


def pinned_values(doc):
    return dict((c, doc["rows"][0]["values"][c]) for c in doc["pinned"])


def test_the_node_is_listed_with_the_hdk_it_has(host):
    dummy, doc = latest()
    assert doc["stack"] == "seed"
    assert doc["summary"] == {"hosts": 1, "ok": 0, "drift": 1, "unreachable": 0, "failed": 0}
    row, = doc["rows"]
    assert row["host"] == host.backend.get_hostname() == "node1" and row["status"] == "drift"
    on_node = host.check_output("sed -n 's/^Version=//p' /usr/local/Ascend/driver/version.info")
    assert row["values"]["driver"] == row["values"]["npu_smi"] == on_node == stack.version("seed", "driver")
    assert row["values"]["firmware"] == stack.version("seed", "firmware")
    assert row["values"]["arch"] == host.check_output("uname -m")


def test_the_hdk_matches_and_the_rest_of_the_stack_is_absent_drift(host):
    dummy, doc = latest()
    manifest_drift = dict((d["component"], d) for d in doc["drift"] if d["kind"] == "manifest")
    assert sorted(manifest_drift) == ABSENT
    for c, d in manifest_drift.items():
        assert d["host"] == "node1" and d["found"] is None and d["expected"] == str(SEED[c]["version"]), d
        assert doc["rows"][0]["values"][c] is None
    assert not set(HDK) & set(d["component"] for d in doc["drift"])
    # triton must be absent, and is: no drift
    assert doc["expected"]["triton"] is None and doc["rows"][0]["values"]["triton"] is None
    assert "triton" not in manifest_drift


def test_the_host_settings_are_judged_against_the_plan(host):
    dummy, doc = latest()
    plan_drift = dict((d["component"], d) for d in doc["drift"] if d["kind"] == "plan")
    assert set(plan_drift) <= set(doc["settings"])
    # The simulator addressed the RoCE ports as the inventory's plan says; no Ray service is installed.
    assert "roce" in doc["settings"] and "roce" not in plan_drift
    assert plan_drift["ray_service"]["found"].startswith("stopped")


def test_every_format_says_the_same(host):
    path, doc = latest()
    base = path[:-len("json")]
    assert sorted(os.path.basename(p)[len(os.path.basename(base)):] for p in glob.glob(base + "*")) == [
        "csv", "html", "json", "junit.xml", "md"]
    with open(base + "md") as f:
        md = f.read()
    assert "stack seed: 1 hosts, 0 match, 1 drifted, 0 unreachable, 0 failed" in md
    assert "| node1 | toolkit | absent | %s |" % SEED["toolkit"]["version"] in md
    suite = ET.parse(base + "junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("1", "1")
    failure = suite.find("testcase").find("failure").text.splitlines()
    assert len(failure) == len(doc["drift"]) and "node1: toolkit absent (expected %s)" % SEED["toolkit"]["version"] in failure
    with open(base + "html") as f:
        assert f.read().count('class="drift"') == len(doc["drift"])


def test_every_run_reported_the_same(host):
    dummy, docs = reports()
    assert len(docs) >= 2      # converge and idempotence
    for doc in docs:
        assert doc["drift"] == docs[-1]["drift"] and pinned_values(doc) == pinned_values(docs[-1])
