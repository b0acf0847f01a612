"""A node's own kernel settings, limits and time service on a two-node A2 cluster: sysctls,
CPU governors and /dev/shm change per node and never on the host, other kernel writes fail,
limits.d reaches login sessions through PAM, chrony runs without touching the host clock,
and a reboot returns the kernel to stock and applies the node's configuration."""

import os
import re
import sys

import pytest

import conftest
import simkit

sys.path.insert(0, simkit.TOOL)
from sim import artifacts  # noqa: E402
import nodekernel  # noqa: E402

NAME = "simnode"
HCCN = "/usr/local/Ascend/driver/tools/hccn_tool"
NEW = {"kernel.numa_balancing": "0", "vm.swappiness": "10",
       "net.ipv4.neigh.default.gc_thresh1": "4096", "net.ipv4.neigh.default.gc_thresh2": "8192",
       "net.ipv4.neigh.default.gc_thresh3": "16384",
       "net.ipv4.ip_local_reserved_ports": "60000-60015"}


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("artifacts"))
    artifacts.generate("seed", out, python=False)
    c = simkit.Cluster(NAME, "a2", 2).up()
    try:
        result = c.install_driver("node1", simkit.run_file(out, "driver"))
        assert result.returncode == 0, result.stdout + result.stderr
        yield c
    finally:
        c.down()


def sysctls(c, node):
    out = c.ssh(node, "sysctl -n " + " ".join(sorted(NEW))).stdout
    return dict(zip(sorted(NEW), out.split("\n")))


def test_sysctls_start_at_stock_and_change_per_node(nodes, host_kernel_untouched):
    assert sysctls(nodes, "node1") == nodekernel.SYSCTL_STOCK
    nodes.ssh("node1", "sysctl -q -w " + " ".join("%s=%s" % kv for kv in sorted(NEW.items())))
    assert sysctls(nodes, "node1") == NEW
    assert sysctls(nodes, "node2") == nodekernel.SYSCTL_STOCK
    line = nodes.ssh("node1", "sysctl net.ipv4.neigh.default.gc_thresh3").stdout
    assert line == "net.ipv4.neigh.default.gc_thresh3 = 16384\n"
    assert conftest.host_sysctls() == host_kernel_untouched[0]


def test_other_kernel_writes_fail_in_a_node(nodes):
    out = nodes.ssh("node1", "sysctl -w kernel.pid_max=99999; echo rc=$?; "
                             "echo 1 > /proc/sys/net/ipv4/ip_forward; echo rc=$?; "
                             "echo never > /sys/kernel/mm/transparent_hugepage/enabled; echo rc=$?",
                    check=False)
    assert out.stdout.splitlines() == ["rc=1", "rc=1", "rc=1"]
    assert out.stderr.splitlines() == [
        'sysctl: permission denied on key "kernel.pid_max"',    # sysctl's word for EROFS
        "bash: line 1: /proc/sys/net/ipv4/ip_forward: Read-only file system",
        "bash: line 1: /sys/kernel/mm/transparent_hugepage/enabled: Read-only file system"]
    # the per-interface entries of the node's own network namespace are still there
    assert nodes.ssh("node1", "sysctl -n net.ipv4.neigh.enp189s0f0.gc_stale_time").stdout.strip().isdigit()


def test_cpu_governor_per_node(nodes):
    with open("/sys/devices/system/cpu/possible") as f:
        cpus = nodekernel.cpu_ids(f.read())
    gov = "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor"
    out = nodes.ssh("node1", "cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_available_governors; "
                             "cat %s" % gov).stdout.splitlines()
    assert out == [nodekernel.CPU_GOVERNORS] + ["schedutil"] * len(cpus)
    nodes.ssh("node1", "for f in %s; do echo performance > $f; done" % gov)
    assert set(nodes.ssh("node1", "cat " + gov).stdout.split()) == {"performance"}
    assert set(nodes.ssh("node2", "cat " + gov).stdout.split()) == {"schedutil"}
    assert nodes.ssh("node1", "nproc --all").stdout.strip() == str(len(cpus))


def test_shm_resizes_per_node(nodes):
    nodes.ssh("node1", "mount -o remount,size=1g /dev/shm")
    size = "df --output=size -k /dev/shm | tail -1"
    assert int(nodes.ssh("node1", size).stdout) == 1024 * 1024
    assert int(nodes.ssh("node2", size).stdout) != 1024 * 1024


@pytest.mark.parametrize("how", ["ssh", "runuser -l", "su -", "sudo -i"])
def test_limits_d_reaches_login_sessions(nodes, how):
    """pam_limits as Debian ships it (sshd, runuser-l, su, sudo-i all have it)."""
    value = min(32768, nodes.registry["nofile_max"])     # see README "Open-file limits"
    nodes.ssh("node1", "id train >/dev/null 2>&1 || useradd -m -s /bin/bash train; "
                       "install -d -o train -m 700 ~train/.ssh; "
                       "install -o train -m 600 /root/.ssh/authorized_keys ~train/.ssh/; "
                       "printf 'train soft nofile %d\\ntrain hard nofile %d\\n' "
                       "> /etc/security/limits.d/90-train.conf" % (value, value))
    probe = "echo $(ulimit -Sn) $(ulimit -Hn)"
    if how == "ssh":
        argv = ["ssh", "-i", os.path.join(nodes.build, "id_ed25519"),
                "-o", "UserKnownHostsFile=" + os.path.join(nodes.build, "known_hosts"),
                "-o", "BatchMode=yes", "train@" + nodes.ip("node1"), probe]
        out = simkit.subprocess.run(argv, stdout=simkit.subprocess.PIPE, universal_newlines=True,
                                    check=True).stdout
    elif how == "sudo -i":
        out = nodes.ssh("node1", "sudo -i -u train sh -c '%s'" % probe).stdout
    else:
        out = nodes.ssh("node1", "%s train -c '%s'" % (how, probe)).stdout
    assert out.split() == [str(value)] * 2
    with open(nodes.inventory) as f:
        assert "simcluster_nofile_max: %d\n" % nodes.registry["nofile_max"] in f.read()


