"""site.yml end to end on a simulated three-node Atlas 900 A2 PODc whose RoCE ports have no
address yet, then the converged cluster taken through its faults, in file order on one cluster
(provisioning it is the costly part).  The inventory says ascend_install_method: none, as a site
with its own Python env would: this file is about the system half, the fabric, verify, the audit
and upgrades; the Python env, Ray and the recipes are test_python's (seed line, two nodes) and
test_a3's (v0.8 line):
1. install: check mode, a first run with a failing node, convergence (ports addressed from the
   inventory's plan) and idempotence;
2. verify and audit: each injected fault reported on the right host and device, nothing else
   blamed; the audit's drift; the diagnostics bundle (collect.yml) with a node down and one
   half-provisioned; a port readdressed by hand, named and put back;
3. upgrade: the safety gate, the upgrade to v0.8 with batched reboots (the addresses come back),
   reboots disallowed, a corrupt package, preflight faults, the collection's playbook name and an
   unreachable node."""

import base64
import glob
import ipaddress
import json
import os
import shutil
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET

import pytest

import stack
from conftest import (HCCN_TOOL, failures, inventory_vars, planned_ports, playbook, ports_of, simkit, stack_args,
                      task_results, versions)

NODES = ("node1", "node2", "node3")
SEED = [stack.version("seed", "driver"), stack.version("seed", "firmware")]
V08 = [stack.version("v0.8", "driver"), stack.version("v0.8", "firmware")]
REPORT_TASK = "Verify | diagnose the cluster and write the reports"


@pytest.fixture(scope="module")
def cluster():
    c = simkit.Cluster("itest", "a2", 3, unaddressed=True, inventory_vars={"ascend_install_method": "none"}).up()
    yield c
    c.down()


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


# 2. verify and audit on the converged cluster (seed line).
# The collective benchmark (hccl_test) runs where a test is about it; site.yml above ran it too.
def verify(cluster, tmp_path, *args, hccl=False):
    rc, stats, out = playbook(cluster.inventory, "playbooks/verify.yml", "-e", "verify_report_dir=%s" % tmp_path,
                              "-e", "verify_hccl=%s" % hccl, *args)
    report = task_results(out, REPORT_TASK)["localhost"]
    return rc, report


def blamed(report):
    return [(f["host"], f["device"], f["check"]) for f in report["failures"]]


HEALTHY = {}      # the healthy run's hccl_test figures, for the floor of the degraded run below


def test_healthy_cluster_passes_and_writes_the_reports(cluster, tmp_path):
    rc, report = verify(cluster, tmp_path, "-e", "verify_require_lldp=true", hccl=True)
    assert rc == 0 and report["ok"] and report["failures"] == [] and report["ray"] is None
    # hccl_test inside each node, then across the three; the first healthy run is the baseline
    hccl = report["hccl"]
    assert sorted(hccl["intra_gbps"]) == list(NODES) and hccl["cluster_nodes"] == 3 and hccl["runs"] == 1
    assert all(g > 0 for g in hccl["intra_gbps"].values()) and hccl["cluster_gbps"] > 0
    with open(str(tmp_path / "hccl-baseline-atlas-900-a2-podc.json")) as f:
        assert json.load(f)["cluster_gbps"] == {"3": hccl["cluster_gbps"]}
    HEALTHY.update(hccl)
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


# Ports that stay up but degrade: one verify run with the three faults on three nodes names each
# (host, device, check) and nothing else.
DEGRADED = [("node2", ("port-slow", "3"), ("port-fast", "3"), ("node2", 3, "speed"), "expected 200000 Mb/s"),
            ("node1", ("optical-fail", "5"), ("optical-ok", "5"), ("node1", 5, "optical"), ""),
            ("node3", ("errors-grow", "6"), ("errors-stop", "6"), ("node3", 6, "errors"), "roce_qp_status_err_num")]


def test_degraded_ports_are_named_by_host_device_and_check(cluster, tmp_path):
    """...and the collective benchmark, below a floor of half the healthy run (a 25G port in a
    200G fabric takes it to about a quarter), bisects to the node with the slow port (node2):
    alone each node is good (HCCS), node1 with node3 is good, every run across node2 is slow."""
    for node, fault, dummy, dummy2, dummy3 in DEGRADED:
        cluster.fault(node, *fault)
    try:
        rc, report = verify(cluster, tmp_path, "-e", "verify_hccl_floor_gbps=%.3f" % (0.5 * HEALTHY["cluster_gbps"]),
                            hccl=True)
    finally:
        for node, dummy, undo, dummy2, dummy3 in DEGRADED:
            cluster.fault(node, *undo)
    hccl = [f for f in report["failures"] if f["check"] == "hccl"]
    assert [f["host"] for f in hccl] == ["node2"], report["failures"]
    assert "slow or failing: node2" in hccl[0]["message"] and report["hccl"]["runs"] > 1
    report["failures"] = [f for f in report["failures"] if f["check"] != "hccl"]
    assert rc != 0 and sorted(blamed(report)) == sorted(d[3] for d in DEGRADED), report["failures"]
    for node, dummy, dummy2, (host, device, check), words in DEGRADED:
        message = next(f["message"] for f in report["failures"] if (f["host"], f["device"]) == (host, device))
        assert words in message, message


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


