"""A running three-node Atlas 900 A2 cluster, checked through the interfaces users touch:
the CLI, SSH with pinned host keys, Ansible, and the stand-ins on the nodes."""

import os
import re
import sys

import pytest

import simkit

sys.path.insert(0, simkit.TOOL)
from sim import artifacts  # noqa: E402

NAME = "simtest"
HCCN = "/usr/local/Ascend/driver/tools/hccn_tool"   # the driver does not put it on PATH


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    out = tmp_path_factory.mktemp("artifacts")
    artifacts.generate("seed", str(out), python=False)
    return str(out)


@pytest.fixture(scope="module")
def cluster(packages):
    c = simkit.Cluster(NAME, "a2", 3).up()
    try:
        for node in ("node1", "node2"):
            result = c.install_driver(node, simkit.run_file(packages, "driver"))
            assert result.returncode == 0, result.stdout + result.stderr
        yield c
    finally:
        c.down()


def test_inventory_pins_host_keys(cluster):
    with open(cluster.inventory) as f:
        text = f.read()
    for node in ("node1", "node2", "node3"):
        assert "%s:\n          ansible_host: %s" % (node, cluster.ip(node)) in text
    assert "StrictHostKeyChecking=yes" in text
    with open(os.path.join(cluster.build, "known_hosts")) as f:
        assert len(f.read().splitlines()) == 3


