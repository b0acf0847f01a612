"""site.yml on one simulated Atlas 800T A3 node with the v0.8 line (HDK 25.5.0, CANN 8.5.0), its
RoCE ports unaddressed until the fabric stage gives them the inventory's two-subnet plan."""

import ipaddress
import time

import pytest

import stack
from conftest import HCCN_TOOL, env_versions, failures, planned_ports, playbook, ports_of, simkit, stack_args, task_results


V08 = stack.env_packages("v0.8")


@pytest.fixture(scope="module")
def a3():
    c = simkit.Cluster("itest-a3", "a3", 1, unaddressed=True).up()
    yield c
    c.down()


def test_a3_site_installs_the_v08_line_then_changes_nothing(a3, artifacts):
    args = stack_args(artifacts, "v0.8", "-e", "hdk_health_delay=1")
    rc, stats, out = playbook(a3.inventory, "site.yml", *args)
    assert rc == 0, failures(out)
    smi = a3.ssh("node1", "/usr/local/bin/npu-smi info").stdout
    assert "npu-smi " + stack.version("v0.8", "driver") in smi and smi.count("| OK ") == 16
    arch = a3.ssh("node1", "uname -m").stdout.strip()
    ops = a3.ssh("node1", "cat /usr/local/Ascend/cann-8.5.0/%s-linux/ascend_ops_install.info" % arch).stdout
    assert "package_name=Ascend-cann-A3-ops" in ops
    env = a3.ssh("node1", "bash -lc 'echo $ASCEND_RT_VISIBLE_DEVICES'").stdout.strip()
    assert env == ",".join(str(i) for i in range(16))
    assert env_versions(a3, "node1", V08) == V08
    # the a3 release zip (upstream's script takes it everywhere; the role takes it on A3 only)
    site = "/opt/miniforge3/envs/verl-sglang/lib/python3.11/site-packages"
    assert "(A3)" in a3.ssh("node1", "cat %s/deep_ep/deep_ep_cpp*.so" % site).stdout
    verified = task_results(out, "Verify | diagnose the cluster and write the reports")["localhost"]
    assert verified["ok"] and verified["summary"]["probes"] == 0     # one node: no peers to ping
    planned = planned_ports(a3, "node1")
    assert ports_of(a3, "node1", 16) == planned
    subnet = dict((d, ipaddress.IPv4Interface("%s/%s" % planned[d][:2]).network) for d in planned)
    assert all(subnet[2 * n] != subnet[2 * n + 1] for n in range(8))        # the dies of an NPU sit apart
    for die in (1, 15):          # die 0 of NPU 0 reaches the other plane through the gateway
        ping = a3.ssh("node1", "%s -i 0 -ping -g address %s" % (HCCN_TOOL, planned[die][0])).stdout
        assert "3 packets transmitted, 3 received, 0.00% packet loss" in ping
    start = time.monotonic()
    rc, stats, out = playbook(a3.inventory, "site.yml", *args)
    assert rc == 0 and stats["node1"]["changed"] == 0, stats
    print("second run on the A3 node: %.1f s" % (time.monotonic() - start))


def test_a3_tls_flip_and_a_bad_hccs_are_named_by_die(a3, tmp_path):
    a3.fault("node1", "tls", "9", "1")
    a3.fault("node1", "hccs-bad", "3")
    try:
        # Ray and its smoke job on this node were proven by site.yml above: the ports only here.
        rc, stats, out = playbook(a3.inventory, "playbooks/verify.yml", "-e", "verify_report_dir=%s" % tmp_path,
                                  "-e", "verify_ray=false")
    finally:
        a3.fault("node1", "tls", "9", "0")
        a3.fault("node1", "hccs-ok", "3")
    report = task_results(out, "Verify | diagnose the cluster and write the reports")["localhost"]
    failed = dict(((f["host"], f["device"], f["check"]), f["message"]) for f in report["failures"])
    assert rc != 0 and sorted(failed) == [("node1", 3, "hccs"), ("node1", 9, "tls")], failed
    assert "TLS switch 1 while 15 other ports have 0" in failed[("node1", 9, "tls")]
    assert "HCCS ping to the other die of its NPU (device 2" in failed[("node1", 3, "hccs")]


def test_a3_audit_matches_the_v08_manifest(a3, tmp_path):
    rc, stats, out = playbook(a3.inventory, "playbooks/audit.yml", "-e", "stack_name=v0.8",
                              "-e", "audit_report_dir=%s" % tmp_path, "-e", "audit_fail_on_drift=true")
    report = task_results(out, "Audit | compare the fleet and write the reports")["localhost"]
    assert rc == 0 and report["drift"] == [], report["lines"]
    row = report["rows"][0]["values"]
    assert (row["driver"], row["toolkit"], row["kernels"], row["nnal"]) == tuple(
        stack.version("v0.8", c) for c in ("driver", "toolkit", "kernels", "nnal"))


def test_a2_package_refused_on_a3_before_it_runs(a3, artifacts):
    rc, stats, out = playbook(a3.inventory, "playbooks/system.yml", *stack_args(artifacts, "v0.8"),
                              "-e", "ascend_npu_device=A2", "-e", "ascend_product='Atlas 900 A2 PODc'")
    assert rc != 0
    assert "refusing Ascend-hdk-910b-npu-driver_%s" % stack.version("v0.8", "driver") in failures(out)["node1"]


def test_driver_exit_2_reboots_the_node_then_waits_for_healthy_npus(a3, artifacts):
    """Only the driver runs (firmware is current) and its hot reset fails: exit 2 -> reboot."""
    a3.ssh("node1", "bash /usr/local/Ascend/driver/script/uninstall.sh")
    boots = a3.ssh("node1", "grep -c booted /opt/simcluster/hw/power.log").stdout.strip()
    a3.fault("node1", "installer-reboot", "driver")
    try:
        rc, stats, out = playbook(a3.inventory, "playbooks/system.yml",
                                  *stack_args(artifacts, "v0.8", "-e", "hdk_health_delay=1"))
    finally:
        a3.fault("node1", "installer-ok", "driver")
    assert rc == 0, failures(out)
    assert int(a3.ssh("node1", "grep -c booted /opt/simcluster/hw/power.log").stdout) == int(boots) + 1
    assert a3.ssh("node1", "/usr/local/bin/npu-smi info").stdout.count("| OK ") == 16
