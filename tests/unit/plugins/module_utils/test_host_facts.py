"""The host baseline reader (host_facts.gather) on fake node trees: a tuned node with systemd,
chrony and firewalld; a bare one without systemd, cpufreq or a time service; ufw; and the
parsers of what sysctl files, firewall-cmd and ufw say."""

import os

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import host_facts, node_facts

GiB = 1 << 30
PASSWD = ("root:x:0:0:root:/root:/bin/bash\ntrain:x:1001:1001::/home/train:/bin/bash\n"
          "svc:x:998:998::/nonexistent:/usr/sbin/nologin\n")
KEYS = ["kernel.numa_balancing", "vm.swappiness", "net.ipv4.neigh.default.gc_thresh3",
        "net.ipv4.ip_local_reserved_ports", "net/ipv4/conf/eth0.100/rp_filter"]
LIVE = {"kernel/numa_balancing": "0", "vm/swappiness": "10", "net/ipv4/neigh/default/gc_thresh3": "65536",
        "net/ipv4/ip_local_reserved_ports": "60000-60050", "net/ipv4/conf/eth0.100/rp_filter": "2"}
CHRONY_TRACKING = ("Reference ID    : 0A000001 (10.0.0.1)\nStratum         : 2\nSystem time     : 0.000100000 seconds "
                   "fast of NTP time\nRoot delay      : 0.002000000 seconds\nRoot dispersion : 0.001000000 seconds\n"
                   "Leap status     : Normal\n")


def write(root, path, text="", mode=0o644):
    """A file below the fake root: text, or bytes (a /proc/PID/cmdline with its NULs)."""
    target = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb" if isinstance(text, bytes) else "w") as f:
        f.write(text)
    os.chmod(target, mode)


def tool(root, path):
    write(root, path, "#!/bin/sh\n", 0o755)


class StatVfs(object):
    def __init__(self, size):
        self.f_frsize, self.f_blocks = 4096, size // 4096


class Runner(object):
    """Answers commands by their leading words (the command without its directory); records every call."""

    def __init__(self, answers=None):
        self.answers = answers or {}
        self.calls = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        words = [os.path.basename(argv[0])] + list(argv[1:])
        for length in range(len(words), 0, -1):
            key = " ".join(words[:length])
            if key in self.answers:
                return self.answers[key]
        return 127, "", "%s: command not found" % argv[0]


def tuned(root, systemd=True):
    write(root, "/etc/passwd", PASSWD)
    tool(root, "/usr/sbin/runuser")
    for key, value in LIVE.items():
        write(root, "/proc/sys/" + key, value + "\n")
    write(root, "/proc/sys/fs/nr_open", "1048576\n")
    write(root, "/usr/lib/sysctl.d/50-default.conf", "vm.swappiness = 60\n-kernel.numa_balancing=1\n# vm.swappiness = 1\n")
    write(root, "/usr/lib/sysctl.d/90-ascend-verl.conf", "vm.swappiness = 99\n")        # hidden by /etc's
    write(root, "/etc/sysctl.d/90-ascend-verl.conf",
          "kernel.numa_balancing = 0\nvm.swappiness = 10\nnet.ipv4.ip_local_reserved_ports = 60000-60050\n")
    write(root, "/etc/sysctl.conf", "; comment\nvm.swappiness=30\nnet/ipv4/conf/eth0.100/rp_filter = 1\n")
    write(root, "/proc/self/mounts", "proc /proc proc rw 0 0\nshm /dev/shm tmpfs rw,nosuid,nodev 0 0\n"
                                     "tmpfs /dev/shm tmpfs rw,nosuid,nodev,size=67108864k 0 0\n")
    write(root, "/dev/shm/.keep")
    write(root, "/etc/fstab", "# /dev/shm comment\nUUID=1 / ext4 defaults 0 1\n"
                              "tmpfs /dev/shm tmpfs rw,nosuid,nodev,size=64g 0 0\n")
    write(root, "/proc/meminfo", "MemTotal:       131072000 kB\nMemFree:        1 kB\n")
    for cpu in range(4):
        base = "/sys/devices/system/cpu/cpu%d/cpufreq/" % cpu
        write(root, base + "scaling_governor", ("performance" if cpu < 3 else "powersave") + "\n")
        write(root, base + "scaling_available_governors", "performance powersave\n")
    os.makedirs(os.path.join(str(root), "sys/devices/system/cpu/cpufreq"), exist_ok=True)   # not a CPU
    if systemd:
        os.makedirs(os.path.join(str(root), "run/systemd/system"))
        write(root, "/lib/systemd/system/chrony.service", "[Unit]\n")
    tool(root, "/usr/sbin/chronyd")
    tool(root, "/usr/bin/chronyc")
    write(root, "/etc/chrony/chrony.conf", "pool 2.debian.pool.ntp.org iburst\n")
    write(root, "/proc/412/comm", "chronyd\n")
    write(root, "/proc/1/comm", "systemd\n" if systemd else "init\n")
    tool(root, "/usr/bin/firewall-cmd")


