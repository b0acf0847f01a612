# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan for Ray as a service on a node (role ray).

One service per node runs `ray start` from the verl env: the head on the Ray head host,
workers elsewhere.  Where systemd runs it is a unit (`--block`, restarted by systemd); on a
SysV host an LSB script in /etc/init.d.  Both start Ray with npu_env's environment file,
`--resources` NPU = the node's device count (Ray's own NPU detection is unreliable), the
node address on the interface that routes to the head (the one npu_env gives HCCL), the
fixed ports a firewall opens, the object-store size and the open-file limit.

Ray is restarted only when it runs on something older than its service file or the
environment file (their mtimes against the raylet's start time), or when the raylet runs
with another address or NPU count than planned.  A head restart is followed by a restart
of every worker (the role's tasks do that, head first).  Python 3.9+, standard library only.
"""

import json
import shlex

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.baseline import file_steps, shm_bytes
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.common import change, differs, plan, wanted
from ansible_collections.ascend_verl.cluster.plugins.module_utils.preflight import parse_port_range

HEADER = "# Managed by ascend_verl.cluster (role ray): edits here are overwritten."
# A file written less than a second before Ray started counts as newer (a restart): mtimes have
# coarse clocks on some file systems, and a restart costs less than a stale environment.
SLACK_S = 1.0
STORE_MIN = 75 << 20         # `ray start` refuses a smaller object store

UNIT = """%(header)s
[Unit]
Description=Ray %(role)s of the verl cluster (ascend_verl.cluster)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=%(user)s
EnvironmentFile=%(env_file)s
LimitNOFILE=%(nofile)s
ExecStart=%(start)s
ExecStop=%(ray)s stop
Restart=always
RestartSec=10
TimeoutStopSec=60
KillMode=mixed

[Install]
WantedBy=multi-user.target
"""

SCRIPT = """#!/bin/sh
### BEGIN INIT INFO
# Provides:          %(name)s
# Required-Start:    $network $remote_fs
# Required-Stop:     $network $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Ray %(role)s of the verl cluster (ascend_verl.cluster)
### END INIT INFO
%(header)s
# What the systemd unit does, for hosts without systemd: `ray start --block` kept running by a
# loop (Restart=always), which cleans up after each exit - a head whose dashboard was too slow
# for `ray start`, a node the head declared dead after a network cut - and starts it again.
ENV_FILE=%(env_file)s
RAY=%(ray)s
PIDFILE=%(pidfile)s
LOG=/var/log/%(name)s.log

supervised() { [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
running() { pgrep -x raylet >/dev/null 2>&1 || pgrep -x gcs_server >/dev/null 2>&1; }

start() {
    supervised && return 0
    ulimit -n %(nofile)s || exit 1
    set -a; . "$ENV_FILE"; set +a
    rm -f "$PIDFILE"
    # The loop writes its own pid: setsid forks when it finds itself a process group leader,
    # and then $! here would be a pid that is already gone.
    setsid sh -c 'echo $$ >%(pidfile)s; while :; do "$@"; "$0" stop --force >/dev/null 2>&1; sleep 10; done' \\
        "$RAY" %(runas)s%(start)s >>"$LOG" 2>&1 </dev/null &
    i=0
    while [ "$i" -lt 50 ] && ! supervised; do sleep 0.1; i=$((i + 1)); done
%(wait)s}

stop() {
    # the loop first (its process group), so that it does not start Ray again
    if supervised; then kill -- "-$(cat "$PIDFILE")" 2>/dev/null; fi
    rm -f "$PIDFILE"
    "$RAY" stop >/dev/null 2>&1 || true
    # On a loaded node `ray stop` can return while a raylet or GCS server is still exiting: the
    # node is stopped when none is left (forced after 30 s), or the next start finds one running.
    i=0
    while running; do
        i=$((i + 1))
        if [ "$i" -gt 30 ]; then "$RAY" stop --force >/dev/null 2>&1; break; fi
        sleep 1
    done
}

case "$1" in
    start) start ;;
    stop) stop ;;
    restart|force-reload) stop; start ;;
    # Ray left running without its loop (killed by hand, say) still counts: a stop must stop it.
    status) if supervised; then echo "ray is running"; elif running; then echo "ray is running without its loop";
            else echo "ray is not running"; exit 3; fi ;;
    *) echo "Usage: $0 {start|stop|restart|force-reload|status}" >&2; exit 3 ;;
esac
"""


HEAD_WAIT = """    i=0
    while [ "$i" -lt 90 ] && ! pgrep -x raylet >/dev/null 2>&1; do sleep 1; i=$((i + 1)); done
