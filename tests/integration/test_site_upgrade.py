"""The three-node A2 cluster test_site converged (seed line) and test_verify faulted, taken on:
the upgrade safety gate, the upgrade to v0.8 with batched reboots (the addresses come back),
reboots disallowed, a corrupt package, preflight faults, the collection's playbook name and an
unreachable node.  The tests run in file order."""

import os
import shutil
import tempfile

import pytest

import stack
from conftest import failures, planned_ports, playbook, ports_of, simkit, stack_args, task_results, versions

NODES = ("node1", "node2", "node3")
SEED = [stack.version("seed", "driver"), stack.version("seed", "firmware")]
V08 = [stack.version("v0.8", "driver"), stack.version("v0.8", "firmware")]


@pytest.fixture(scope="module")
def cluster(a2x3):
    return a2x3


def power_log(cluster, node):
    path = "/run/simcluster/%s/nodes/%s/hw/power.log" % (cluster.name, node)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [(float(line.split()[0]), line.split(None, 1)[1].strip()) for line in f if line.strip()]


@pytest.mark.parametrize("fault, args, expected", [
    ("npu-busy", ("3", "python", "2048"), "processes"),
    ("npu-health", ("2", "Critical"), "Critical"),
])
def test_busy_or_unhealthy_npu_blocks_the_upgrade(cluster, artifacts, fault, args, expected):
    cluster.fault("node1", fault, *args)
    try:
        rc, stats, out = playbook(cluster.inventory, "site.yml", "--limit", "node1", *stack_args(artifacts, "v0.8"))
    finally:
        cluster.fault("node1", "npu-idle", "3") if fault == "npu-busy" else cluster.fault("node1", "npu-health", "2", "OK")
    assert rc != 0
    msg = failures(out)["node1"]
    assert msg.startswith("node1: not upgrading driver %s -> %s:" % (SEED[0], V08[0])) and expected in msg
    assert "hdk_force" in msg
    assert versions(cluster, "node1") == SEED


def test_upgrade_reboots_in_batches_never_the_whole_cluster(cluster, artifacts):
    before = {n: len(power_log(cluster, n)) for n in NODES}
    rc, stats, out = playbook(cluster.inventory, "site.yml", "-e", "hdk_reboot_batch=5", "-e", "hdk_health_delay=1",
                              *stack_args(artifacts, "v0.8"))
    assert rc == 0, failures(out)
    windows = []
    for node in NODES:
        log = power_log(cluster, node)[before[node]:]
        assert [e for dummy, e in log] == ["reboot requested", "booted"], (node, log)
        windows.append((log[0][0], log[1][0]))
        assert versions(cluster, node) == V08
        assert ports_of(cluster, node, 8) == planned_ports(cluster, node), node     # back from /etc/hccn.conf
    # batch 5 is capped at nodes - 1 = 2: some moment has at most two nodes down.
    down_together = max(sum(1 for s, e in windows if s <= t < e) for t, dummy in windows)
    assert down_together <= 2
    assert max(s for s, dummy in windows) >= min(e for dummy, e in windows)   # a third batch waited


def test_reboot_disallowed_reports_the_nodes_that_need_one(cluster, artifacts):
    rc, stats, out = playbook(cluster.inventory, "site.yml", "--limit", "node3", "-e", "hdk_reboot_allowed=false",
                              *stack_args(artifacts))
    assert rc == 0, failures(out)
    report = task_results(out, "HDK | nodes that still need a reboot (hdk_reboot_allowed is false)")
    assert "WARNING node3 needs a reboot" in report["node3"]["msg"]
    assert "ret is -8005" in cluster.ssh("node3", "/usr/local/bin/npu-smi info", check=False).stdout
    rc, stats, out = playbook(cluster.inventory, "site.yml", "--limit", "node3", "-e", "hdk_health_delay=1",
                              *stack_args(artifacts))
    assert rc == 0, failures(out)
    assert cluster.ssh("node3", "/usr/local/bin/npu-smi info").returncode == 0


def test_checksum_mismatch_blocks_execution(cluster, artifacts):
    bad = tempfile.mkdtemp(prefix="itest-bad-")
    try:
        for name in os.listdir(artifacts["seed"]):
            shutil.copy(os.path.join(artifacts["seed"], name), bad)
        driver = simkit.run_file(bad, "driver")
        with open(driver, "r+b") as f:
            f.seek(-64, os.SEEK_END)
            f.write(b"\0" * 64)
        # No driver, and no good copy in the node's cache: the corrupt file is what arrives.
        cluster.ssh("node2", "bash /usr/local/Ascend/driver/script/uninstall.sh && "
                             "rm -f /var/cache/ascend_verl/artifacts/" + os.path.basename(driver))
        rc, stats, out = playbook(cluster.inventory, "site.yml", "--limit", "node2", "-e", "stack_name=seed",
                                  "-e", "artifact_source_path=" + bad)
    finally:
        shutil.rmtree(bad)
    assert rc != 0
    msg = failures(out)["node2"]
    assert "has sha256" in msg and "but SHA256SUMS says" in msg and "nothing was executed" in msg
    assert versions(cluster, "node2") == V08[1:]         # firmware left, no driver ran
    cached = cluster.ssh("node2", "ls /var/cache/ascend_verl/artifacts").stdout
    assert os.path.basename(driver) not in cached
    rc, stats, out = playbook(cluster.inventory, "site.yml", "--limit", "node2", "-e", "hdk_health_delay=1",
                              *stack_args(artifacts, "v0.8"))
    assert rc == 0, failures(out)
    assert versions(cluster, "node2") == V08


def test_disk_full_fails_in_preflight(cluster, artifacts):
    cluster.fault("node2", "disk-full")
    try:
        rc, stats, out = playbook(cluster.inventory, "playbooks/preflight.yml", *stack_args(artifacts))
    finally:
        cluster.fault("node2", "disk-ok")
    assert rc != 0 and set(failures(out)) == {"node2"}
    assert "/usr/local has 0 MB free, expected >= 8192 MB" in failures(out)["node2"]


def test_wrong_npu_count_fails_in_preflight(cluster, artifacts):
    rc, stats, out = playbook(cluster.inventory, "playbooks/preflight.yml", "-e", "ascend_product='Atlas 200T A2 Box16'",
                              *stack_args(artifacts))
    assert rc != 0
    assert "8 NPU(s) on the PCI bus, expected 16 for Atlas 200T A2 Box16" in failures(out)["node1"]


def test_collection_playbook_name_runs_too(cluster, artifacts):
    rc, stats, dummy = playbook(cluster.inventory, "ascend_verl.cluster.site", "--limit", "node1",
                                *stack_args(artifacts, "v0.8"))
    assert rc == 0 and all(s["changed"] == 0 for s in stats.values())


def test_unreachable_node_is_named_not_dropped(cluster, artifacts):
    cluster.fault("node2", "node-down")
    try:
        # A fresh ControlPath dir: no master connection left by the tests before.
        fresh = {"ANSIBLE_SSH_CONTROL_PATH_DIR": tempfile.mkdtemp(prefix="itest-cp-")}
        rc, stats, out = playbook(cluster.inventory, "site.yml", "-T", "3", "--limit", "node1,node2,localhost",
                                  *stack_args(artifacts, "v0.8"), extra_env=fresh)
    finally:
        cluster.fault("node2", "node-up")
    assert rc != 0
    assert stats["node2"]["unreachable"] == 1
    lines = task_results(out, "Facts | one line per node, unreachable ones included")["localhost"]["msg"]
    assert lines["node2"] == "no answer (unreachable or failed)"
    assert "NPU(s) on PCI" in lines["node1"]
