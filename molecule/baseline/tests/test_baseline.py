"""The host baseline in force on every node: what a login shell of the training user gets, the
sysctls read back, the governors, chrony; and the host's own kernel settings untouched."""

import os
import shlex

SYSCTLS = {"kernel.numa_balancing": "0", "vm.swappiness": "10", "net.ipv4.neigh.default.gc_thresh1": "8192",
           "net.ipv4.neigh.default.gc_thresh2": "32768", "net.ipv4.neigh.default.gc_thresh3": "65536",
           "net.ipv4.ip_local_reserved_ports": "60000-60050"}
BEFORE = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "build", "sim", "mol-baseline",
                      "host-sysctls.before")


def user(host):
    """The training user: verl where converge made it (the second node), else root."""
    return "verl" if host.user("verl").exists else "root"


def login(host, command):
    return host.check_output("runuser -l %s -c %s" % (user(host), shlex.quote(command)))


def nofile(host):
    """65536, or the simulator's ceiling (the hard limit `simcluster up` ran with) when lower."""
    return str(min(65536, int(host.ansible.get_variables()["simcluster_nofile_max"])))


def test_open_files_in_a_login_shell_of_the_training_user(host):
    assert login(host, "ulimit -Sn; ulimit -Hn").split() == [nofile(host), nofile(host)]
    conf = host.file("/etc/security/limits.d/90-ascend-verl.conf").content_string
    assert "%s soft nofile %s\n%s hard nofile %s\n" % (user(host), nofile(host), user(host), nofile(host)) in conf


def test_shm_size_in_a_login_shell_and_in_fstab(host):
    assert login(host, "df -k --output=size /dev/shm | tail -1").strip() == str(2 * 1024 * 1024)
    assert "tmpfs /dev/shm tmpfs rw,nosuid,nodev,size=2g 0 0" in host.file("/etc/fstab").content_string


def test_sysctls_read_back_and_persisted(host):
    for key, value in SYSCTLS.items():
        assert host.check_output("sysctl -n %s" % key) == value, key
    conf = host.file("/etc/sysctl.d/90-ascend-verl.conf").content_string
    for key, value in SYSCTLS.items():
        assert "%s = %s\n" % (key, value) in conf


def test_every_cpu_runs_the_performance_governor(host):
    governors = host.check_output("cat /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor").split()
    assert governors and set(governors) == {"performance"}


def test_chrony_runs_enabled_with_the_servers(host):
    assert host.run("pgrep -x chronyd").rc == 0
    assert host.run("ls /etc/rc2.d/S*chrony").rc == 0
    assert "server 192.0.2.123 iburst" in host.file("/etc/chrony/chrony.conf").content_string


def test_the_hosts_own_kernel_settings_are_unchanged():
    with open(BEFORE) as f:
        before = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
    for rel, value in before.items():
        with open(os.path.join("/proc/sys", rel)) as f:
            assert f.read().strip() == value, rel
