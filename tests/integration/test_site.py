"""site.yml end to end on a simulated three-node Atlas 900 A2 PODc whose RoCE ports have no
address yet: check mode, install with a failing node, convergence (ports addressed from the
inventory's plan) and idempotence.  The cluster (conftest's a2x3) then goes on to test_verify
(faults on the converged cluster) and test_site_upgrade (the upgrade, reboots, more faults)."""

import time

import pytest

import stack
from conftest import failures, inventory_vars, planned_ports, playbook, ports_of, stack_args, task_results, versions

NODES = ("node1", "node2", "node3")
SEED = [stack.version("seed", "driver"), stack.version("seed", "firmware")]


@pytest.fixture(scope="module")
def cluster(a2x3):
    return a2x3


# What a login shell of the training user (root) and the node's kernel show of the baseline, one per line.
BASELINE_SEEN = ("runuser -l root -c 'ulimit -Sn; ulimit -Hn'; "
                 "sysctl -n kernel.numa_balancing vm.swappiness net.ipv4.ip_local_reserved_ports; "
                 "df -B1 --output=size /dev/shm | tail -1; awk '/MemTotal/ {printf \"%.0f\\n\", $2 * 1024}' /proc/meminfo; "
                 "pgrep -x chronyd >/dev/null && echo chronyd running")


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