FIREWALLD = {
    "firewall-cmd --state": (0, "running\n", ""),
    "firewall-cmd --get-default-zone": (0, "public\n", ""),
    "firewall-cmd --zone=public --list-ports": (0, "6766/tcp 60000-60050/tcp 53/udp\n", ""),
    "firewall-cmd --zone=public --list-rich-rules": (
        0, 'rule family="ipv4" source address="10.20.0.0/16" port port="10002-19999" protocol="tcp" accept\n'
           'rule family="ipv4" source NOT address="10.0.0.0/8" port port="22" protocol="tcp" accept\n', ""),
    "firewall-cmd --permanent --zone=public --list-ports": (0, "6766/tcp\n", ""),
    "firewall-cmd --permanent --zone=public --list-rich-rules": (0, "", ""),
}


def answers(**more):
    out = {"runuser -l train -c": (0, "Welcome\n@@nofile 65536 65536\n", ""),
           "runuser -l root -c": (0, "@@nofile 1024 524288\n", ""),
           "systemctl is-enabled chrony": (0, "enabled\n", ""),
           "systemctl is-enabled ascend-verl-cpu-governor.service": (1, "disabled\n", ""),
           "chronyc -n tracking": (0, CHRONY_TRACKING, "")}
    out.update(FIREWALLD)
    out.update(more)
    return out


def gather(root, run, user="train", zone="", units=("ascend-verl-cpu-governor.service",), shm=64 * GiB):
    return host_facts.gather(run, node_facts.Node(str(root)),
                             {"user": user, "sysctls": KEYS, "firewall_zone": zone, "units": list(units)},
                             statvfs=lambda path: StatVfs(shm))


