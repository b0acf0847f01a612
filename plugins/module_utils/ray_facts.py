# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Ray processes of a node, read from /proc and the service that runs them
(part of ascend_facts, option `ray`).

A node runs Ray when a raylet runs; it is the head when a GCS server runs too.  Start times
(epoch seconds, from /proc/PID/stat and the boot time) tell the planner whether Ray was
started before its unit or the environment file last changed, which is the one reason to
restart it.  The raylet's command line says what Ray was started with (address, ports,
resources).  Python 3.9+, standard library only.
"""

import os
import re

from ansible_collections.ascend_verl.cluster.plugins.module_utils import host_facts

NAMES = {"raylet": "raylet", "gcs_server": "gcs_server"}


def boot_time(node):
    match = re.search(r"(?m)^btime\s+(\d+)", node.read("/proc/stat") or "")
    return int(match.group(1)) if match else None


def start_time(stat_text, btime, hz):
    """Epoch seconds a process started, from its /proc/PID/stat (field 22, clock ticks since boot)."""
    if not stat_text or btime is None:
        return None
    fields = stat_text.rsplit(")", 1)[-1].split()
    try:
        return round(btime + int(fields[19]) / float(hz), 2)
    except (IndexError, ValueError):
        return None


def raylet_args(argv):
    """The raylet's `--key=value` flags that matter, with the resources as a dict."""
    flags = dict(a[2:].split("=", 1) for a in argv[1:] if a.startswith("--") and "=" in a)
    items = (flags.get("static_resource_list") or "").split(",")
    resources = {}
    for name, value in zip(items[0::2], items[1::2]):
        try:
            resources[name] = float(value)
        except ValueError:
            continue
    names = ("node_manager_port", "object_manager_port", "min_worker_port", "max_worker_port")
    ports = dict((k, int(flags[k])) for k in names if (flags.get(k) or "").isdigit())
    return {"node_ip_address": flags.get("node_ip_address"), "resources": resources, "ports": ports,
            "npus": resources.get("NPU", 0)}


def processes(node):
    """[{pid, name, argv, started}] of the node's raylet and GCS server processes."""
    btime, hz = boot_time(node), os.sysconf("SC_CLK_TCK")
    out = []
    for entry in node.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(entry, "rb") as f:
                argv = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
        except (IOError, OSError):
            continue
        name = NAMES.get(os.path.basename(argv[0])) if argv else None
        if name:
            out.append({"pid": int(entry.split("/")[-2]), "name": name, "argv": argv,
                        "started": start_time(node.read(node.shown(os.path.join(os.path.dirname(entry), "stat"))),
                                              btime, hz)})
    return sorted(out, key=lambda p: p["pid"])


def service(run, node, name):
    """How the node starts services (systemd, sysv or none) and the state of NAME there."""
    if host_facts.systemd_running(node):
        return {"init": "systemd", "state": host_facts.unit_state(run, name + ".service"), "rc_tool": None}
    state = host_facts.sysv_state(node, name)
    return {"init": "sysv" if state is not None else "none", "state": state, "rc_tool": host_facts.rc_tool(node)}


def gather(run, node, name, statvfs=os.statvfs):
    """The Ray processes, the state of the service NAME that runs them, RAM and /dev/shm (the
    object store's size is a share of RAM and must fit /dev/shm)."""
    procs = processes(node)
    raylet = next((p for p in procs if p["name"] == "raylet"), None)
    out = {"running": raylet is not None, "head": any(p["name"] == "gcs_server" for p in procs),
           "pids": dict((p["name"], p["pid"]) for p in procs),
           "started": raylet["started"] if raylet else None, "raylet": None, "service": service(run, node, name),
           "memory": host_facts.meminfo_total(node), "shm": host_facts.shm(node, statvfs)["bytes"]}
    if raylet:
        out["raylet"] = raylet_args(raylet["argv"])
    return out
