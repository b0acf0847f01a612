"""The Ray reader (ray_facts.gather) on fake node trees: a head under systemd, a worker under
SysV init, a node without Ray or an init system; start times from recorded /proc/PID/stat lines
and the boot time; the raylet's flags from a recorded command line."""

import os
import re

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import node_facts, ray_facts
from test_host_facts import Runner, StatVfs, write

GiB = 1 << 30
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "ray")
BTIME = 1796164585
HZ = os.sysconf("SC_CLK_TCK")
RAYLET_TICKS, GCS_TICKS = 2737734, 2735726            # field 22 of the recorded stat lines
RAYLET_PID, GCS_PID, IDLE_PID, AGENT_PID = 4242, 4199, 4300, 4250
PROC_STAT = ("cpu  2255 34 2290 22625563 6290 127 456 0 0 0\nintr 114930548 113199788 3 0 5 263 0 0 0 0\n"
             "ctxt 1990473\nbtime %d\nprocesses 2915\nprocs_running 1\nprocs_blocked 0\n" % BTIME)
AGENT = ["/opt/miniforge3/envs/verl-sglang/bin/python3.11", "-u",
         "/opt/miniforge3/envs/verl-sglang/lib/python3.11/site-packages/ray/dashboard/agent.py",
         "--node-ip-address=198.18.0.11", "--node-manager-port=RAY_NODE_MANAGER_PORT_PLACEHOLDER"]
GCS = ["/opt/miniforge3/envs/verl-sglang/lib/python3.11/site-packages/ray/core/src/ray/gcs/gcs_server",
       "--log_dir=/tmp/ray/session_2026-12-02_06-12-22_999117_21841/logs", "--gcs_server_port=6766",
       "--node-ip-address=198.18.0.11"]