def test_a_tuned_node(tmp_path):
    tuned(tmp_path)
    run = Runner(answers())
    got = gather(tmp_path, run)
    assert got["user"] == {"name": "train", "exists": True, "uid": 1001, "shell": "/bin/bash",
                           "nofile": {"soft": 65536, "hard": 65536}, "error": None}
    assert ["/usr/sbin/runuser", "-l", "train", "-c", 'echo "@@nofile $(ulimit -Sn) $(ulimit -Hn)"'] in run.calls
    assert got["nr_open"] == 1048576
    assert got["sysctls"] == {"kernel.numa_balancing": "0", "vm.swappiness": "10",
                              "net.ipv4.neigh.default.gc_thresh3": "65536",
                              "net.ipv4.ip_local_reserved_ports": "60000-60050", "net/ipv4/conf/eth0.100/rp_filter": "2"}
    assert got["sysctl_boot"] == {
        "kernel.numa_balancing": [["/usr/lib/sysctl.d/50-default.conf", "1"], ["/etc/sysctl.d/90-ascend-verl.conf", "0"]],
        "vm.swappiness": [["/usr/lib/sysctl.d/50-default.conf", "60"], ["/etc/sysctl.d/90-ascend-verl.conf", "10"],
                          ["/etc/sysctl.conf", "30"]],
        "net.ipv4.neigh.default.gc_thresh3": [],
        "net.ipv4.ip_local_reserved_ports": [["/etc/sysctl.d/90-ascend-verl.conf", "60000-60050"]],
        "net/ipv4/conf/eth0.100/rp_filter": [["/etc/sysctl.conf", "1"]]}
    assert got["shm"] == {"mounted": True, "fstype": "tmpfs", "options": "rw,nosuid,nodev,size=67108864k",
                          "bytes": 64 * GiB, "fstab": ["tmpfs /dev/shm tmpfs rw,nosuid,nodev,size=64g 0 0"]}
    assert got["memory"] == {"total_bytes": 131072000 * 1024, "page_size": os.sysconf("SC_PAGE_SIZE")}
    assert got["cpufreq"] == {"present": True, "cpus": 4, "available": ["performance", "powersave"],
                              "governors": {"cpu0": "performance", "cpu1": "performance", "cpu2": "performance",
                                            "cpu3": "powersave"}}
    assert got["init"] == "systemd"
    assert got["units"] == {"ascend-verl-cpu-governor.service": "disabled"}
    time = got["time"]
    assert time["service"] == "chrony" and time["kernel"] is None      # the kernel is asked on a real node only
    assert time["services"]["chrony"] == {"installed": True, "name": "chrony", "running": True, "enabled": "enabled",
                                          "config": {"path": "/etc/chrony/chrony.conf",
                                                     "text": "pool 2.debian.pool.ntp.org iburst\n"}}
    assert time["services"]["ntpd"]["installed"] is False and time["services"]["timesyncd"]["installed"] is False
    assert time["sync"]["synced"] is True and time["sync"]["server"] == "10.0.0.1"
    assert time["sync"]["offset"] == pytest.approx(0.0001) and time["sync"]["source"] == "chronyc -n tracking"
    assert got["firewall"] == {
        "active": "firewalld", "zone": "public", "error": None,
        "runtime": [{"port": "6766", "proto": "tcp", "source": None}, {"port": "60000-60050", "proto": "tcp", "source": None},
                    {"port": "53", "proto": "udp", "source": None},
                    {"port": "10002-19999", "proto": "tcp", "source": "10.20.0.0/16"}],
        "permanent": [{"port": "6766", "proto": "tcp", "source": None}]}


def test_a_bare_node_without_systemd(tmp_path):
    """No systemd, no cpufreq, no time service, no firewall, no runuser, /dev/shm not mounted,
    keys absent, a user that does not exist."""
    write(tmp_path, "/etc/passwd", PASSWD)
    write(tmp_path, "/proc/self/mounts", "proc /proc proc rw 0 0\n")
    os.makedirs(os.path.join(str(tmp_path), "sys/devices/system/cpu/cpu0"))
    os.makedirs(os.path.join(str(tmp_path), "sys/devices/system/cpu/cpu1"))
    run = Runner()
    got = gather(tmp_path, run, user="nobody-here")
    assert got["user"] == {"name": "nobody-here", "exists": False, "uid": None, "shell": None, "nofile": None,
                           "error": None}
    assert got["nr_open"] is None
    assert got["sysctls"] == dict((k, None) for k in KEYS)
    assert got["sysctl_boot"] == dict((k, []) for k in KEYS)
    assert got["shm"] == {"mounted": False, "fstype": None, "options": None, "bytes": None, "fstab": []}
    assert got["memory"]["total_bytes"] is None
    assert got["cpufreq"] == {"present": False, "cpus": 2, "governors": {}, "available": []}
    assert got["init"] == "other"
    assert got["units"] == {"ascend-verl-cpu-governor.service": None} and got["rc_tool"] is None
    assert got["time"]["service"] is None and got["time"]["sync"] is None
    assert all(not s["installed"] and not s["running"] for s in got["time"]["services"].values())
    assert got["firewall"] == {"active": None, "zone": None, "runtime": [], "permanent": [], "error": None}
    assert run.calls == []          # nothing to ask: no runuser for a missing user, no systemctl, no firewall tools