def test_chrony_runs_as_a_sysvinit_service_without_touching_the_host_clock(nodes):
    before = simkit.adjtimex()
    facts = nodes.ansible("node1", "ansible.builtin.setup", "gather_subset=!all filter=ansible_service_mgr",
                          full=True)["tasks"][0]["hosts"]["node1"]["ansible_facts"]
    assert facts["ansible_service_mgr"] == "sysvinit"
    off = nodes.ssh("node1", "service chrony status", check=False)
    assert off.returncode == 3 and "chronyd is not running" in off.stdout
    assert "chrony" not in nodes.ssh("node1", "ls /etc/rc?.d").stdout     # not enabled: no rc links
    first = nodes.ansible("node1", "ansible.builtin.service", "name=chrony state=started enabled=true")
    again = nodes.ansible("node1", "ansible.builtin.service", "name=chrony state=started enabled=true")
    assert first["node1"]["changed"] == 1 and again["node1"]["changed"] == 0
    assert again["node1"]["failures"] == 0
    out = nodes.ssh("node1", "service chrony status; ls /etc/rc2.d; "
                             "ps -o args= -C chronyd | sort -u; chronyc -n tracking | head -1").stdout
    assert "chronyd is running" in out and "S01chrony" in out
    assert "/usr/sbin/chronyd -F 1 -x" in out
    assert out.rstrip().splitlines()[-1].startswith("Reference ID")      # chronyc answers
    caps = nodes.ssh("node1", "grep CapBnd /proc/$(cat /run/chrony/chronyd.pid)/status").stdout
    assert not int(caps.split()[1], 16) & (1 << 25)                      # no CAP_SYS_TIME
    step = nodes.ssh("node1", "date -s '2001-01-01 00:00:00'", check=False)
    assert step.returncode != 0 and "Operation not permitted" in step.stderr
    after = simkit.adjtimex()
    assert (after.freq, after.tick, after.status) == (before.freq, before.tick, before.status)


def test_reboot_resets_the_kernel_and_applies_the_nodes_configuration(nodes):
    """node1 (driver installed) and node2 (no driver) of a configured cluster reboot:
    sysctl.d, fstab and rc links apply on node1; node2's ports wait for a driver."""
    nodes.ssh("node1", "printf 'vm.swappiness = 10\\nkernel.numa_balancing = 0\\n' "
                       "> /etc/sysctl.d/90-baseline.conf; "
                       "echo 'tmpfs /dev/shm tmpfs defaults,size=2g 0 0' >> /etc/fstab; "
                       "sysctl -q -w net.ipv4.neigh.default.gc_thresh3=16384; "
                       "echo performance > /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor; "
                       "test -e /etc/rc2.d/S01chrony || update-rc.d chrony defaults")
    nodes.reboot("node1", "node2")
    expect = dict(nodekernel.SYSCTL_STOCK, **{"vm.swappiness": "10", "kernel.numa_balancing": "0"})
    assert sysctls(nodes, "node1") == expect
    assert sysctls(nodes, "node2") == nodekernel.SYSCTL_STOCK
    gov = nodes.ssh("node1", "cat /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor").stdout
    assert set(gov.split()) == {"schedutil"}
    size = "df --output=size -k /dev/shm | tail -1"
    assert int(nodes.ssh("node1", size).stdout) == 2 * 1024 * 1024
    assert int(nodes.ssh("node2", size).stdout) != 1024 * 1024           # fresh, default size
    assert "chronyd is running" in nodes.ssh("node1", "service chrony status").stdout
    assert nodes.ssh("node2", "service chrony status", check=False).returncode == 3
    # RoCE: the driver re-applied node1's /etc/hccn.conf; node2 has no driver, no addresses.
    gateway = nodes.plane(0)["gateway"]
    reads = nodes.ssh("node1", "{0} -i 0 -ip -g; {0} -i 0 -gateway -g".format(HCCN)).stdout
    assert reads.splitlines()[0] == "ipaddr:%s" % nodes.device_ip("node1", 0)
    assert reads.splitlines()[2] == "default gateway:%s, Iface:eth0" % gateway
    ping = nodes.ssh("node1", "%s -i 0 -ping -g address %s" % (HCCN, gateway)).stdout
    assert ping.endswith(" 0.00% packet loss\n")
    status = simkit.sim("status", NAME).stdout
    assert re.search(r"^node1 .* 8/8 addressed", status, re.M)
    assert re.search(r"^node2 .* 0/8 addressed", status, re.M)