def test_ssh_refuses_an_unknown_host_key(cluster, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    result = cluster.ssh("node1", "true", check=False, known_hosts=str(empty))
    assert result.returncode != 0
    assert "Host key verification failed" in result.stderr
    assert cluster.ssh("node1", "hostname").stdout.strip() == "node1"


def test_npus_are_only_pci_devices_before_the_driver(cluster):
    out = cluster.ssh("node3", "lspci -d 19e5:d802; command -v npu-smi; ls /dev/davinci0; "
                               "ls /usr/local/Ascend/driver/tools/hccn_tool", check=False).stdout
    lines = [l for l in out.splitlines() if "Processing accelerators" in l]
    assert len(lines) == 8
    assert "c1:00.0 Processing accelerators: Huawei Technologies Co., Ltd. Device d802 (rev 20)" \
        in lines
    assert "npu-smi" not in out and "hccn_tool\n" not in out


def test_driver_makes_npu_smi_and_devices_appear(cluster):
    out = cluster.ssh("node1", "npu-smi info; ls /dev | grep -c '^davinci[0-9]'").stdout
    assert out.startswith("+" + "-" * 96 + "+\n| npu-smi 25.3.rc1")
    assert len(re.findall(r"^\| \d +910B3 +\| OK ", out, re.M)) == 8
    assert out.rstrip().endswith("8")


def test_hccn_tool_reports_in_the_reference_format(cluster):
    node = "node1"
    ip = cluster.device_ip(node, 0)
    out = cluster.ssh(node, "for c in ip link net_health netdetect gateway tls; do "
                            + HCCN + " -i 0 -$c -g; done").stdout.splitlines()
    netmask, gateway = cluster.plane(0)["netmask"], cluster.plane(0)["gateway"]
    assert out == [
        "ipaddr:%s" % ip, "netmask:%s" % netmask,
        "link status: UP",
        "net health status: Success",
        "netdetect address: %s" % gateway,
        "default gateway:%s, Iface:eth0" % gateway,
        "dev_id:0, tls switch[0](0:disable, 1:enable), tls preconfigured[1](0:non-preset, "
        "1:preset), tls alarm time threshold[60]days",
    ]


def test_hccn_tool_sets_and_persists(cluster):
    assert cluster.ssh("node2", HCCN + " -i 5 -tls -s enable 1").stdout.strip() == \
        "Cmd executed successfully!"
    try:
        assert "tls switch[1]" in cluster.ssh("node2", HCCN + " -i 5 -tls -g").stdout
        assert "tls switch[0]" in cluster.ssh("node2", HCCN + " -i 4 -tls -g").stdout
    finally:
        cluster.ssh("node2", HCCN + " -i 5 -tls -s enable 0")


def test_cross_node_ping_over_the_fabric(cluster):
    out = cluster.ssh("node1", HCCN + " -i 0 -ping -g address %s" % cluster.device_ip("node2", 0)).stdout
    lines = out.splitlines()
    assert lines[0] == "device 0 PING %s" % cluster.device_ip("node2", 0)
    assert all(re.match(r"^recv seq=\d,time=\d+\.\d{6}ms$", l) for l in lines[1:4])
    assert lines[4] == "3 packets transmitted, 3 received, 0.00% packet loss"


def test_link_down_fails_exactly_that_port(cluster):
    cluster.fault("node2", "link-down", 3)
    try:
        lost = cluster.ssh("node1", HCCN + " -i 3 -ping -g address %s"
                           % cluster.device_ip("node2", 3), check=False)
        kept = cluster.ssh("node1", HCCN + " -i 2 -ping -g address %s"
                           % cluster.device_ip("node2", 2))
        assert lost.returncode != 0
        assert lost.stdout.splitlines()[-1] == "3 packets transmitted, 0 received, 100.00% packet loss"
        assert kept.stdout.splitlines()[-1].endswith(" 0.00% packet loss")
        query = "{0} -i 3 -link -g; {0} -i 2 -link -g; {0} -i 3 -net_health -g".format(HCCN)
        states = cluster.ssh("node2", query).stdout.splitlines()
        assert states == ["link status: DOWN", "link status: UP", "net health status: Fault"]
    finally:
        cluster.fault("node2", "link-up", 3)
    assert cluster.ssh("node1", HCCN + " -i 3 -ping -g address %s"
                       % cluster.device_ip("node2", 3)).returncode == 0


def test_node_down_is_unreachable_to_ansible(cluster):
    cluster.fault("node3", "node-down")
    try:
        stats = cluster.ansible("npu_nodes", "ansible.builtin.ping", timeout=3)
        assert stats["node3"]["unreachable"] == 1
        assert stats["node1"]["ok"] == 1 and stats["node2"]["ok"] == 1
    finally:
        cluster.fault("node3", "node-up")
    assert cluster.ansible("node3", "ansible.builtin.ping")["node3"]["ok"] == 1


@pytest.mark.parametrize("level", ["Warning", "Critical"])
def test_npu_health_fault_shows_in_npu_smi(cluster, level):
    cluster.fault("node1", "npu-health", 6, level)
    try:
        table = cluster.ssh("node1", "npu-smi info").stdout
        assert re.search(r"^\| 6 +910B3 +\| %s +\|" % level, table, re.M)
        assert len(re.findall(r"^\| \d +910B3 +\| OK ", table, re.M)) == 7
        health = cluster.ssh("node1", "npu-smi info -t health -i 6 -c 0").stdout
        assert "Health Status                  : %s" % level in health
    finally:
        cluster.fault("node1", "npu-health", 6, "OK")


def test_npu_busy_puts_a_real_process_in_the_table(cluster):
    pid = cluster.fault("node1", "npu-busy", 4, "python", 2048).stdout.split()[1]
    try:
        table = cluster.ssh("node1", "npu-smi info").stdout
        assert re.search(r"^\| 4 +0 +\| %s +\| python +\| 2048 +\|$" % pid, table, re.M)
        assert cluster.ssh("node1", "test -d /proc/%s" % pid).returncode == 0
    finally:
        cluster.fault("node1", "npu-idle", 4)
    assert "No running processes found in NPU 4" in cluster.ssh("node1", "npu-smi info").stdout


def test_dcmi_error_makes_npu_smi_fail(cluster):
    cluster.fault("node2", "dcmi-error")
    try:
        result = cluster.ssh("node2", "npu-smi info", check=False)
        assert result.returncode != 0
        assert result.stdout.strip() == "dcmi module initialize failed. ret is -8005"
    finally:
        cluster.fault("node2", "dcmi-ok")
    assert cluster.ssh("node2", "npu-smi info").returncode == 0


def test_disk_full_leaves_no_space(cluster):
    cluster.fault("node3", "disk-full")
    try:
        avail = cluster.ssh("node3", "df --output=avail -k / | tail -1").stdout.strip()
        assert int(avail) == 0
        assert cluster.ssh("node3", "head -c 100000 /dev/zero > /root/fill", check=False).returncode != 0
    finally:
        cluster.fault("node3", "disk-ok")
        cluster.ssh("node3", "rm -f /root/fill")
    assert int(cluster.ssh("node3", "df --output=avail -k / | tail -1").stdout) > 10 ** 6


def test_reboot_loads_a_driver_that_needed_one(cluster, packages):
    """Driver installed with a failed hot reset (rc 2): -8005 until Ansible reboots it."""
    cluster.fault("node3", "installer-reboot", "driver")
    try:
        result = cluster.install_driver("node3", simkit.run_file(packages, "driver"))
        assert result.returncode == 2, result.stdout
    finally:
        cluster.fault("node3", "installer-ok", "driver")
    boot_before = cluster.ssh("node3", "cat /proc/sys/kernel/random/boot_id").stdout
    assert "ret is -8005" in cluster.ssh("node3", "npu-smi info", check=False).stdout
    stats = cluster.ansible("node3", "ansible.builtin.reboot", "reboot_timeout=60", timeout=10)
    assert stats["node3"]["changed"] == 1 and stats["node3"]["failures"] == 0
    assert cluster.ssh("node3", "cat /proc/sys/kernel/random/boot_id").stdout != boot_before
    assert cluster.ssh("node3", "npu-smi info").returncode == 0
    assert cluster.ssh("node3", "ls /dev/davinci7").returncode == 0
