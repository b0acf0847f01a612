"""The Ray service planner: head and worker command lines, the systemd unit and the SysV script
(checked by systemd-analyze, sh -n and shellcheck where they exist), the object store's size,
what stops a node (no route, no NPU, no init system, a bad size), and when Ray is installed,
written, enabled, started, restarted or stopped."""

import copy
import hashlib
import os
import resource
import shutil
import subprocess

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans import ray as r

GiB = 1 << 30
MEM, SHM = 100 * GiB, 64 * GiB
HEAD, WORKER = "198.18.0.11", "198.18.0.12"
NIC = "enp189s0f0"
UNIT = "/etc/systemd/system/ray.service"
SCRIPT = "/etc/init.d/ray"
ENV = "/etc/ascend_verl/npu.env"
RAY = "/opt/miniforge3/envs/verl-sglang/bin/ray"
STARTED = 1796191962.34                     # the raylet's start, epoch seconds (ray_facts)
STORE = str(30 * MEM // 100)                # ray_object_store_memory 30% of RAM, below 90% of /dev/shm
COMMON = ["--node-manager-port=6767", "--object-manager-port=6768", "--min-worker-port=10002",
          "--max-worker-port=19999", '--resources={"NPU":8}', "--object-store-memory=" + STORE, "--temp-dir=/tmp/ray",
          "--disable-usage-stats"]
HEAD_ARGV = [RAY, "start", "--head", "--port=6766", "--include-dashboard=true", "--dashboard-host=0.0.0.0",
             "--dashboard-port=8260", "--node-ip-address=" + HEAD] + COMMON
WORKER_ARGV = [RAY, "start", "--address=%s:6766" % HEAD, "--node-ip-address=" + WORKER] + COMMON


def address(role):
    return HEAD if role == "head" else WORKER


def inputs(role):
    return {"head": role == "head", "head_address": HEAD, "host": "node1" if role == "head" else "node2"}


def state(role="head", init="systemd", running=True, **changes):
    """facts["ray"] as ray_facts.gather reads it: Ray running as planned, the service enabled.
    A change key is a path: "raylet/npus", "service/state"."""
    out = {"running": running, "head": running and role == "head",
           "pids": ({"gcs_server": 4199, "raylet": 4242} if role == "head" else {"raylet": 4242}) if running else {},
           "started": STARTED if running else None,
           "raylet": {"node_ip_address": address(role), "npus": 8.0, "resources": {"NPU": 8.0, "CPU": 192.0},
                      "ports": {"node_manager_port": 6767, "object_manager_port": 6768, "min_worker_port": 10002,
                                "max_worker_port": 19999}} if running else None,
           "service": {"init": init, "state": "enabled" if init != "none" else None,
                       "rc_tool": "update-rc.d" if init == "sysv" else None},
           "memory": MEM, "shm": SHM}
    for key, value in changes.items():
        *path, last = key.split("/")
        target = out
        for part in path:
            target = target[part]
        target[last] = value
    return out


def node(facts, role="head", ray=None, files=None, **overrides):
    overrides.setdefault("route", {"dev": NIC, "src": address(role), "ifname": NIC})
    return facts("full", ray=state(role) if ray is None else ray, files=files or {}, **overrides)


def stats(content, mode, mtime):
    return {"exists": True, "checksum": hashlib.sha1(content.encode()).hexdigest(), "mode": mode, "owner": "root",
            "group": "root", "mtime": mtime}


def written(manifest, knobs, facts, role="head", init="systemd", knob=None):
    """The service file a first run writes: (dest, content, mode)."""
    out = r.ray(manifest("seed"), node(facts, role, state(role, init, running=False)), knobs("ray", **(knob or {})),
                inputs(role))
    step = next(s for s in out["steps"] if s["name"] == "file")
    return step["dest"], step["content"], step["mode"]


def converged(manifest, knobs, facts, role="head", init="systemd", knob=None, unit_age=3600, env_age=7200):
    """The node's files as a run left them: the service file as planned, both written before Ray started."""
    dest, content, mode = written(manifest, knobs, facts, role, init, knob)
    return {dest: stats(content, mode, STARTED - unit_age),
            ENV: stats("ASCEND_RT_VISIBLE_DEVICES=0\n", "0644", STARTED - env_age)}


def run(manifest, knobs, facts, role="head", init="systemd", ray=None, files=None, knob=None, **overrides):
    if files is None:
        files = converged(manifest, knobs, facts, role, init, knob)
    ray = state(role, init) if ray is None else ray
    return r.ray(manifest("seed"), node(facts, role, ray, files, **overrides), knobs("ray", **(knob or {})),
                 inputs(role))


def names(out):
    return [s["name"] for s in out["steps"]]


# ---- a node that is right, and one seen the first time -----------------------------------------

@pytest.mark.parametrize("role", ["head", "worker"])
@pytest.mark.parametrize("init", ["systemd", "sysv"])
def test_a_node_that_is_right_is_done(manifest, knobs, facts, role, init):
    out = run(manifest, knobs, facts, role, init)
    assert (out["problems"], out["steps"], out["done"], out["restart"]) == ([], [], True, False)
    assert (out["ray_role"], out["init"], out["service"]) == (role, init, "ray")
    assert out["service_file"] == (UNIT if init == "systemd" else SCRIPT)
    assert out["node"] == {"name": inputs(role)["host"], "address": address(role), "npus": 8}
    assert out["settings"] == {"ray_service": {"found": "%s running, %s enabled" % (role, init),
                                               "expected": "%s running, enabled" % role, "ok": True}}


def test_a_first_run_writes_enables_and_starts(manifest, knobs, facts):
    out = run(manifest, knobs, facts, ray=state(running=False, **{"service/state": "not-found"}), files={})
    assert names(out) == ["file", "enable", "start"]
    step = out["steps"][0]
    assert (step["dest"], step["mode"], step["owner"], step["group"], step["why"]) == (
        UNIT, "0644", "root", "root", UNIT + ": absent")
    assert out["steps"][1] == {"name": "enable", "init": "systemd", "daemon_reload": True,
                               "argv": ["update-rc.d", "ray", "defaults"], "why": UNIT + " at boot: written"}
    assert out["steps"][2] == {"name": "start", "why": "Ray head: not running"}
    assert out["restart"] is False and out["changes"] == [UNIT + ": absent", UNIT + " at boot: written",
                                                          "Ray head: not running"]
    assert out["settings"]["ray_service"] == {"found": "stopped, systemd not-found", "expected": "head running, enabled",
                                              "ok": False}


def test_a_first_run_on_sysv(manifest, knobs, facts):
    out = run(manifest, knobs, facts, "worker", "sysv",
              ray=state("worker", "sysv", running=False, **{"service/state": "not-found"}), files={})
    assert names(out) == ["file", "enable", "start"]
    assert (out["steps"][0]["dest"], out["steps"][0]["mode"]) == (SCRIPT, "0755")
    assert out["steps"][1] == {"name": "enable", "init": "sysv", "daemon_reload": False,
                               "argv": ["update-rc.d", "ray", "defaults"], "why": SCRIPT + " at boot: written"}
    chkconfig = state("worker", "sysv", running=False, **{"service/rc_tool": "chkconfig", "service/state": "disabled"})
    out = run(manifest, knobs, facts, "worker", "sysv", ray=chkconfig)
    assert names(out) == ["enable", "start"]
    assert out["steps"][0]["argv"] == ["chkconfig", "--add", "ray"]
    assert out["steps"][0]["why"] == SCRIPT + " at boot: disabled"


# ---- the env's Ray --------------------------------------------------------------------------------

@pytest.mark.parametrize("found, why", [
    (None, "ray in the env: wanted 2.46.0, found nothing"),
    ("2.49.0", "ray in the env: wanted 2.46.0, found 2.49.0"),
    ("2.46.0", None),
])
def test_ray_is_the_manifests(manifest, knobs, facts, found, why):
    want = manifest("seed")["components"]["ray"]["version"]
    out = run(manifest, knobs, facts, **{"conda.env.packages.ray": found})
    pips = [s for s in out["steps"] if s["name"] == "pip"]
    if why is None:
        assert pips == [] and out["done"]
        return
    assert names(out) == ["pip"]       # the service file, its state and the running Ray are right
    assert pips == [{"name": "pip", "verb": "install", "what": "ray %s" % want, "args": ["ray[default]==%s" % want],
                     "why": why}]
    assert out["settings"]["ray_service"]["ok"] is False


# ---- start and restart ----------------------------------------------------------------------------

RESTART_CASES = [
    # case, role, ray changes, file mtimes (path: seconds after the start), steps, why of the last step
    ("not running", "head", {"running": False, "raylet": None, "started": None, "pids": {}, "head": False}, {},
     ["start"], "Ray head: not running"),
    ("disabled", "worker", {"service/state": "disabled"}, {}, ["enable"], UNIT + " at boot: disabled"),
    ("disabled and stopped", "worker", {"service/state": "disabled", "running": False}, {}, ["enable", "start"],
     "Ray worker: not running"),
    ("env file changed after the start", "head", {}, {ENV: 30}, ["restart"],
     "Ray head: restart, %s changed after Ray started" % ENV),
    ("env file in the second before the start", "worker", {}, {ENV: -0.5}, ["restart"],
     "Ray worker: restart, %s changed after Ray started" % ENV),
    ("env file 1.5 s before the start", "worker", {}, {ENV: -1.5}, [], None),
    ("unit touched after the start", "head", {}, {UNIT: 5}, ["restart"],
     "Ray head: restart, %s changed after Ray started" % UNIT),
    ("start time unknown", "head", {"started": None}, {}, ["restart"],
     "Ray head: restart, %s changed after Ray started" % UNIT),
    ("another address", "worker", {"raylet/node_ip_address": "10.20.0.99"}, {}, ["restart"],
     "Ray worker: restart, it runs on address 10.20.0.99, wanted %s" % WORKER),
    ("flags unread", "worker", {"raylet": None}, {}, ["restart"],
     "Ray worker: restart, it runs on address None, wanted %s" % WORKER),
    ("another NPU count", "head", {"raylet/npus": 4.0}, {}, ["restart"], "Ray head: restart, it offers 4.0 NPUs, wanted 8"),
]


@pytest.mark.parametrize("case, role, changes, mtimes, steps, why", RESTART_CASES, ids=[c[0] for c in RESTART_CASES])
def test_start_and_restart(manifest, knobs, facts, case, role, changes, mtimes, steps, why):
    files = converged(manifest, knobs, facts, role)
    for path, after in mtimes.items():
        files[path]["mtime"] = STARTED + after
    out = run(manifest, knobs, facts, role, ray=state(role, **changes), files=files)
    assert names(out) == steps
    assert out["restart"] is ("restart" in steps)
    assert (out["steps"][-1]["why"] if steps else None) == why
    assert out["problems"] == []


def test_a_changed_unit_is_written_reloaded_and_restarts_ray(manifest, knobs, facts):
    """The node runs Ray from an older unit (another object store size): write it, reload systemd,
    restart; the unit's mtime is not asked (it is about to change)."""
    files = converged(manifest, knobs, facts, knob={"ray_object_store_memory": "20%"})
    out = run(manifest, knobs, facts, files=files)
    assert names(out) == ["file", "enable", "restart"]
    assert out["steps"][0]["why"] == UNIT + ": content differs"
    assert out["steps"][1]["daemon_reload"] is True
    assert out["steps"][2]["why"] == "Ray head: restart, its service file changes"
    assert out["restart"] is True


def test_a_unit_of_another_mode_is_rewritten(manifest, knobs, facts):
    files = converged(manifest, knobs, facts)
    files[UNIT]["mode"] = "0755"
    out = run(manifest, knobs, facts, files=files)
    assert names(out) == ["file", "enable", "restart"]
    assert out["steps"][0]["why"] == UNIT + ": mode 0755, wanted 0644"


def test_a_worker_follows_the_head_and_its_npus(manifest, knobs, facts):
    """A worker's unit names the head's address; a new head (another address) rewrites it."""
    files = converged(manifest, knobs, facts, "worker")
    moved = dict(inputs("worker"), head_address="198.18.0.13")
    out = r.ray(manifest("seed"), node(facts, "worker", files=files), knobs("ray"), moved)
    assert names(out) == ["file", "enable", "restart"]
    assert "--address=198.18.0.13:6766" in out["steps"][0]["content"]
    a3 = node(facts, "worker", files=files, devices=16)
    out = r.ray(manifest("seed"), a3, knobs("ray"), inputs("worker"))
    assert names(out) == ["file", "enable", "restart"]
    assert """'--resources={"NPU":16}'""" in out["steps"][0]["content"]


# ---- stopped ----------------------------------------------------------------------------------------

STOP_CASES = [
    # case, ray state, other facts, steps, found
    ("running", state(), {}, [{"name": "stop", "why": "Ray head: running, wanted stopped"}],
     "head running, systemd enabled"),
    ("already stopped", state(running=False), {}, [], "stopped, systemd enabled"),
    ("running on a node with problems", state(), {"route": None, "devices": 0},
     [{"name": "stop", "why": "Ray head: running, wanted stopped"}], "head running, systemd enabled"),
    ("never read", {}, {}, [], "stopped, no init not installed"),
]


@pytest.mark.parametrize("case, ray, overrides, steps, found", STOP_CASES, ids=[c[0] for c in STOP_CASES])
def test_stopped_stops_and_nothing_else(manifest, knobs, facts, case, ray, overrides, steps, found):
    out = run(manifest, knobs, facts, ray=copy.deepcopy(ray), files=converged(manifest, knobs, facts),
              knob={"ray_cluster_state": "stopped"}, **dict({"conda.env.packages.ray": "2.49.0"}, **overrides))  # no pip
    assert (out["problems"], out["steps"], out["restart"]) == ([], steps, False)
    assert out["settings"] == {"ray_service": {"found": found, "expected": "stopped", "ok": not steps}}


# ---- what stops a node -----------------------------------------------------------------------------

PROBLEM_CASES = [
    # case, ray changes, other facts, knobs, problems
    ("no route", {}, {"route": {"dev": None, "src": None, "ifname": None,
                                "error": "RTNETLINK answers: Network is unreachable"}}, {},
     ["no address routes to the Ray head (RTNETLINK answers: Network is unreachable)"]),
    ("no head address asked", {}, {"route": None}, {}, ["no address routes to the Ray head (no route)"]),
    ("no devices", {}, {"devices": 0}, {},
     ["no /dev/davinciN on this node: the driver is not loaded, Ray would offer no NPU"]),
    ("no init system", {"service": {"init": "none", "state": None, "rc_tool": None}}, {}, {},
     ["neither systemd nor /etc/init.d on this node: nothing can keep Ray running"]),
    ("Ray not read at all", None, {}, {},
     ["ray_object_store_memory '30%' is not N% of RAM or a size",
      "neither systemd nor /etc/init.d on this node: nothing can keep Ray running"]),
    ("a size that is none", {}, {}, {"ray_object_store_memory": "lots"},
     ["ray_object_store_memory 'lots' is not N% of RAM or a size"]),
    ("a share of unknown RAM", {"memory": None}, {}, {},
     ["ray_object_store_memory '30%' is not N% of RAM or a size"]),
    ("everything", {"service": {"init": "none", "state": None, "rc_tool": None}},
     {"route": None, "devices": 0}, {"ray_object_store_memory": "0"},
     ["no address routes to the Ray head (no route)",
      "no /dev/davinciN on this node: the driver is not loaded, Ray would offer no NPU",
      "ray_object_store_memory '0' is not N% of RAM or a size",
      "neither systemd nor /etc/init.d on this node: nothing can keep Ray running"]),
]


@pytest.mark.parametrize("case, changes, overrides, knob, problems", PROBLEM_CASES, ids=[c[0] for c in PROBLEM_CASES])
def test_problems(manifest, knobs, facts, case, changes, overrides, knob, problems):
    ray = {} if changes is None else state(running=False, **changes)
    out = run(manifest, knobs, facts, ray=ray, files={}, knob=knob, **overrides)
    assert out["problems"] == problems
    assert out["steps"] == [] and not out["done"] and "service_file" not in out
    assert out["settings"]["ray_service"]["ok"] is False


def test_problems_still_name_the_ray_to_install(manifest, knobs, facts):
    out = run(manifest, knobs, facts, ray=state(running=False), files={}, devices=0,
              **{"conda.env.packages.ray": "2.49.0"})
    assert names(out) == ["pip"] and len(out["problems"]) == 1


# ---- the command line -------------------------------------------------------------------------------

ARGV_CASES = [
    # case, role, knobs, argv
    ("head", "head", {}, HEAD_ARGV),
    ("worker", "worker", {}, WORKER_ARGV),
    ("head without the dashboard", "head", {"ray_include_dashboard": False},
     [RAY, "start", "--head", "--port=6766", "--include-dashboard=false", "--node-ip-address=" + HEAD] + COMMON),
    ("worker without the dashboard", "worker", {"ray_include_dashboard": False}, WORKER_ARGV),
    ("CPUs and more arguments", "worker", {"ray_num_cpus": 64, "ray_start_args": ["--labels={\"rack\":\"r1\"}", 7]},
     WORKER_ARGV + ["--num-cpus=64", '--labels={"rack":"r1"}', "7"]),
    ("other ports, env and temp dir", "head",
     {"ascend_ray_port": 7766, "ascend_ray_dashboard_port": 9260, "ascend_ray_node_manager_port": 7767,
      "ascend_ray_object_manager_port": 7768, "ascend_ray_worker_port_range": "20000 - 29999",
      "ascend_conda_prefix": "/srv/conda/", "ascend_conda_env": "rl", "ray_temp_dir": "/data/ray"},
     ["/srv/conda/envs/rl/bin/ray", "start", "--head", "--port=7766", "--include-dashboard=true",
      "--dashboard-host=0.0.0.0", "--dashboard-port=9260", "--node-ip-address=" + HEAD, "--node-manager-port=7767",
      "--object-manager-port=7768", "--min-worker-port=20000", "--max-worker-port=29999", '--resources={"NPU":8}',
      "--object-store-memory=" + STORE, "--temp-dir=/data/ray", "--disable-usage-stats"]),
]


@pytest.mark.parametrize("case, role, knob, argv", ARGV_CASES, ids=[c[0] for c in ARGV_CASES])
def test_start_argv(manifest, knobs, facts, case, role, knob, argv):
    assert r.start_argv(knobs("ray", **knob), node(facts, role), inputs(role)) == argv


def test_the_npu_count_falls_back_to_the_pci_count(facts, knobs):
    f = node(facts, "worker", devices=0, **{"pci.count": 16})
    assert '--resources={"NPU":16}' in r.start_argv(knobs("ray"), f, inputs("worker"))


def test_the_worker_port_range_auto_leaves_the_worker_ports_to_ray(manifest, knobs, facts):
    """Layer 1 takes auto for every *_port_range (Ray's worker range included): no flags then,
    Ray's own range (10002-19999), as the firewall skips auto."""
    argv = r.start_argv(knobs("ray", ascend_ray_worker_port_range="auto"), node(facts), inputs("head"))
    assert not [a for a in argv if "worker-port" in a]
    assert argv == [a for a in HEAD_ARGV if "worker-port" not in a]


# ---- the object store -------------------------------------------------------------------------------

SHARE = (10 * GiB + 4096) * 30 // 100               # not a whole number of pages
SHARE_IN_PAGES = (SHARE // 4096 + 1) * 4096
STORE_CASES = [
    # case, knob, MemTotal, /dev/shm, bytes
    ("30% of RAM", "30%", MEM, SHM, 30 * MEM // 100),
    ("capped at 90% of /dev/shm", "30%", MEM, 8 * GiB, 8 * GiB * 9 // 10),
    ("a size", "64g", MEM, 200 * GiB, 64 * GiB),
    ("a size, RAM unknown", "64g", None, None, 64 * GiB),
    ("/dev/shm unknown: not capped", "30%", MEM, None, 30 * MEM // 100),
    ("a share rounded up to pages", "30%", 10 * GiB + 4096, None, SHARE_IN_PAGES),
    ("bytes", "1000000", MEM, SHM, 1003520),                # whole pages, as tmpfs' size= (the same parser)
    ("a share of unknown RAM", "30%", None, SHM, None),
    ("not a size", "lots", MEM, SHM, None),
    ("zero", "0%", MEM, SHM, 0),
]


@pytest.mark.parametrize("case, size, memory, shm, want", STORE_CASES, ids=[c[0] for c in STORE_CASES])
def test_object_store_bytes(knobs, case, size, memory, shm, want):
    facts = {"ray": {"memory": memory, "shm": shm}}
    assert r.object_store_bytes(knobs("ray", ray_object_store_memory=size), facts) == want


# ---- the service files ------------------------------------------------------------------------------

def test_the_systemd_unit(manifest, knobs, facts):
    dest, content, mode = written(manifest, knobs, facts)
    assert (dest, mode) == (UNIT, "0644")
    assert content == """# Managed by ascend_verl.cluster (role ray): edits here are overwritten.
[Unit]
Description=Ray head of the verl cluster (ascend_verl.cluster)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=root
EnvironmentFile=/etc/ascend_verl/npu.env
LimitNOFILE=65536
ExecStart=%s start --block %s '--resources={"NPU":8}' %s
ExecStop=%s stop
Restart=always
RestartSec=10
TimeoutStopSec=60
KillMode=mixed

[Install]
WantedBy=multi-user.target
""" % (RAY, " ".join(HEAD_ARGV[2:12]), " ".join(HEAD_ARGV[13:]), RAY)
    knob = {"ascend_train_user": "train", "ray_nofile": 131072, "ray_service_name": "ray-verl"}
    worker = written(manifest, knobs, facts, "worker", knob=knob)
    assert worker[0] == "/etc/systemd/system/ray-verl.service"
    lines = worker[1].splitlines()
    assert "Description=Ray worker of the verl cluster (ascend_verl.cluster)" in lines
    assert "User=train" in lines and "LimitNOFILE=131072" in lines
    assert "ExecStart=%s start --block --address=%s:6766 --node-ip-address=%s " % (RAY, HEAD, WORKER) in worker[1]


@pytest.mark.parametrize("user, runas", [("root", ""), ("train", "runuser -u train -- ")])
def test_the_sysv_script(manifest, knobs, facts, user, runas):
    dest, content, mode = written(manifest, knobs, facts, "worker", "sysv", knob={"ascend_train_user": user})
    assert (dest, mode) == (SCRIPT, "0755")
    lines = content.splitlines()
    assert lines[0] == "#!/bin/sh" and "# Provides:          ray" in lines
    assert "ENV_FILE=%s" % ENV in lines and "RAY=%s" % RAY in lines and "    ulimit -n 65536 || exit 1" in lines
    argv = WORKER_ARGV[:2] + ["--block"] + WORKER_ARGV[2:]
    start = " ".join(argv[:9]) + """ '--resources={"NPU":8}' """ + " ".join(argv[10:])
    # `ray start --block` under a loop that restarts it (systemd's Restart=always), in its own session
    assert '        "$RAY" %s%s >>"$LOG" 2>&1 </dev/null &' % (runas, start) in lines
    assert lines[lines.index('        "$RAY" %s%s >>"$LOG" 2>&1 </dev/null &' % (runas, start)) - 1].startswith(
        "    setsid sh -c 'echo $$ >/run/ray.pid; while :; do \"$@\"; \"$0\" stop --force")
    body = dict((name, content.split(name + "() {\n", 1)[1].split("\n}\n", 1)[0]) for name in ("start", "stop"))
    assert "pgrep" not in body["start"]                 # a worker returns at once (its head may still be down)
    # stopped means no raylet or GCS server left (`ray stop` returns early on a loaded node)
    assert "    while running; do" in body["stop"]
    assert '"$RAY" stop --force' in body["stop"]
    head = written(manifest, knobs, facts, "head", "sysv", knob={"ascend_train_user": user})[1]
    assert "    while [ \"$i\" -lt 90 ] && ! pgrep -x raylet >/dev/null 2>&1; do sleep 1; i=$((i + 1)); done" in head


# ---- the service files as their tools read them ---------------------------------------------------

def tree(tmp_path, knobs, **knob):
    """Knobs whose env's ray and environment file exist below tmp_path."""
    prefix = tmp_path / "conda"
    ray = prefix / "envs" / "verl-sglang" / "bin" / "ray"
    ray.parent.mkdir(parents=True)
    ray.write_text("#!/bin/sh\nexit 0\n")
    ray.chmod(0o755)
    env = tmp_path / "npu.env"
    env.write_text("ASCEND_RT_VISIBLE_DEVICES=0,1,2,3,4,5,6,7\nRAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES=1\n")
    return dict(knob, ascend_conda_prefix=str(prefix), ascend_env_file=str(env))


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze on this machine")
@pytest.mark.parametrize("role", ["head", "worker"])
def test_the_unit_passes_systemd_analyze_verify(tmp_path, manifest, knobs, facts, role):
    knob = tree(tmp_path, knobs)
    dest, content, dummy = written(manifest, knobs, facts, role, knob=knob)
    unit = tmp_path / os.path.basename(dest)
    unit.write_text(content)
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True, check=False)
    mine = [line for line in (done.stdout + done.stderr).splitlines() if unit.name in line or str(tmp_path) in line]
    assert done.returncode == 0 and mine == [], done.stdout + done.stderr


@pytest.mark.parametrize("role", ["head", "worker"])
@pytest.mark.parametrize("user", ["root", "train"])
def test_the_script_parses(tmp_path, manifest, knobs, facts, role, user):
    dest, content, dummy = written(manifest, knobs, facts, role, "sysv", knob=tree(tmp_path, knobs, ascend_train_user=user))
    script = tmp_path / "ray"
    script.write_text(content)
    done = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == ""


# What shellcheck 0.9 says of the script, neither silenced in it nor a fault on the nodes it targets:
#  SC3045 `ulimit -n` is not in POSIX sh; dash, busybox ash and bash (/bin/sh on openEuler) all have it;
#  SC1090 shellcheck cannot follow `. "$ENV_FILE"` (a path known on the node only);
#  SC2016 the supervising loop's `sh -c '...'` expands "$@" and "$0" in that shell, on purpose.
# Anything else fails this test.
SHELLCHECK_KNOWN = {"SC3045", "SC1090", "SC2016"}


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="no shellcheck on this machine")
@pytest.mark.parametrize("user", ["root", "train"])
def test_the_script_passes_shellcheck(tmp_path, manifest, knobs, facts, user):
    dest, content, dummy = written(manifest, knobs, facts, "head", "sysv", knob=tree(tmp_path, knobs, ascend_train_user=user))
    script = tmp_path / "ray"
    script.write_text(content)
    done = subprocess.run(["shellcheck", "--format=gcc", str(script)], capture_output=True, text=True, check=False)
    codes = set(line.rsplit("[", 1)[-1].rstrip("]") for line in done.stdout.splitlines() if line.endswith("]"))
    assert codes <= SHELLCHECK_KNOWN, done.stdout


def test_check_mode_on_a_bare_node_notes_the_driver_to_come(manifest, knobs, facts):
    """In check mode the driver the same run would install is not there: a note, not a problem."""
    ray = state(running=False)
    plan = r.ray(manifest("seed"), node(facts, "head", ray, {}, devices=0), knobs("ray"),
                 dict(inputs("head"), check_mode=True))
    assert plan["problems"] == [] and plan["notes"] == ["no /dev/davinciN yet: Ray will offer the NPUs the driver brings"]
    assert "start" in names(plan)


# ---- the SysV script run, in a PID and mount namespace of its own -----------------------------------

FAKE_RAY = """#!/bin/sh
# `ray start --block`: a raylet that lives until stopped; `ray stop [--force]`: kills it.
case "$1" in
    start) exec "$(dirname "$0")/raylet" 600 ;;
    stop) pkill -x raylet; exit 0 ;;
esac
"""


def sysv_sandbox(tmp_path, content):
    """A shell command that runs the script's verbs in a private PID namespace with its own /run
    and /var/log; the script's ray is FAKE_RAY, its raylet a copy of sleep."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "ray").write_text(FAKE_RAY)
    (bindir / "ray").chmod(0o755)
    shutil.copy(shutil.which("sleep"), str(bindir / "raylet"))
    env = tmp_path / "npu.env"
    env.write_text("X=1\n")
    script = tmp_path / "ray.init"
    script.write_text(content.replace(RAY, str(bindir / "ray")).replace("ENV_FILE=%s" % ENV, "ENV_FILE=%s" % env))
    script.chmod(0o755)
    return script


def in_namespace(script, body):
    return subprocess.run(["unshare", "--pid", "--fork", "--mount", "--mount-proc", "sh", "-c",
                           "mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/log && S=%s && %s" % (script, body)],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("pgrep"),
                    reason="needs root, unshare and pgrep")
def test_the_sysv_script_stops_what_runs_with_or_without_its_loop(tmp_path, manifest, knobs, facts):
    """start, status, the loop killed by hand (Ray still runs: status says so, stop stops it), stop."""
    nofile = min(65536, resource.getrlimit(resource.RLIMIT_NOFILE)[1])       # what this machine allows
    script = sysv_sandbox(tmp_path, written(manifest, knobs, facts, "worker", "sysv", knob={"ray_nofile": nofile})[1])
    # a worker's start returns at once: wait (up to 60 s on a loaded machine) for its raylet
    body = ('$S start; for i in $(seq 600); do pgrep -x raylet >/dev/null && break; sleep 0.1; done; '
            '$S status; echo "rc=$?"; pgrep -x raylet >/dev/null && echo raylet; '
            'kill "$(cat /run/ray.pid)"; $S status; echo "rc=$?"; $S stop; $S status; echo "rc=$?"; '
            'pgrep -x raylet || echo "no raylet"')
    done = in_namespace(script, body)
    assert done.stdout.splitlines() == ["ray is running", "rc=0", "raylet", "ray is running without its loop", "rc=0",
                                        "ray is not running", "rc=3", "no raylet"], done.stdout + done.stderr
