"""site.yml end to end on a simulated two-node Atlas 900 A2 PODc."""

import tempfile

from conftest import playbook, task_results


def test_site_reaches_every_node_and_reports_it(a2_cluster):
    rc, stats, out = playbook(a2_cluster.inventory, "site.yml")
    assert rc == 0
    assert set(stats) == {"node1", "node2", "localhost"}
    assert all(s["failures"] == 0 and s["unreachable"] == 0 for s in stats.values())
    summary = task_results(out, "Facts | one line per node, unreachable ones included")
    lines = summary["localhost"]["msg"]
    assert set(lines) == {"node1", "node2"}
    assert all("8 NPU(s) on PCI (A2), driver none" in line for line in lines.values())


def test_site_changes_nothing_in_check_mode(a2_cluster):
    rc, stats, dummy = playbook(a2_cluster.inventory, "site.yml", "--check", "--diff")
    assert rc == 0
    assert all(s["changed"] == 0 for s in stats.values())


def test_collection_playbook_name_runs_too(a2_cluster):
    rc, stats, dummy = playbook(a2_cluster.inventory, "ascend_verl.cluster.site")
    assert rc == 0 and stats["node1"]["ok"] > 0


def test_unreachable_node_is_named_not_dropped(a2_cluster):
    a2_cluster.fault("node2", "node-down")
    try:
        # A fresh ControlPath dir: no master connection left by the tests before.
        rc, stats, out = playbook(a2_cluster.inventory, "site.yml", "-T", "3", extra_env={
            "ANSIBLE_SSH_CONTROL_PATH_DIR": tempfile.mkdtemp(prefix="itest-cp-")})
    finally:
        a2_cluster.fault("node2", "node-up")
    assert rc != 0
    assert stats["node2"]["unreachable"] == 1
    lines = task_results(out, "Facts | one line per node, unreachable ones included")["localhost"]["msg"]
    assert lines["node2"] == "no answer (unreachable or failed)"
    assert "NPU(s) on PCI" in lines["node1"]
