"""The host baseline planner: limits judged in a login shell, /dev/shm, sysctls, the CPU
governor, time sync and the firewall, on healthy and unhealthy nodes; and the layer-1 rules of
the baseline_* knobs."""

import copy
import hashlib
import os

import jinja2
import pytest
import yaml

from ansible_collections.ascend_verl.cluster.plugins.module_utils import knobs as layer1
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans import baseline as b

GiB = 1 << 30
PAGE = 4096
MEM = 100 * GiB
LIMITS = "/etc/security/limits.d/90-ascend-verl.conf"
SYSCTL = "/etc/sysctl.d/90-ascend-verl.conf"
SYSCTL_LIVE = {"kernel.numa_balancing": "0", "vm.swappiness": "10", "net.ipv4.neigh.default.gc_thresh1": "8192",
               "net.ipv4.neigh.default.gc_thresh2": "32768", "net.ipv4.neigh.default.gc_thresh3": "65536",
               "net.ipv4.ip_local_reserved_ports": "60000-60050"}
SHM_LINE = "tmpfs /dev/shm tmpfs rw,nosuid,nodev,size=50% 0 0"
CHRONY = "/etc/chrony/chrony.conf"


def bknobs(knobs, **overrides):
    """The role's knobs as ascend_plan hands them over, Jinja rendered as Ansible would."""
    out = knobs("baseline", **overrides)
    env = jinja2.Environment()

    def render(value):
        if isinstance(value, str) and "{{" in value:
            return env.from_string(value).render(**out)
        if isinstance(value, dict):
            return dict((k, render(v)) for k, v in value.items())
        if isinstance(value, list):
            return [render(v) for v in value]
        return value
    return dict((k, render(v)) for k, v in out.items())