def test_the_governor_script_without_systemd(tmp_path):
    """A SysV node: the governor script's state as its rc links say, and the tool that links it."""
    write(tmp_path, "/etc/passwd", PASSWD)
    node = node_facts.Node(str(tmp_path))
    unit = "ascend-verl-cpu-governor.service"
    assert host_facts.sysv_state(node, unit) is None and host_facts.rc_tool(node) is None
    os.makedirs(os.path.join(str(tmp_path), "etc/init.d"))
    assert host_facts.sysv_state(node, unit) == "not-found"
    write(tmp_path, "/etc/init.d/ascend-verl-cpu-governor", "#!/bin/sh\n", 0o755)
    assert host_facts.sysv_state(node, unit) == "disabled"
    os.makedirs(os.path.join(str(tmp_path), "etc/rc3.d"))
    os.symlink("../init.d/ascend-verl-cpu-governor", os.path.join(str(tmp_path), "etc/rc3.d/S01ascend-verl-cpu-governor"))
    assert host_facts.sysv_state(node, unit) == "enabled"
    tool(tmp_path, "/usr/sbin/update-rc.d")
    assert host_facts.rc_tool(node) == "update-rc.d"


def test_login_shell_fallbacks(tmp_path):
    """su - when there is no runuser; /bin/sh for a user without a login shell; a failing login reported."""
    write(tmp_path, "/etc/passwd", PASSWD)
    run = Runner({"su - svc -s /bin/sh -c": (1, "", "su: Authentication failure\n")})
    got = host_facts.user_limits(run, node_facts.Node(str(tmp_path)), "svc")
    assert run.calls[0][:6] == ["su", "-", "svc", "-s", "/bin/sh", "-c"]
    assert got["nofile"] is None and got["error"] == "su: Authentication failure"
    run = Runner({"su - root -c": (0, "@@nofile unlimited unlimited\n", "")})
    assert host_facts.user_limits(run, node_facts.Node(str(tmp_path)), "root")["nofile"] == {
        "soft": "unlimited", "hard": "unlimited"}


def test_time_service_without_systemd_sysv_links(tmp_path):
    """A node whose init is not systemd: chrony from /etc/init.d, enabled by its rc links; a
    second run after the service stopped; ntpd installed but chrony preferred."""
    tuned(tmp_path, systemd=False)
    write(tmp_path, "/etc/init.d/chrony", "#!/bin/sh\n", 0o755)
    os.makedirs(os.path.join(str(tmp_path), "etc/rc2.d"))
    tool(tmp_path, "/usr/sbin/ntpd")
    run = Runner(answers())
    got = gather(tmp_path, run)
    chrony = got["time"]["services"]["chrony"]
    assert (chrony["name"], chrony["running"], chrony["enabled"]) == ("chrony", True, "disabled")
    assert got["time"]["services"]["ntpd"]["installed"] is True and got["time"]["service"] == "chrony"
    assert not any(c[0] == "systemctl" for c in run.calls)
    os.symlink("../init.d/chrony", os.path.join(str(tmp_path), "etc/rc2.d/S01chrony"))
    os.remove(os.path.join(str(tmp_path), "proc/412/comm"))
    got = gather(tmp_path, Runner(answers()))
    chrony = got["time"]["services"]["chrony"]
    assert (chrony["running"], chrony["enabled"]) == (False, "enabled")
    assert got["time"]["sync"] is None          # not running: not asked


def test_chronyc_failure_is_reported(tmp_path):
    tuned(tmp_path)
    got = gather(tmp_path, Runner(answers(**{"chronyc -n tracking": (1, "", "506 Cannot talk to daemon\n")})))
    assert got["time"]["sync"] == {"source": "chronyc -n tracking", "error": "506 Cannot talk to daemon"}


def test_timesyncd_with_systemd(tmp_path):
    os.makedirs(os.path.join(str(tmp_path), "run/systemd/system"))
    tool(tmp_path, "/usr/lib/systemd/systemd-timesyncd")
    write(tmp_path, "/usr/lib/systemd/system/systemd-timesyncd.service", "[Unit]\n")
    write(tmp_path, "/proc/77/comm", "systemd-timesyn\n")
    tool(tmp_path, "/usr/bin/timedatectl")
    run = Runner({"systemctl is-enabled systemd-timesyncd": (0, "enabled\n", ""),
                  "timedatectl timesync-status": (0, "       Server: 10.0.0.1 (ntp)\n       Offset: +2.000ms\n"
                                                     "Root distance: 1.000ms (max: 5s)\n", ""),
                  "timedatectl show -p NTPSynchronized --value": (0, "yes\n", "")})
    got = host_facts.time_sync(run, node_facts.Node(str(tmp_path)), True)
    assert got["service"] == "timesyncd"
    assert got["services"]["timesyncd"]["config"] == {"path": host_facts.TIMESYNCD_DROPIN, "text": None}
    assert got["sync"]["synced"] is True and got["sync"]["offset"] == pytest.approx(-0.002)