def recorded(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def raylet_argv(role="head"):
    """The recorded head raylet's argv; a worker's is the same without --head and the head's
    resource, on 198.18.0.12 (the GCS address stays the head's)."""
    argv = recorded("raylet_head.argv").splitlines()
    if role == "head":
        return argv
    argv = [re.sub(r"198\.18\.0\.11(?!:6766)", "198.18.0.12", a) for a in argv if a != "--head"]
    return [a.replace(",node:__internal_head__,1.0", "") for a in argv]


def process(root, pid, argv, stat=None, pad=0):
    """/proc/PID/cmdline as the kernel shows it (NUL after every argument; `pad` NULs more, as a
    process that rewrote its title leaves them) and /proc/PID/stat."""
    write(root, "/proc/%d/cmdline" % pid, b"".join(a.encode() + b"\0" for a in argv) + b"\0" * pad)
    if stat:
        write(root, "/proc/%d/stat" % pid, re.sub(r"^\d+ ", "%d " % pid, recorded(stat)))


def node(root, role="head", init="systemd"):
    """A node running Ray: /proc with its raylet (and GCS server on the head), a Ray worker
    whose title is ray::IDLE, the dashboard agent, a kernel thread, init; RAM and /dev/shm."""
    write(root, "/proc/stat", PROC_STAT)
    write(root, "/proc/meminfo", "MemTotal:       1583333332 kB\nMemFree:        1 kB\n")
    write(root, "/proc/self/mounts", "proc /proc proc rw 0 0\ntmpfs /dev/shm tmpfs rw,nosuid,nodev,size=791666666k 0 0\n")
    os.makedirs(os.path.join(str(root), "dev/shm"), exist_ok=True)
    process(root, 1, ["/sbin/init", "splash"])
    process(root, 2, [])                                  # kthreadd: an empty command line
    process(root, RAYLET_PID, raylet_argv(role), "raylet.stat")
    process(root, IDLE_PID, ["ray::IDLE"], pad=64)
    process(root, AGENT_PID, AGENT)
    if role == "head":
        process(root, GCS_PID, GCS, "gcs_server.stat")
    if init == "systemd":
        os.makedirs(os.path.join(str(root), "run/systemd/system"))
        write(root, "/etc/systemd/system/ray.service", "[Unit]\n")
    elif init == "sysv":
        write(root, "/etc/init.d/ray", "#!/bin/sh\n", 0o755)
        os.makedirs(os.path.join(str(root), "etc/rc3.d"))
        os.symlink("../init.d/ray", os.path.join(str(root), "etc/rc3.d/S01ray"))
        write(root, "/usr/sbin/update-rc.d", "#!/bin/sh\n", 0o755)


def gather(root, run, shm=700 * GiB):
    return ray_facts.gather(run, node_facts.Node(str(root)), "ray", statvfs=lambda path: StatVfs(shm))


RAYLET_PORTS = {"node_manager_port": 6767, "object_manager_port": 6768, "min_worker_port": 10002,
                "max_worker_port": 19999}


def test_a_head_under_systemd(tmp_path):
    node(tmp_path)
    run = Runner({"systemctl is-enabled ray.service": (0, "enabled\n", "")})
    got = gather(tmp_path, run)
    assert got == {
        "running": True, "head": True, "pids": {"gcs_server": GCS_PID, "raylet": RAYLET_PID},
        "started": round(BTIME + RAYLET_TICKS / float(HZ), 2),
        "raylet": {"node_ip_address": "198.18.0.11", "npus": 8.0, "ports": RAYLET_PORTS,
                   "resources": {"NPU": 8.0, "node:198.18.0.11": 1.0, "node:__internal_head__": 1.0, "CPU": 192.0,
                                 "memory": 1236950581248.0, "object_store_memory": 58982400000.0}},
        "service": {"init": "systemd", "state": "enabled", "rc_tool": None},
        "memory": 1583333332 * 1024, "shm": 700 * GiB}
    assert run.calls == [["systemctl", "is-enabled", "ray.service"]]


def test_a_worker_under_sysv_init(tmp_path):
    node(tmp_path, role="worker", init="sysv")
    run = Runner()
    got = gather(tmp_path, run)
    assert (got["running"], got["head"], got["pids"]) == (True, False, {"raylet": RAYLET_PID})
    assert got["raylet"]["node_ip_address"] == "198.18.0.12" and got["raylet"]["npus"] == 8.0
    assert sorted(got["raylet"]["resources"]) == ["CPU", "NPU", "memory", "node:198.18.0.12", "object_store_memory"]
    assert got["service"] == {"init": "sysv", "state": "enabled", "rc_tool": "update-rc.d"}
    assert run.calls == []                              # nothing asked: the rc links say it


def test_a_node_without_ray_or_an_init_system(tmp_path):
    write(tmp_path, "/proc/stat", PROC_STAT)
    process(tmp_path, 1, ["/sbin/init"])
    process(tmp_path, IDLE_PID, ["ray::IDLE"], pad=8)  # a leftover worker is not Ray running
    got = gather(tmp_path, Runner())
    assert got == {"running": False, "head": False, "pids": {}, "started": None, "raylet": None,
                   "service": {"init": "none", "state": None, "rc_tool": None}, "memory": None, "shm": None}


def test_systemd_without_the_unit_and_sysv_without_the_script(tmp_path):
    os.makedirs(os.path.join(str(tmp_path), "run/systemd/system"))
    run = Runner({"systemctl is-enabled ray.service": (1, "", "Failed to get unit file state for ray.service: "
                                                              "No such file or directory\n")})
    assert ray_facts.service(run, node_facts.Node(str(tmp_path)), "ray") == {
        "init": "systemd", "state": "not-found", "rc_tool": None}
    sysv = tmp_path / "sysv"
    os.makedirs(str(sysv / "etc" / "init.d"))
    write(sysv, "/sbin/chkconfig", "#!/bin/sh\n", 0o755)
    assert ray_facts.service(Runner(), node_facts.Node(str(sysv)), "ray") == {
        "init": "sysv", "state": "not-found", "rc_tool": "chkconfig"}
    write(sysv, "/etc/init.d/ray", "#!/bin/sh\n", 0o755)
    assert ray_facts.service(Runner(), node_facts.Node(str(sysv)), "ray")["state"] == "disabled"


def test_a_raylet_gone_between_its_cmdline_and_its_stat(tmp_path):
    """The process list is read one file at a time: a raylet whose stat is gone has no start time."""
    write(tmp_path, "/proc/stat", PROC_STAT)
    process(tmp_path, RAYLET_PID, raylet_argv("worker"))
    got = ray_facts.processes(node_facts.Node(str(tmp_path)))
    assert [(p["pid"], p["name"], p["started"]) for p in got] == [(RAYLET_PID, "raylet", None)]


def test_processes_sorted_by_pid_with_their_start_times(tmp_path):
    node(tmp_path)
    got = ray_facts.processes(node_facts.Node(str(tmp_path)))
    assert [(p["pid"], p["name"], p["started"]) for p in got] == [
        (GCS_PID, "gcs_server", round(BTIME + GCS_TICKS / float(HZ), 2)),
        (RAYLET_PID, "raylet", round(BTIME + RAYLET_TICKS / float(HZ), 2))]
    assert got[1]["argv"] == raylet_argv()


# ---- start times ---------------------------------------------------------------------------------

STAT = recorded("raylet.stat")
START_CASES = [
    # case, stat text, btime, hz, started
    ("recorded raylet", STAT, BTIME, 100, BTIME + 27377.34),
    ("another clock tick", STAT, BTIME, 250, round(BTIME + RAYLET_TICKS / 250.0, 2)),
    ("a title with ') ' in it", STAT.replace("(raylet)", "(ray::a) b)"), BTIME, 100, BTIME + 27377.34),
    ("no boot time", STAT, None, 100, None),
    ("no stat", None, BTIME, 100, None),
    ("empty stat", "", BTIME, 100, None),
    ("cut short", STAT[:60], BTIME, 100, None),
    ("not a number", re.sub(r"^((?:\S+ ){21})\d+", r"\1x", STAT), BTIME, 100, None),
]


@pytest.mark.parametrize("case, text, btime, hz, started", START_CASES, ids=[c[0] for c in START_CASES])
def test_start_time(case, text, btime, hz, started):
    assert ray_facts.start_time(text, btime, hz) == (pytest.approx(started, abs=0.005) if started else None)


@pytest.mark.parametrize("text, btime", [(PROC_STAT, BTIME), ("cpu 1 2 3\nintr 4\n", None), (None, None)])
def test_boot_time(tmp_path, text, btime):
    if text is not None:
        write(tmp_path, "/proc/stat", text)
    assert ray_facts.boot_time(node_facts.Node(str(tmp_path))) == btime


# ---- the raylet's flags --------------------------------------------------------------------------

ARGS_CASES = [
    # case, argv, (address, npus, ports, resources or None for "do not compare")
    ("recorded worker", raylet_argv("worker"), ("198.18.0.12", 8.0, RAYLET_PORTS, None)),
    ("no resources", ["raylet", "--node_ip_address=10.0.0.1"], ("10.0.0.1", 0, {}, {})),
    ("no NPU resource", ["raylet", "--static_resource_list=CPU,4,memory,1024"], (None, 0, {}, {"CPU": 4.0, "memory": 1024.0})),
    ("half an NPU", ["raylet", "--static_resource_list=NPU,0.5"], (None, 0.5, {}, {"NPU": 0.5})),
    ("a value that is no number", ["raylet", "--static_resource_list=NPU,eight,CPU,4"], (None, 0, {}, {"CPU": 4.0})),
    ("an odd item left over", ["raylet", "--static_resource_list=CPU,4,NPU"], (None, 0, {}, {"CPU": 4.0})),
    ("a port placeholder", ["raylet", "--node_manager_port=RAY_NODE_MANAGER_PORT_PLACEHOLDER", "--min_worker_port=0",
                            "--max_worker_port=", "--head"], (None, 0, {"min_worker_port": 0}, {})),
    ("the argv[0] is not a flag", ["--node_ip_address=10.0.0.9"], (None, 0, {}, {})),
]


@pytest.mark.parametrize("case, argv, want", ARGS_CASES, ids=[c[0] for c in ARGS_CASES])
def test_raylet_args(case, argv, want):
    got = ray_facts.raylet_args(argv)
    address, npus, ports, resources = want
    assert (got["node_ip_address"], got["npus"], got["ports"]) == (address, npus, ports)
    if resources is not None:
        assert got["resources"] == resources


def test_flags_inside_other_flags_are_not_the_raylets():
    """The worker and agent command lines are one argument each: their --node-ip-address is not
    the raylet's own flag."""
    argv = ["raylet", "--python_worker_command=python default_worker.py --node-ip-address=10.9.9.9",
            "--node_ip_address=198.18.0.11"]
    assert ray_facts.raylet_args(argv)["node_ip_address"] == "198.18.0.11"


# ---- through the module's reader ---------------------------------------------------------------

def test_through_ascend_facts_reader(tmp_path):
    """node_facts.gather hands the ray option (the service name) to this reader and publishes
    the result as ray; without it, ray is null."""
    node(tmp_path)
    run = Runner({"systemctl is-enabled ray.service": (0, "disabled\n", "")})
    facts = node_facts.gather(run, root=str(tmp_path), uname=("6.1.0", "x86_64"), ray="ray")
    ray = facts["ray"]
    assert (ray["running"], ray["head"], ray["service"]["state"]) == (True, True, "disabled")
    assert ray["started"] == round(BTIME + RAYLET_TICKS / float(HZ), 2)
    assert isinstance(ray["shm"], int)                  # the real statvfs of the tree's /dev/shm
    assert node_facts.gather(Runner(), root=str(tmp_path), uname=("6.1.0", "x86_64"))["ray"] is None
