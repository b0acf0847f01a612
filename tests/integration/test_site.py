"""site.yml end to end on a simulated three-node Atlas 900 A2 PODc whose RoCE ports have no
address yet: check mode, install with a failing node, convergence (ports addressed from the
inventory's plan), idempotence, the upgrade safety gate, batched reboots (the addresses come
back), checksum and preflight faults.  The tests run in file order on one cluster."""

import os
import shutil
import tempfile
import time

import pytest

import stack
from conftest import failures, inventory_vars, planned_ports, playbook, ports_of, simkit, stack_args, task_results

NODES = ("node1", "node2", "node3")
SEED = [stack.version("seed", "driver"), stack.version("seed", "firmware")]
V08 = [stack.version("v0.8", "driver"), stack.version("v0.8", "firmware")]


@pytest.fixture(scope="module")
def cluster():
    c = simkit.Cluster("itest", "a2", 3, unaddressed=True).up()
    yield c
    c.down()


# What a login shell of the training user (root) and the node's kernel show of the baseline, one per line.
BASELINE_SEEN = ("runuser -l root -c 'ulimit -Sn; ulimit -Hn'; "
                 "sysctl -n kernel.numa_balancing vm.swappiness net.ipv4.ip_local_reserved_ports; "
                 "df -B1 --output=size /dev/shm | tail -1; awk '/MemTotal/ {printf \"%.0f\\n\", $2 * 1024}' /proc/meminfo; "
                 "pgrep -x chronyd >/dev/null && echo chronyd running")


def versions(cluster, node):
    out = cluster.ssh(node, "cat /usr/local/Ascend/driver/version.info /usr/local/Ascend/firmware/version.info "
                            "2>/dev/null | grep ^Version=", check=False).stdout.split()
    return [v.split("=", 1)[1] for v in out]


def power_log(cluster, node):
    path = "/run/simcluster/%s/nodes/%s/hw/power.log" % (cluster.name, node)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [(float(line.split()[0]), line.split(None, 1)[1].strip()) for line in f if line.strip()]


def test_check_mode_on_a_fresh_cluster_changes_nothing(cluster, artifacts):
    # One fresh node says it all (check mode does not depend on the node count) at a third of the cost.
    rc, dummy, out = playbook(cluster.inventory, "site.yml", "--check", "--diff", "--limit", "node1",
                              *stack_args(artifacts))
    assert rc == 0, failures(out)
    for node in NODES[:1]:
        left = cluster.ssh(node, "ls -d /usr/local/Ascend /var/cache/ascend_verl /etc/profile.d/ascend_verl.sh; "
                                 "id HwHiAiUser", check=False)
        assert "No such file" in left.stderr and left.stdout == "", left.stdout


def test_first_run_one_node_installer_fails_the_others_finish(cluster, artifacts):
    cluster.fault("node2", "installer-fail", "driver")
    try:
        rc, stats, out = playbook(cluster.inventory, "site.yml", *stack_args(artifacts))
    finally:
        cluster.fault("node2", "installer-ok", "driver")
    assert rc != 0
    msg = failures(out)["node2"]
    assert msg.startswith("node2: Ascend-hdk-910b-npu-driver_%s_linux-" % SEED[0])
    assert "exited 1: [Driver]" in msg and "[ERROR]ERR_NO:0x0001" in msg and "install log tail:" in msg
    assert stats["node1"]["failures"] == 0 and stats["node3"]["failures"] == 0
    for node in ("node1", "node3"):
        assert versions(cluster, node) == SEED
        assert cluster.ssh(node, "/usr/local/bin/npu-smi info").stdout.count("| OK ") == 8
    assert versions(cluster, "node2") == []


def test_rerun_converges_and_then_changes_nothing(cluster, artifacts):
    rc, stats, out = playbook(cluster.inventory, "site.yml", *stack_args(artifacts))
    assert rc == 0, failures(out)
    assert versions(cluster, "node2") == SEED
    start = time.monotonic()
    rc, stats, out = playbook(cluster.inventory, "site.yml", *stack_args(artifacts))
    assert rc == 0 and all(s["changed"] == 0 for s in stats.values()), stats
    print("second site.yml run on 3 nodes: %.1f s" % (time.monotonic() - start))
    env = cluster.ssh("node3", "bash -lc 'echo $ASCEND_RT_VISIBLE_DEVICES $HCCL_SOCKET_IFNAME $ASCEND_TOOLKIT_HOME'")
    assert env.stdout.split() == ["0,1,2,3,4,5,6,7", "enp189s0f0", "/usr/local/Ascend/ascend-toolkit/latest"]
    lines = task_results(out, "Facts | one line per node, unreachable ones included")["localhost"]["msg"]
    assert all("driver " + SEED[0] in line for line in lines.values())
    # Every port got its planned address, and verify's pings over them passed (rc 0 above).
    for node in NODES:
        assert ports_of(cluster, node, 8) == planned_ports(cluster, node), node
    verified = task_results(out, "Verify | diagnose the cluster and write the reports")["localhost"]
    assert verified["ok"] and verified["summary"]["probes"] == 24 and verified["summary"]["probes_failed"] == 0
    assert verified["summary"]["clock_spread_s"] < 1.0
    # The host baseline, as the training user's login shell and the kernel see it, on every node.
    nofile = str(min(65536, int(inventory_vars(cluster)["simcluster_nofile_max"])))
    for node in NODES:
        seen = cluster.ssh(node, BASELINE_SEEN).stdout.split("\n")
        assert seen[:5] == [nofile, nofile, "0", "10", "60000-60050"], (node, seen)
        assert abs(int(seen[5]) - int(seen[6]) // 2) < int(seen[6]) // 100, (node, seen)      # /dev/shm at 50% of RAM
        assert seen[7] == "chronyd running", (node, seen)


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