def host(**changes):
    """A node as host_facts reads it once the baseline is in force (systemd, chrony, no firewall)."""
    out = {
        "user": {"name": "root", "exists": True, "uid": 0, "shell": "/bin/bash",
                 "nofile": {"soft": 65536, "hard": 65536}, "error": None},
        "nr_open": 1048576,
        "sysctls": dict(SYSCTL_LIVE),
        "sysctl_boot": dict((k, [[SYSCTL, v]]) for k, v in SYSCTL_LIVE.items()),
        "shm": {"mounted": True, "fstype": "tmpfs", "options": "rw,nosuid,nodev", "bytes": MEM // 2, "fstab": [SHM_LINE]},
        "memory": {"total_bytes": MEM, "page_size": PAGE},
        "cpufreq": {"present": True, "cpus": 4, "available": ["performance", "powersave"],
                    "governors": dict(("cpu%d" % i, "performance") for i in range(4))},
        "init": "systemd",
        "units": {b.GOVERNOR_UNIT: "enabled"},
        "time": {"service": "chrony", "kernel": None,
                 "sync": {"synced": True, "offset": 1e-05, "error_bound": 0.002, "server": "10.0.0.1", "stratum": 2,
                          "source": "chronyc -n tracking"},
                 "services": {"chrony": {"installed": True, "name": "chrony", "running": True, "enabled": "enabled",
                                         "config": {"path": CHRONY, "text": "pool 2.debian.pool.ntp.org iburst\n"}},
                              "timesyncd": {"installed": False, "name": None, "running": False, "enabled": None,
                                            "config": None},
                              "ntpd": {"installed": False, "name": None, "running": False, "enabled": None,
                                       "config": None}}},
        "firewall": {"active": None, "zone": None, "runtime": [], "permanent": [], "error": None},
    }
    for key, value in changes.items():          # "shm/bytes", "sysctls/vm.swappiness"
        *path, last = key.split("/")
        target = out
        for part in path:
            target = target[part]
        target[last] = value
    return out


def file_stats(contents):
    return dict((dest, {"exists": True, "checksum": hashlib.sha1(text.encode()).hexdigest(),
                        "mode": "0755" if dest == b.GOVERNOR_SCRIPT_PATH else "0644", "owner": "root", "group": "root"})
                for dest, text in contents.items())


def contents(manifest, knobs, facts, h=None, **knob):
    """The files the planner wants on this node (what a first run writes)."""
    k = bknobs(knobs, **knob)
    out = b.baseline(manifest("seed"), facts("bare", host=h or host(), files={}), k, {})
    return dict((s["dest"], s["content"]) for s in out["steps"] if s["name"] == "file")


def run(manifest, knobs, facts, h=None, files=None, **knob):
    """Plan for a node whose managed files are right unless `files` says otherwise."""
    h = h or host()
    if files is None:
        files = file_stats(contents(manifest, knobs, facts, h, **knob))
    return b.baseline(manifest("seed"), facts("bare", host=h, files=files), bknobs(knobs, **knob), {})


def named(out, name):
    return [s for s in out["steps"] if s["name"] == name]


# ---- a node already right, and one seen the first time ------------------------------------------

def test_a_node_that_is_right_is_done(manifest, knobs, facts):
    out = run(manifest, knobs, facts)
    assert (out["problems"], out["steps"], out["done"]) == ([], [], True)
    assert out["notes"] == ["time: chrony synchronised to 10.0.0.1, offset +0.000010 s (bound 0.002000 s)",
                            "no firewall active (firewalld, ufw): no ports to open"]


def test_the_files_a_first_run_writes(manifest, knobs, facts):
    out = run(manifest, knobs, facts, files={})
    files = dict((s["dest"], s) for s in named(out, "file"))
    assert sorted(files) == sorted([b.GOVERNOR_UNIT_PATH, LIMITS, SYSCTL])
    assert files[LIMITS]["content"] == (b.HEADER + "# Open files for the training user (pam_limits: ssh logins, login "
                                        "shells, runuser -l).\nroot soft nofile 65536\nroot hard nofile 65536\n")
    assert files[SYSCTL]["content"].splitlines()[2:] == [
        "kernel.numa_balancing = 0", "vm.swappiness = 10", "net.ipv4.neigh.default.gc_thresh1 = 8192",
        "net.ipv4.neigh.default.gc_thresh2 = 32768", "net.ipv4.neigh.default.gc_thresh3 = 65536",
        "net.ipv4.ip_local_reserved_ports = 60000-60050"]
    unit = files[b.GOVERNOR_UNIT_PATH]["content"]
    assert "ExecStart=/bin/sh -c 'for f in /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor; do echo " \
           "performance > \"$$f\"; done'" in unit and "WantedBy=multi-user.target" in unit
    assert all((s["mode"], s["owner"], s["group"]) == ("0644", "root", "root") for s in files.values())
    assert named(out, "unit") == [{"name": "unit", "unit": b.GOVERNOR_UNIT, "daemon_reload": True,
                                   "why": "%s (sets the governor at boot): written" % b.GOVERNOR_UNIT}]
    assert out["changes"][0] == LIMITS + ": absent"


def test_every_setting_off_plans_nothing(manifest, knobs, facts):
    off = dict(baseline_nofile_soft=False, baseline_nofile_hard="false", baseline_shm_size="", baseline_sysctls={},
               baseline_cpu_governor="False", baseline_time_sync=False, baseline_firewall=False)
    bare = host(**{"user/exists": False, "shm/mounted": False, "sysctls": {}, "cpufreq/governors": {"cpu0": "powersave"},
                   "time/service": None, "firewall/active": "ufw"})
    out = run(manifest, knobs, facts, bare, files={}, **off)
    assert (out["problems"], out["steps"], out["notes"]) == ([], [], [])


def test_no_host_facts_is_a_problem(manifest, knobs, facts):
    out = b.baseline(manifest("seed"), facts("bare"), bknobs(knobs), {})
    assert out["problems"] == ["the host baseline was not read (ascend_facts with the host option)"]


# ---- open files ---------------------------------------------------------------------------------

LIMIT_CASES = [
    # case, host changes, knobs, problem (None: done)
    ("shell sees the old limits", {"user/nofile": {"soft": 1024, "hard": 4096}}, {},
     "a login shell of root gets open files soft 1024, expected at least 65536; hard 4096, expected at least 65536 "
     "(a later file in /etc/security/limits.d, or no pam_limits in its PAM session?)"),
    ("more than wanted is fine", {"user/nofile": {"soft": 1048576, "hard": "unlimited"}}, {}, None),
    ("shell cannot be read", {"user/nofile": None, "user/error": "runuser: cannot open session"}, {},
     "cannot read the open-file limits of a login shell of root: runuser: cannot open session"),
    ("user missing", {"user/exists": False}, {"ascend_train_user": "train"},
     "the training user train (ascend_train_user) does not exist on this node"),
    ("soft above hard", {}, {"baseline_nofile_soft": 131072},
     "baseline_nofile_soft (131072) is above baseline_nofile_hard (65536)"),
    ("above fs.nr_open", {"nr_open": 65536}, {"baseline_nofile_soft": 100000, "baseline_nofile_hard": 100000},
     "open files 100000 for root is above fs.nr_open (65536) on this node: pam_limits cannot set it (raise fs.nr_open "
     "in baseline_sysctls_extra)"),
    ("nr_open raised in the same run", {"nr_open": 65536, "user/nofile": {"soft": 100000, "hard": 100000},
                                        "sysctls/fs.nr_open": "2097152"},
     {"baseline_nofile_soft": 100000, "baseline_nofile_hard": 100000, "baseline_sysctls_extra": {"fs.nr_open": 2097152}},
     None),
    ("only the soft limit managed", {"user/nofile": {"soft": 65536, "hard": 4096}}, {"baseline_nofile_hard": False},
     None),
]


@pytest.mark.parametrize("case, changes, knob, problem", LIMIT_CASES, ids=[c[0] for c in LIMIT_CASES])
def test_limits(manifest, knobs, facts, case, changes, knob, problem):
    h = host(**changes)
    if "sysctls/fs.nr_open" in changes:
        h["sysctl_boot"]["fs.nr_open"] = [[SYSCTL, "2097152"]]
    out = run(manifest, knobs, facts, h, **knob)
    assert out["problems"] == ([problem] if problem else [])
    if problem is None:
        assert out["done"]


def test_limits_file_for_a_named_user_and_soft_only(manifest, knobs, facts):
    written = contents(manifest, knobs, facts, ascend_train_user="train", baseline_nofile_hard=False,
                       baseline_nofile_soft="40000")
    assert written[LIMITS].splitlines()[2:] == ["train soft nofile 40000"]


def test_limits_shell_is_judged_after_the_file_is_written(manifest, knobs, facts):
    """A stale file means a write now; the login shell is judged on the next read."""
    h = host(**{"user/nofile": {"soft": 1024, "hard": 4096}})
    files = file_stats(contents(manifest, knobs, facts))
    files[LIMITS]["checksum"] = "0" * 40
    out = run(manifest, knobs, facts, h, files=files)
    assert out["problems"] == [] and [s["dest"] for s in named(out, "file")] == [LIMITS]


# ---- /dev/shm -------------------------------------------------------------------------------------

SHM_CASES = [
    # case, host changes, size knob, steps (name, detail), problem
    ("half of RAM already", {}, "50%", [], None),
    ("64g wanted, 50% found", {}, "64g",
     [("fstab", "tmpfs /dev/shm tmpfs rw,nosuid,nodev,size=64g 0 0"),
      ("remount", ["mount", "-o", "remount,size=64g", "/dev/shm"])], None),
    ("64g there, within a page", {"shm/bytes": 64 * GiB - 1, "shm/fstab": ["tmpfs /dev/shm tmpfs rw,nosuid,nodev,size=64g 0 0"]},
     "64g", [], None),
    ("container's 64m", {"shm/bytes": 64 << 20, "shm/fstab": []}, "50%",
     [("fstab", SHM_LINE), ("remount", ["mount", "-o", "remount,size=50%", "/dev/shm"])], None),
    ("not mounted", {"shm/mounted": False, "shm/fstype": None, "shm/bytes": None}, "50%",
     [("mount", ["mount", "-t", "tmpfs", "-o", "rw,nosuid,nodev,size=50%", "tmpfs", "/dev/shm"])], None),
    ("not a tmpfs", {"shm/fstype": "ext4"}, "50%", [],
     "/dev/shm is a ext4, not a tmpfs: its size cannot be set (unmount it or set baseline_shm_size: false)"),
    ("two fstab lines", {"shm/fstab": [SHM_LINE, "none /dev/shm tmpfs defaults 0 0"]}, "50%", [],
     "/etc/fstab has 2 lines for /dev/shm; keep one"),
    ("size unknown", {"memory/total_bytes": None}, "50%", [],
     "cannot tell the size of /dev/shm (MemTotal None, statvfs %d)" % (MEM // 2)),
    ("off", {"shm/bytes": 1}, False, [], None),
]


@pytest.mark.parametrize("case, changes, size, steps, problem", SHM_CASES, ids=[c[0] for c in SHM_CASES])
def test_shm(manifest, knobs, facts, case, changes, size, steps, problem):
    out = run(manifest, knobs, facts, host(**changes), baseline_shm_size=size)
    got = [(s["name"], s.get("line") or s.get("argv")) for s in out["steps"] if s["name"] in ("fstab", "mount", "remount")]
    assert got == steps
    assert out["problems"] == ([problem] if problem else [])
    if steps and steps[0][0] == "fstab":
        assert named(out, "fstab")[0]["regexp"] == r"^\s*\S+\s+/dev/shm\s"


@pytest.mark.parametrize("size, total, page, expected", [
    ("50%", 1000 * PAGE, PAGE, 500 * PAGE),
    ("33%", 1000 * PAGE, PAGE, 330 * PAGE),
    ("1%", 150 * PAGE, PAGE, 2 * PAGE),              # 1.5 pages: rounded up, as tmpfs does
    ("64g", None, PAGE, 64 * GiB),
    ("100000", None, PAGE, 25 * PAGE),               # bytes, rounded up to pages
    ("16384M", None, 65536, 16 * GiB),
    ("50%", None, PAGE, None),
    ("lots", MEM, PAGE, None),
])
def test_shm_bytes(size, total, page, expected):
    assert b.shm_bytes(size, total, page) == expected


# ---- sysctls ------------------------------------------------------------------------------------

def test_sysctls_set_only_where_they_differ(manifest, knobs, facts):
    h = host(**{"sysctls/vm.swappiness": "60", "sysctls/kernel.numa_balancing": "1"})
    out = run(manifest, knobs, facts, h)
    assert named(out, "sysctl") == [
        {"name": "sysctl", "argv": ["sysctl", "-w", "kernel.numa_balancing=0"],
         "why": "sysctl kernel.numa_balancing: wanted 0, found 1"},
        {"name": "sysctl", "argv": ["sysctl", "-w", "vm.swappiness=10"], "why": "sysctl vm.swappiness: wanted 10, found 60"}]


def test_absent_keys_are_reported_not_set(manifest, knobs, facts):
    h = host()
    del h["sysctls"]["kernel.numa_balancing"]
    written = contents(manifest, knobs, facts, h)
    assert "-kernel.numa_balancing = 0\n" in written[SYSCTL]
    out = run(manifest, knobs, facts, h)
    assert out["done"] and out["notes"][0] == ("sysctl keys absent on this node, not set (written with '-' in %s): "
                                               "kernel.numa_balancing" % SYSCTL)


@pytest.mark.parametrize("live, wanted, differs", [
    ("60000-60050", "60000-60050", False),
    ("60000-60050", "60000-60049,60050", False),          # the kernel prints merged ranges
    ("60000-60050", "60000-60051", True),
    ("", "60000-60050", True),
])
def test_reserved_ports_compare_as_the_kernel_prints_them(manifest, knobs, facts, live, wanted, differs):
    h = host(**{"sysctls/net.ipv4.ip_local_reserved_ports": live})
    sysctls = dict(knobs("baseline")["baseline_sysctls"], **{"net.ipv4.ip_local_reserved_ports": wanted})
    out = run(manifest, knobs, facts, h, baseline_sysctls=sysctls)
    assert bool(named(out, "sysctl")) is differs


def test_whitespace_in_values_compares_like_the_kernel_prints_it(manifest, knobs, facts):
    h = host(**{"sysctls/net.ipv4.tcp_rmem": "4096 131072 6291456"})
    out = run(manifest, knobs, facts, h, baseline_sysctls_extra={"net.ipv4.tcp_rmem": "4096\t131072  6291456"})
    assert named(out, "sysctl") == [] and out["done"]


def test_reserved_ports_follow_the_hccl_range(manifest, knobs, facts):
    k = bknobs(knobs, ascend_hccl_host_socket_port_range="auto")
    assert "net.ipv4.ip_local_reserved_ports" not in b.wanted_sysctls(k)
    k = bknobs(knobs, ascend_hccl_host_socket_port_range="50000-50100")
    assert b.wanted_sysctls(k)["net.ipv4.ip_local_reserved_ports"] == "50000-50100"


def test_extra_sysctls_merge_and_drop(manifest, knobs, facts):
    k = bknobs(knobs, baseline_sysctls_extra={"vm.swappiness": 1, "kernel.numa_balancing": False, "vm.max_map_count": 262144})
    assert b.wanted_sysctls(k) == {"vm.swappiness": "1", "net.ipv4.neigh.default.gc_thresh1": ">=8192",
                                   "net.ipv4.neigh.default.gc_thresh2": ">=32768",
                                   "net.ipv4.neigh.default.gc_thresh3": ">=65536",
                                   "net.ipv4.ip_local_reserved_ports": "60000-60050", "vm.max_map_count": "262144"}


MINIMUM = [
    # case, live gc_thresh3, boot entries after ours, step argv (None: no step), persisted, note
    ("stock 1024 is raised", "1024", [], "net.ipv4.neigh.default.gc_thresh3=65536", "65536", False),
    ("a larger value is kept and persisted", "262144", [], None, "262144", False),
    ("exactly the minimum", "65536", [], None, "65536", False),
    ("a later boot file with more is fine", "262144", [["/etc/sysctl.conf", "131072"]], None, "262144", False),
    ("a later boot file with less would undo it", "65536", [["/etc/sysctl.conf", "1024"]], None, "65536", True),
]


@pytest.mark.parametrize("case, live, later, argv, persisted, note", MINIMUM, ids=[c[0] for c in MINIMUM])
def test_at_least_values_never_lower(manifest, knobs, facts, case, live, later, argv, persisted, note):
    key = "net.ipv4.neigh.default.gc_thresh3"
    h = host(**{"sysctls/" + key: live, "sysctl_boot/" + key: [[SYSCTL, persisted]] + later})
    written = contents(manifest, knobs, facts, h)[SYSCTL]
    assert "%s = %s\n" % (key, persisted) in written
    out = run(manifest, knobs, facts, h)
    steps = [s["argv"][2] for s in named(out, "sysctl")]
    assert steps == ([argv] if argv else [])
    if argv:
        assert named(out, "sysctl")[0]["why"] == "sysctl %s: wanted at least 65536, found 1024" % key
    assert any(n.startswith("at boot /etc/sysctl.conf") for n in out["notes"]) is note


@pytest.mark.parametrize("value, least", [(">=8192", 8192), (" >= 10 ", 10), ("8192", None), (8192, None), (">8", None)])
def test_minimum(value, least):
    assert b.minimum(value) == least


@pytest.mark.parametrize("boot, note", [
    ([[SYSCTL, "10"]], None),
    ([["/usr/lib/sysctl.d/50-default.conf", "60"], [SYSCTL, "10"]], None),       # earlier: ours wins
    ([[SYSCTL, "10"], ["/etc/sysctl.d/99-tuned.conf", "60"]],
     "at boot /etc/sysctl.d/99-tuned.conf sets vm.swappiness = 60 after %s: the live value will not survive a reboot"
     % SYSCTL),
    ([[SYSCTL, "10"], ["/etc/sysctl.conf", "30"]],
     "at boot /etc/sysctl.conf sets vm.swappiness = 30 after %s: the live value will not survive a reboot" % SYSCTL),
    ([[SYSCTL, "10"], ["/etc/sysctl.conf", "10"]], None),                         # later, but the same value
])
def test_boot_files_that_would_undo_a_sysctl(manifest, knobs, facts, boot, note):
    h = host(**{"sysctl_boot/vm.swappiness": boot})
    notes = [n for n in run(manifest, knobs, facts, h)["notes"] if n.startswith("at boot")]
    assert notes == ([note] if note else [])


# ---- CPU governor -------------------------------------------------------------------------------

def test_governor_set_where_it_differs(manifest, knobs, facts):
    govs = {"cpu0": "performance", "cpu1": "powersave", "cpu2": "powersave", "cpu3": "schedutil", "cpu10": "powersave"}
    out = run(manifest, knobs, facts, host(**{"cpufreq/governors": govs}))
    paths = ["/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor" % i for i in (1, 2, 3, 10)]
    assert named(out, "governor") == [{
        "name": "governor", "argv": ["sh", "-c", 'g=$1; shift; for f; do echo "$g" > "$f"; done', "sh",
                                     "performance"] + paths,
        "why": "CPU governor: wanted performance, found powersave/schedutil on cpu1-3,10"}]


GOVERNOR_CASES = [
    # case, host changes, knobs, steps, problem, note
    ("not available", {"cpufreq/available": ["ondemand", "powersave"]}, {}, [],
     "CPU governor performance is not available on this node (available: ondemand powersave)", None),
    ("no cpufreq", {"cpufreq/present": False, "cpufreq/governors": {}}, {}, [], None,
     "no cpufreq on this node (no /sys/devices/system/cpu/cpu*/cpufreq): the CPU governor is not managed"),
    ("no systemd, no init.d", {"init": "other", "units": {b.GOVERNOR_UNIT: None}}, {}, [], None,
     "CPU governor performance is set until the next reboot only: neither systemd nor /etc/init.d on this node "
     "to persist it"),
    ("sysv init: a script started in runlevels 2-5", {"init": "other", "units": {b.GOVERNOR_UNIT: "not-found"}}, {},
     ["file", "rc_links"], None, None),
    ("unit disabled", {"units": {b.GOVERNOR_UNIT: "disabled"}}, {}, ["unit"], None, None),
    ("not persisted on request", {"units": {b.GOVERNOR_UNIT: "disabled"}}, {"baseline_cpu_governor_persist": False},
     [], None, None),
    ("another governor", {"cpufreq/governors": {"cpu0": "powersave"}}, {"baseline_cpu_governor": "powersave"}, ["file", "unit"],
     None, None),
    ("off", {"cpufreq/governors": {"cpu0": "powersave"}}, {"baseline_cpu_governor": ""}, [], None, None),
]


@pytest.mark.parametrize("case, changes, knob, steps, problem, note", GOVERNOR_CASES, ids=[c[0] for c in GOVERNOR_CASES])
def test_governor(manifest, knobs, facts, case, changes, knob, steps, problem, note):
    files = file_stats(contents(manifest, knobs, facts))        # the unit as the default knobs write it
    out = run(manifest, knobs, facts, host(**changes), files=files, **knob)
    assert [s["name"] for s in out["steps"] if s["name"] in ("governor", "unit", "file", "rc_links")] == steps
    assert out["problems"] == ([problem] if problem else [])
    if note:
        assert note in out["notes"]


def test_the_sysv_governor_script(manifest, knobs, facts):
    h = host(**{"init": "other", "units": {b.GOVERNOR_UNIT: "not-found"}})
    out = run(manifest, knobs, facts, h, files={})
    script, = [s for s in out["steps"] if s["name"] == "file" and s["dest"] == b.GOVERNOR_SCRIPT_PATH]
    assert script["mode"] == "0755" and "Default-Start:     2 3 4 5" in script["content"]
    assert 'echo performance > "$f"' in script["content"]
    links, = [s for s in out["steps"] if s["name"] == "rc_links"]
    assert links["argv"] == ["update-rc.d", "ascend-verl-cpu-governor", "defaults"]
    files = file_stats(contents(manifest, knobs, facts, h))
    h["units"][b.GOVERNOR_UNIT] = "disabled"           # the script is there, its links are not
    assert [s["name"] for s in run(manifest, knobs, facts, h, files=files)["steps"]] == ["rc_links"]
    h["units"][b.GOVERNOR_UNIT] = "enabled"
    assert run(manifest, knobs, facts, h, files=files)["steps"] == []


# ---- time ---------------------------------------------------------------------------------------

def chrony(**changes):
    return dict(host()["time"]["services"]["chrony"], **changes)


TIME_CASES = [
    # case, host changes, knobs, steps (name, detail)
    ("stopped and disabled", {"time/services/chrony": chrony(running=False, enabled="disabled"), "time/sync": None}, {},
     [("time_service", "started", "time service chrony: not running, not enabled at boot")]),
    ("sysv, enabling unknown", {"init": "other", "time/services/chrony": chrony(running=False, enabled=None),
                                "time/sync": None}, {"baseline_cpu_governor": False},
     [("time_service", "started", "time service chrony: not running")]),
    ("servers, no block yet", {}, {"baseline_ntp_servers": ["10.0.0.1", "ntp2.example"]},
     [("time_servers", "server 10.0.0.1 iburst\nserver ntp2.example iburst", CHRONY),
      ("time_service", "restarted", "time service chrony: restart for the new servers")]),
    ("servers in place", {"time/services/chrony": chrony(config={"path": CHRONY, "text": (
        "pool x iburst\n# BEGIN ascend_verl.cluster baseline: time servers\nserver 10.0.0.1 iburst\n"
        "# END ascend_verl.cluster baseline: time servers\n")})}, {"baseline_ntp_servers": ["10.0.0.1"]}, []),
    ("servers differ, stopped", {"time/services/chrony": chrony(running=False, config={"path": CHRONY, "text": (
        "# BEGIN ascend_verl.cluster baseline: time servers\nserver 10.0.0.9 iburst\n"
        "# END ascend_verl.cluster baseline: time servers\n")}), "time/sync": None},
     {"baseline_ntp_servers": ["10.0.0.1"], "baseline_ntp_options": ""},
     [("time_servers", "server 10.0.0.1", CHRONY), ("time_service", "started", "time service chrony: not running")]),
    ("timesyncd", {"time/service": "timesyncd", "time/sync": None, "time/services/timesyncd": {
        "installed": True, "name": "systemd-timesyncd", "running": True, "enabled": "enabled",
        "config": {"path": b.TIMESYNCD_DROPIN, "text": None}}}, {"baseline_ntp_servers": ["10.0.0.1", "10.0.0.2"]},
     [("time_servers", "[Time]\nNTP=10.0.0.1 10.0.0.2", b.TIMESYNCD_DROPIN),
      ("time_service", "restarted", "time service systemd-timesyncd: restart for the new servers")]),
    ("off", {"time/services/chrony": chrony(running=False)}, {"baseline_time_sync": False}, []),
]


@pytest.mark.parametrize("case, changes, knob, steps", TIME_CASES, ids=[c[0] for c in TIME_CASES])
def test_time(manifest, knobs, facts, case, changes, knob, steps):
    out = run(manifest, knobs, facts, host(**changes), **knob)
    got = []
    for s in out["steps"]:
        if s["name"] == "time_servers":
            got.append((s["name"], s["block"], s["path"]))
            assert s["marker"] == b.BLOCK_MARKER
        elif s["name"] == "time_service":
            got.append((s["name"], s["state"], s["why"]))
            assert s["enabled"] is True and s["service"] in ("chrony", "systemd-timesyncd")
    assert got == steps
    assert out["problems"] == []


@pytest.mark.parametrize("pkg, hint", [("apt", "apt-get install chrony"), ("dnf", "dnf install chrony"),
                                       (None, "the chrony package")])
def test_no_time_service_names_what_to_install(manifest, knobs, facts, pkg, hint):
    h = host(**{"time/service": None, "time/sync": None})
    out = b.baseline(manifest("seed"), facts("bare", host=h, files={}, **{"system.pkg_mgr": pkg}), bknobs(knobs), {})
    assert "no time service on this node (chrony, systemd-timesyncd or ntpd): install chrony (%s)" % hint in out["problems"]


@pytest.mark.parametrize("changes, note", [
    ({"time/sync": {"synced": False, "offset": None, "error_bound": None, "server": None, "source": "chronyc"}},
     "time: chrony runs but is not synchronised (yet)"),
    ({"time/sync": {"source": "chronyc -n tracking", "error": "506 Cannot talk to daemon"}},
     "time: the sync state of chrony cannot be read (506 Cannot talk to daemon)"),
])
def test_time_sync_state_is_reported(manifest, knobs, facts, changes, note):
    out = run(manifest, knobs, facts, host(**changes))
    assert note in out["notes"] and out["done"]


def test_masked_time_service_is_a_problem(manifest, knobs, facts):
    out = run(manifest, knobs, facts, host(**{"time/services/chrony": chrony(enabled="masked")}))
    assert out["problems"] == ["the time service chrony is masked (systemctl unmask chrony)"]


# ---- firewall -----------------------------------------------------------------------------------

def rule(port, source=None, proto="tcp"):
    return {"port": port, "proto": proto, "source": source}


FIREWALLD = {"active": "firewalld", "zone": "public", "error": None,
             "runtime": [rule("6766"), rule("60000-61050")], "permanent": [rule("6766")]}


def test_firewalld_opens_what_is_missing_runtime_and_permanent(manifest, knobs, facts):
    out = run(manifest, knobs, facts, host(firewall=copy.deepcopy(FIREWALLD)))
    assert [s["argv"] for s in named(out, "firewall")] == [
        ["firewall-cmd", "--zone=public", "--add-port=8260/tcp", "--add-port=6767/tcp", "--add-port=6768/tcp",
         "--add-port=10002-19999/tcp"],   # 60000-61050 covers both HCCL ranges
        ["firewall-cmd", "--permanent", "--zone=public", "--add-port=8260/tcp", "--add-port=60000-60050/tcp",
         "--add-port=61000-61050/tcp", "--add-port=6767/tcp", "--add-port=6768/tcp", "--add-port=10002-19999/tcp"]]
    assert named(out, "firewall")[0]["why"] == ("firewalld zone public (runtime): open 8260/tcp, 6767/tcp, 6768/tcp, "
                                                "10002-19999/tcp")


def test_firewalld_with_sources_and_a_zone(manifest, knobs, facts):
    fw = dict(FIREWALLD, runtime=[rule("1-65535", "10.20.0.0/16")], permanent=[])
    out = run(manifest, knobs, facts, host(firewall=fw), baseline_firewall_sources=["10.20.0.0/16", "fd00::/64"],
              baseline_firewall_zone="trusted", baseline_firewall_ports=["6766", "auto"])
    argvs = [s["argv"] for s in named(out, "firewall")]
    assert argvs == [
        ["firewall-cmd", "--zone=trusted",
         '--add-rich-rule=rule family="ipv6" source address="fd00::/64" port port="6766" protocol="tcp" accept'],
        ["firewall-cmd", "--permanent", "--zone=trusted",
         '--add-rich-rule=rule family="ipv4" source address="10.20.0.0/16" port port="6766" protocol="tcp" accept',
         '--add-rich-rule=rule family="ipv6" source address="fd00::/64" port port="6766" protocol="tcp" accept']]


def test_ufw_one_rule_per_missing_port(manifest, knobs, facts):
    rules = [rule("6766"), rule("8260", proto="udp"), rule("60000-60050", "10.0.0.0/8")]
    fw = {"active": "ufw", "zone": None, "error": None, "runtime": rules, "permanent": rules}
    out = run(manifest, knobs, facts, host(firewall=fw), ascend_hccl_npu_socket_port_range="auto")
    assert [s["argv"] for s in named(out, "firewall")] == [
        ["ufw", "allow", "proto", "tcp", "from", "any", "to", "any", "port", "8260"],
        ["ufw", "allow", "proto", "tcp", "from", "any", "to", "any", "port", "60000:60050"],   # only 10/8 had it
        ["ufw", "allow", "proto", "tcp", "from", "any", "to", "any", "port", "6767"],
        ["ufw", "allow", "proto", "tcp", "from", "any", "to", "any", "port", "6768"],
        ["ufw", "allow", "proto", "tcp", "from", "any", "to", "any", "port", "10002:19999"]]


def test_firewall_all_open_and_off(manifest, knobs, facts):
    everything = [rule("1-65535")]
    fw = dict(FIREWALLD, runtime=everything, permanent=everything)
    assert run(manifest, knobs, facts, host(firewall=fw))["done"]
    out = run(manifest, knobs, facts, host(firewall=copy.deepcopy(FIREWALLD)), baseline_firewall=False)
    assert out["done"] and not any("firewall" in n for n in out["notes"])


def test_firewall_ports_from_the_shared_knobs(knobs):
    assert b.firewall_ports(bknobs(knobs)) == [(6766, 6766), (8260, 8260), (60000, 60050), (61000, 61050), (6767, 6767),
                                               (6768, 6768), (10002, 19999)]
    k = bknobs(knobs, ascend_hccl_host_socket_port_range="auto", ascend_ray_port=8260)
    assert b.firewall_ports(k) == [(8260, 8260), (61000, 61050), (6767, 6767), (6768, 6768), (10002, 19999)]
    k = bknobs(knobs, ascend_ray_node_manager_port=7001, ascend_ray_object_manager_port=7002,
               ascend_ray_worker_port_range="20000-29999")
    assert b.firewall_ports(k)[4:] == [(7001, 7001), (7002, 7002), (20000, 29999)]


# ---- layer 1 ------------------------------------------------------------------------------------

with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "roles", "baseline", "meta",
                       "argument_specs.yml")) as _f:
    SPECS = yaml.safe_load(_f)["argument_specs"]["main"]["options"]


RULES = [
    ("baseline_nofile_soft", 65536, []),
    ("baseline_nofile_soft", "40000", []),
    ("baseline_nofile_soft", False, []),
    ("baseline_nofile_hard", "", []),
    ("baseline_nofile_hard", 1023, ["an integer >= 1024 (open files), or false to leave the limit alone"]),
    ("baseline_nofile_hard", "lots", ["an integer >= 1024 (open files), or false to leave the limit alone"]),
    ("baseline_nofile_hard", True, ["an integer >= 1024 (open files), or false to leave the limit alone"]),
    ("baseline_shm_size", "50%", []),
    ("baseline_shm_size", "64g", []),
    ("baseline_shm_size", "16384M", []),
    ("baseline_shm_size", False, []),
    ("baseline_shm_size", "150%", ["a tmpfs size: N% of RAM (1-100) or a size such as 64g or 16384m, or false"]),
    ("baseline_shm_size", "0", ["a tmpfs size: N% of RAM (1-100) or a size such as 64g or 16384m, or false"]),
    ("baseline_shm_size", "64 GB", ["a tmpfs size: N% of RAM (1-100) or a size such as 64g or 16384m, or false"]),
    ("baseline_sysctls", {"vm.swappiness": 10, "net/ipv4/conf/eth0.100/rp_filter": "2", "kernel.x": False}, []),
    ("baseline_sysctls_extra", {"vm swappiness": 10}, ["a sysctl key such as vm.swappiness"]),
    ("baseline_sysctls_extra", {"vm.a": [1], "vm.b": True}, ["a sysctl value (a number, a string or >=N), or false"] * 2),
    ("baseline_sysctls_extra", {"vm.max_map_count": ">=262144"}, []),
    ("baseline_limits_file", "/etc/security/limits.d/80-train.conf", []),
    ("baseline_limits_file", "/etc/security/limits.conf", ["a .conf file in /etc/security/limits.d"]),
    ("baseline_limits_file", "/etc/security/limits.d/train", ["a .conf file in /etc/security/limits.d"]),
    ("baseline_sysctl_file", "/usr/lib/sysctl.d/99-x.conf", []),
    ("baseline_sysctl_file", "/etc/sysctl.conf",
     ["a .conf file in /etc/sysctl.d or /run/sysctl.d or /usr/local/lib/sysctl.d or /usr/lib/sysctl.d"]),
    ("baseline_cpu_governor", "performance", []),
    ("baseline_cpu_governor", "", []),
    ("baseline_cpu_governor", "max speed", ["a plain name (letters, digits, _ . -)"]),
    ("baseline_firewall_zone", "", []),
    ("baseline_ntp_servers", ["10.0.0.1", "ntp.example.com", "fd00::1"], []),
    ("baseline_ntp_servers", ["ntp.example.com iburst"], ["a host name or address of a time server (no port, no spaces)"]),
    ("baseline_firewall_ports", ["6766", "60000-60050", "auto", "10002:19999"], []),
    ("baseline_firewall_ports", ["70000", "9-8", "ssh"], ["a port or LOW-HIGH range within 1-65535 (auto is skipped)"] * 3),
    ("baseline_firewall_sources", ["10.20.0.0/16", "10.0.0.5", "fd00::/64"], []),
    ("baseline_firewall_sources", ["10.20.0.0/33", "any"], ["an address or CIDR (for example 10.20.0.0/16)"] * 2),
]


@pytest.mark.parametrize("name, value, expected", RULES)
def test_layer1_rules(name, value, expected):
    spec = SPECS[name]
    converted, found = layer1.convert_option(name, spec, value)
    assert found == []
    assert [p["expected"] for p in layer1.check_rule(name, spec, converted, value)] == expected


def test_every_baseline_knob_has_a_rule_or_a_type_that_says_enough():
    plain = {"baseline_cpu_governor_persist", "baseline_time_sync", "baseline_firewall", "baseline_ntp_options"}
    for name in SPECS:
        assert layer1.rule_for(name)[0] or name in plain, name


def test_every_step_the_planner_makes_has_a_task_that_acts_on_it(manifest, knobs, facts):
    """Commands carry argv (one command task runs them all); every other step name is selected
    by a task of roles/baseline/tasks/main.yml."""
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "roles", "baseline", "tasks",
                           "main.yml")) as f:
        tasks = f.read()
    worst = host(**{"shm/bytes": 1, "shm/fstab": [], "sysctls/vm.swappiness": "60", "units": {},
                    "cpufreq/governors": {"cpu0": "powersave"}, "firewall": copy.deepcopy(FIREWALLD),
                    "time/services/chrony": chrony(running=False, enabled="disabled")})
    steps = run(manifest, knobs, facts, worst, files={}, baseline_ntp_servers=["10.0.0.1"])["steps"]
    steps += run(manifest, knobs, facts, host(**{"shm/mounted": False}))["steps"]
    names = set(s["name"] for s in steps)
    assert names == {"file", "fstab", "remount", "mount", "sysctl", "governor", "unit", "time_servers", "time_service",
                     "firewall"}
    for step in steps:
        assert "argv" in step or "selectattr('name', 'equalto', '%s')" % step["name"] in tasks, step["name"]


def test_settings_for_the_audit(knobs):
    k = bknobs(knobs)
    good = b.settings(host(), k)
    assert all(v["ok"] for v in good.values()), good
    assert good["nofile"] == {"found": "65536/65536", "expected": ">=65536/>=65536", "ok": True}
    assert good["shm"]["found"] == "51200M" and good["governor"]["found"] == "performance"
    assert good["time_sync"]["found"] == "chrony running, synced"
    bad = b.settings(host(**{"user/nofile": {"soft": 1024, "hard": 4096}, "sysctls/vm.swappiness": "60",
                             "shm/bytes": 64 << 20, "cpufreq/governors": {"cpu0": "schedutil", "cpu1": "performance"}}),
                     k)
    assert sorted(n for n, v in bad.items() if not v["ok"]) == ["governor", "nofile", "shm", "vm.swappiness"]
    assert bad["governor"]["found"] == "performance/schedutil"
    off = b.settings(host(), bknobs(knobs, baseline_nofile_soft=False, baseline_nofile_hard=False,
                                    baseline_cpu_governor="", baseline_time_sync=False))
    assert off["nofile"]["expected"] is None and off["governor"]["expected"] is None and off["time_sync"]["ok"]