def test_collect_bundles_a_node_down_and_a_half_provisioned_one_with_no_secret(cluster, tmp_path):
    """playbooks/collect.yml with node3 down and node2 without its driver (moved aside, put back after):
    reports/diag-<time>/ holds node1 and node2's bundles and one index listing all three; the mirror password
    the controller knows, planted in node1's installer log in three forms, is in no file of the run."""
    secret = "S3cr3t-Diag-X"
    basic = base64.b64encode(("deploy:%s" % secret).encode()).decode()
    log = "/var/log/ascend_seclog/ascend_install.log"
    cluster.ssh("node1", "cp %s /root/install.log.bak && printf '%%s\\n' 'fetched http://deploy:%s@mirror/x.run' "
                         "'Authorization: Basic %s' 'retry with %s' >> %s" % (log, secret, basic, secret, log))
    cluster.ssh("node2", "mv /usr/local/Ascend/driver /root/driver.bak && mv /usr/local/bin/npu-smi /root/npu-smi.bak")
    cluster.fault("node3", "node-down")
    try:
        rc, stats, out = playbook(cluster.inventory, "playbooks/collect.yml", "-e", "collect_report_dir=%s" % tmp_path,
                                  "-e", "artifact_source_username=deploy", "-e", "artifact_source_password=" + secret)
    finally:
        cluster.fault("node3", "node-up")
        cluster.ssh("node2", "mv /root/driver.bak /usr/local/Ascend/driver && mv /root/npu-smi.bak /usr/local/bin/npu-smi")
        cluster.ssh("node1", "mv /root/install.log.bak " + log)
    assert rc == 0 and not failures(out), failures(out)
    assert all(stats[h]["changed"] == 0 for h in ("node1", "node2")), stats
    run, = glob.glob(str(tmp_path / "diag-*"))
    assert sorted(os.listdir(run)) == ["index.html", "index.json", "index.md", "node1.tar.gz", "node2.tar.gz"]
    index = json.load(open(os.path.join(run, "index.json")))
    rows = dict((r["host"], r) for r in index["rows"])
    assert [(h, rows[h]["status"]) for h in sorted(rows)] == [("node1", "collected"), ("node2", "partial"),
                                                              ("node3", "unreachable")]
    assert rows["node2"]["reason"].startswith("missing: no NPU driver installed (half-provisioned)")
    assert rows["node1"]["redactions"] >= 3
    assert not set(rows["node1"]["missing"]) & {"driver", "firmware", "cann", "env", "fabric"}, rows["node1"]
    md = open(os.path.join(run, "index.md")).read()
    assert "| node3 | unreachable |" in md and "Redaction:" in md
    with tarfile.open(os.path.join(run, "node1.tar.gz")) as tar:
        files = dict((m.name, tar.extractfile(m).read()) for m in tar.getmembers())
    for wanted in ("manifest.json", "npu-smi/info.txt", "npu-smi/board-npu7.txt", "hccn/dev7.txt", "files/etc/hccn.conf",
                   "files/usr/local/Ascend/driver/version.info", "files/etc/ascend_verl/npu.env", "system/dmesg-tail.txt"):
        assert "node1/" + wanted in files, wanted
    assert files["node1/logs" + log].decode().endswith(
        "fetched http://deploy:***@mirror/x.run\nAuthorization: Basic ***\nretry with ***\n")
    for path in glob.glob(os.path.join(run, "*")):
        with open(path, "rb") as f:
            blobs = [f.read()]
        if path.endswith(".tar.gz"):
            with tarfile.open(path) as tar:
                blobs += [tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()]
        assert not any(secret.encode() in b or basic.encode() in b for b in blobs), path
    # the node's temporary copy is gone (diag_bundle, fetch, file: three module runs per node)
    assert cluster.ssh("node1", "ls -d /tmp/ascend-diag-* 2>/dev/null", check=False).stdout == ""


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


# 3. the upgrade to the v0.8 line and the faults around it.
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
    # The system stage is where the HDK is (site.yml would also take the Python env back to seed).
    rc, stats, out = playbook(cluster.inventory, "playbooks/system.yml", "--limit", "node3",
                              "-e", "hdk_reboot_allowed=false", *stack_args(artifacts))
    assert rc == 0, failures(out)
    report = task_results(out, "HDK | nodes that still need a reboot (hdk_reboot_allowed is false)")
    assert "WARNING node3 needs a reboot" in report["node3"]["msg"]
    assert "ret is -8005" in cluster.ssh("node3", "/usr/local/bin/npu-smi info", check=False).stdout
    rc, stats, out = playbook(cluster.inventory, "playbooks/system.yml", "--limit", "node3", "-e", "hdk_health_delay=1",
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
        rc, stats, out = playbook(cluster.inventory, "playbooks/system.yml", "--limit", "node2", "-e", "stack_name=seed",
                                  "-e", "artifact_source_path=" + bad)
    finally:
        shutil.rmtree(bad)
    assert rc != 0
    msg = failures(out)["node2"]
    assert "has sha256" in msg and "but SHA256SUMS says" in msg and "nothing was executed" in msg
    assert versions(cluster, "node2") == V08[1:]         # firmware left, no driver ran
    cached = cluster.ssh("node2", "ls /var/cache/ascend_verl/artifacts").stdout
    assert os.path.basename(driver) not in cached
    rc, stats, out = playbook(cluster.inventory, "playbooks/system.yml", "--limit", "node2", "-e", "hdk_health_delay=1",
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