UFW_STATUS = """Status: active

To                         Action      From
--                         ------      ----
22/tcp                     ALLOW       Anywhere
6766/tcp                   ALLOW       Anywhere                   # ascend
60000:60050/tcp            ALLOW       10.20.0.0/16
10.0.0.5 8260/tcp          ALLOW       Anywhere
8260                       DENY        Anywhere
9000                       ALLOW OUT   Anywhere
6766/tcp (v6)              ALLOW       Anywhere (v6)
"""


def test_ufw(tmp_path):
    tool(tmp_path, "/usr/sbin/ufw")
    got = host_facts.firewall(Runner({"ufw status": (0, UFW_STATUS, "")}), node_facts.Node(str(tmp_path)), "")
    rules = [{"port": "22", "proto": "tcp", "source": None}, {"port": "6766", "proto": "tcp", "source": None},
             {"port": "60000-60050", "proto": "tcp", "source": "10.20.0.0/16"}]
    assert got == {"active": "ufw", "zone": None, "runtime": rules, "permanent": rules, "error": None}
    inactive = host_facts.firewall(Runner({"ufw status": (0, "Status: inactive\n", "")}), node_facts.Node(str(tmp_path)), "")
    assert inactive["active"] is None


def test_firewalld_installed_but_stopped_and_a_zone_given(tmp_path):
    tool(tmp_path, "/usr/bin/firewall-cmd")
    node = node_facts.Node(str(tmp_path))
    assert host_facts.firewall(Runner({"firewall-cmd --state": (252, "not running\n", "")}), node, "")["active"] is None
    run = Runner(dict((k.replace("public", "trusted"), v) for k, v in FIREWALLD.items()))
    got = host_facts.firewall(run, node, "trusted")
    assert got["zone"] == "trusted" and ["firewall-cmd", "--get-default-zone"] not in run.calls


@pytest.mark.parametrize("key, path, dotted", [
    ("vm.swappiness", "/proc/sys/vm/swappiness", "vm.swappiness"),
    ("net/ipv4/conf/eth0.100/rp_filter", "/proc/sys/net/ipv4/conf/eth0.100/rp_filter", "net.ipv4.conf.eth0.100.rp_filter"),
    ("/kernel/numa_balancing", "/proc/sys/kernel/numa_balancing", "kernel.numa_balancing"),
])
def test_sysctl_key_forms(key, path, dotted):
    assert host_facts.sysctl_path(key) == path
    assert host_facts.sysctl_key(key) == dotted


@pytest.mark.parametrize("text, span", [("6766", (6766, 6766)), ("60000-60050", (60000, 60050)),
                                        ("60000:60050", (60000, 60050)), ("ssh", None), ("", None)])
def test_port_span(text, span):
    assert host_facts.port_span(text) == span


def test_through_ascend_facts_reader(tmp_path, monkeypatch):
    """node_facts.gather hands the host option to this reader and publishes the result as host."""
    tuned(tmp_path)
    monkeypatch.setattr(host_facts.os, "statvfs", lambda path: StatVfs(GiB))
    facts = node_facts.gather(Runner(answers()), root=str(tmp_path), uname=("6.1.0", "x86_64"),
                              host={"user": "train", "sysctls": ["vm.swappiness"], "firewall_zone": "", "units": []})
    assert facts["host"]["sysctls"] == {"vm.swappiness": "10"} and facts["host"]["shm"]["bytes"] == GiB
    assert node_facts.gather(Runner(), root=str(tmp_path), uname=("6.1.0", "x86_64"))["host"] is None