"""


def paths(knobs):
    """The env's ray, the service file (systemd unit or SysV script) by init system."""
    env = "%s/envs/%s" % (knobs["ascend_conda_prefix"].rstrip("/"), knobs["ascend_conda_env"])
    name = knobs["ray_service_name"]
    return {"ray": env + "/bin/ray", "unit": "/etc/systemd/system/%s.service" % name, "script": "/etc/init.d/" + name}


def object_store_bytes(knobs, facts):
    """ray_object_store_memory as bytes (N% of RAM or a size), never more than 90% of /dev/shm."""
    ray = facts.get("ray") or {}
    want = shm_bytes(knobs["ray_object_store_memory"], ray.get("memory"), 4096)
    if want and ray.get("shm"):
        want = min(want, ray["shm"] * 9 // 10)
    return want


def start_argv(knobs, facts, inputs):
    """`ray start ...` for this node (head or worker)."""
    npus = facts.get("devices") or (facts.get("pci") or {}).get("count") or 0
    route = facts.get("route") or {}
    # auto (layer 1 takes it, as for the HCCL ranges): no flags, Ray's own worker ports
    span = parse_port_range(knobs["ascend_ray_worker_port_range"])
    workers = ["--min-worker-port=%d" % span[0], "--max-worker-port=%d" % span[1]] if span else []
    argv = [paths(knobs)["ray"], "start"]
    if inputs.get("head"):
        argv += ["--head", "--port=%s" % knobs["ascend_ray_port"],
                 "--include-dashboard=%s" % ("true" if knobs["ray_include_dashboard"] else "false")]
        if knobs["ray_include_dashboard"]:
            argv += ["--dashboard-host=0.0.0.0", "--dashboard-port=%s" % knobs["ascend_ray_dashboard_port"]]
    else:
        argv += ["--address=%s:%s" % (inputs.get("head_address"), knobs["ascend_ray_port"])]
    argv += ["--node-ip-address=%s" % (route.get("src") or ""),
             "--node-manager-port=%s" % knobs["ascend_ray_node_manager_port"],
             "--object-manager-port=%s" % knobs["ascend_ray_object_manager_port"]] + workers
    argv += ["--resources=%s" % json.dumps({"NPU": npus}, separators=(",", ":")),
             "--object-store-memory=%s" % object_store_bytes(knobs, facts),
             "--temp-dir=%s" % knobs["ray_temp_dir"], "--disable-usage-stats"]
    if knobs["ray_num_cpus"]:
        argv.append("--num-cpus=%s" % knobs["ray_num_cpus"])
    return argv + [str(a) for a in knobs["ray_start_args"] or []]


def _quote(argv):
    # systemd and sh both take single quotes around an argument with JSON in it
    return " ".join(shlex.quote(a) for a in argv)


def service_file(knobs, facts, inputs, init):
    """(path, content, mode) of the unit or the init script; None without an init system."""
    argv = start_argv(knobs, facts, inputs)
    p = paths(knobs)
    values = {"header": HEADER, "role": "head" if inputs.get("head") else "worker", "name": knobs["ray_service_name"],
              "env_file": knobs["ascend_env_file"], "nofile": knobs["ray_nofile"], "ray": p["ray"],
              "user": knobs["ascend_train_user"]}
    if init == "systemd":
        values["start"] = _quote(argv[:2] + ["--block"] + argv[2:])
        return p["unit"], UNIT % values, "0644"
    if init == "sysv":
        values["start"] = _quote(argv[:2] + ["--block"] + argv[2:])
        user = knobs["ascend_train_user"]
        values["runas"] = "" if user == "root" else "runuser -u %s -- " % shlex.quote(user)
        values["pidfile"] = "/run/%s.pid" % knobs["ray_service_name"]
        # The head returns once its raylet runs (GCS and dashboard first), so the workers started
        # next find it; a worker returns at once (at boot its head may still be down).
        values["wait"] = HEAD_WAIT if inputs.get("head") else ""
        return p["script"], SCRIPT % values, "0755"
    return None


def _stale(facts, found, dest, knobs, argv, written):
    """Why a running Ray must restart, or None."""
    ray = facts["ray"]
    if written:
        return "its service file changes"
    started = ray.get("started") or 0
    for path in (dest, knobs["ascend_env_file"]):
        mtime = (found.get(path) or {}).get("mtime")
        if mtime is not None and mtime > started - SLACK_S:
            return "%s changed after Ray started" % path
    raylet = ray.get("raylet") or {}
    want_ip = next(a.split("=", 1)[1] for a in argv if a.startswith("--node-ip-address="))
    want_npus = json.loads(next(a.split("=", 1)[1] for a in argv if a.startswith("--resources=")))["NPU"]
    if raylet.get("node_ip_address") != want_ip:
        return "it runs on address %s, wanted %s" % (raylet.get("node_ip_address"), want_ip)
    if int(raylet.get("npus") or 0) != int(want_npus):
        return "it offers %s NPUs, wanted %s" % (raylet.get("npus"), want_npus)
    return None


def _settings(ray_facts, role, knobs, steps):
    """The audit's view: what Ray does on this node against what the knobs want."""
    service = ray_facts.get("service") or {}
    if ray_facts.get("running"):
        found = "%s running" % ("head" if ray_facts.get("head") else "worker")
    else:
        found = "stopped"
    found += ", %s %s" % (service.get("init") or "no init", service.get("state") or "not installed")
    if knobs["ray_cluster_state"] == "stopped":
        return {"ray_service": {"found": found, "expected": "stopped", "ok": not ray_facts.get("running")}}
    expected = "%s running, enabled" % role
    pending = [s for s in steps if s["name"] in ("pip", "file", "enable", "start", "restart")]
    return {"ray_service": {"found": found, "expected": expected, "ok": not pending}}


def ray(manifest, facts, knobs, inputs=None):
    inputs = inputs or {}
    problems, steps = [], []
    ray_facts = facts.get("ray") or {}
    service = ray_facts.get("service") or {}
    init = service.get("init")
    role = "head" if inputs.get("head") else "worker"
    out = {"notes": [], "ray_role": role, "init": init, "service": knobs["ray_service_name"], "restart": False,
           "node": {"name": inputs.get("host"), "address": (facts.get("route") or {}).get("src"),
                    "npus": facts.get("devices") or 0}}
    if knobs["ray_cluster_state"] == "stopped":
        if ray_facts.get("running"):
            steps.append({"name": "stop", "why": "Ray %s: running, wanted stopped" % role})
        return plan("ray", problems, steps, settings=_settings(ray_facts, role, knobs, steps), **out)
    env = (facts.get("conda") or {}).get("env") or {}
    found_ray = (env.get("packages") or {}).get("ray")
    want_ray = wanted(manifest, "ray")
    if differs(found_ray, want_ray):
        steps.append({"name": "pip", "verb": "install", "what": "ray %s" % want_ray,
                      "args": ["ray[default]==%s" % want_ray], "why": change("ray in the env", want_ray, found_ray)})
    if not out["node"]["address"]:
        problems.append("no address routes to the Ray head (%s)" % ((facts.get("route") or {}).get("error") or "no route"))
    notes = []
    if not out["node"]["npus"]:
        if inputs.get("check_mode"):     # the driver this run would install is not there in check mode
            notes.append("no /dev/davinciN yet: Ray will offer the NPUs the driver brings")
        else:
            problems.append("no /dev/davinciN on this node: the driver is not loaded, Ray would offer no NPU")
    store = object_store_bytes(knobs, facts)
    if not store:
        problems.append("ray_object_store_memory %r is not N%% of RAM or a size" % knobs["ray_object_store_memory"])
    elif store < STORE_MIN:
        problems.append("Ray's object store would get %d MiB (ray_object_store_memory %s, at most 90%% of /dev/shm), "
                        "Ray needs at least 75 MiB: raise baseline_shm_size" % (store >> 20, knobs["ray_object_store_memory"]))
    if init not in ("systemd", "sysv"):
        problems.append("neither systemd nor /etc/init.d on this node: nothing can keep Ray running")
    out["notes"] = notes
    if problems:
        return plan("ray", problems, steps, settings=_settings(ray_facts, role, knobs, steps + [{"name": "start"}]),
                    **out)
    dest, content, mode = service_file(knobs, facts, inputs, init)
    written = file_steps(dest, content, facts.get("files") or {}, mode=mode)
    steps.extend(written)
    if written or service.get("state") != "enabled":
        steps.append({"name": "enable", "init": init, "daemon_reload": bool(written) and init == "systemd",
                      "argv": (["update-rc.d", knobs["ray_service_name"], "defaults"]
                               if service.get("rc_tool") != "chkconfig" else ["chkconfig", "--add", knobs["ray_service_name"]]),
                      "why": "%s at boot: %s" % (dest, "written" if written else service.get("state"))})
    if not ray_facts.get("running"):
        steps.append({"name": "start", "why": "Ray %s: not running" % role})
    else:
        why = _stale(facts, facts.get("files") or {}, dest, knobs, start_argv(knobs, facts, inputs), written)
        if why:
            out["restart"] = True
            steps.append({"name": "restart", "why": "Ray %s: restart, %s" % (role, why)})
    out["service_file"] = dest
    return plan("ray", problems, steps, settings=_settings(ray_facts, role, knobs, steps), **out)
