# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Ray cluster as its head sees it: which nodes joined with how many NPUs, and a smoke job
that holds every NPU slot of every node at once.

The module runs on the node's system Python; the probe (PROBE, below) runs in the verl env's
Python, where Ray is, and answers with one JSON line.  Everything that judges the answer is
here, as pure functions, unit-tested with recorded answers.  Python 3.9+, standard library only.
"""

import json

# Runs in the verl env (Python 3.11, real Ray).  One connection as a driver, then polls the
# node table until every expected address is alive with its NPUs or the time is up.  The
# smoke job is one actor per NPU slot, pinned to its node, all alive at once: Ray hands each
# a distinct NPU, and each reports what a verl worker would see there.
# Shared by the in-env programs that connect to a head (PROBE, recipe_scripts.PLACEMENT_SCRIPT):
# ray.init waits minutes for a GCS that is down, so they knock first and their deadlines hold.
KNOCK = r'''
def gcs_answers(address):
    import socket
    host, port = address.rsplit(":", 1)
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=2).close()
        return True
    except (OSError, ValueError):
        return False
'''

PROBE = KNOCK + r'''
import json, os, sys, time
req = json.load(sys.stdin)
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
out = {"connected": False, "error": None, "nodes": [], "smoke": None, "ray_version": None}
try:
    import ray
    out["ray_version"] = ray.__version__
except Exception as err:
    out["error"] = "import ray: %s" % err
    print(json.dumps(out)); sys.exit(0)
want = dict((n["address"], n["npus"]) for n in req["expect"])
deadline = time.time() + req["timeout"]

# The head's service is up before anyone asks (ray start returns once the GCS listens): a GCS
# that stays silent for GCS_GRACE seconds is down, and waiting for nodes to join it is pointless.
# 90 s is what the head's own start is allowed (its service restarts a start that fails, e.g. a
# dashboard that misses Ray's 20 s on loaded cores, so the GCS can be away for a while).
GCS_GRACE = req.get("gcs_grace", 90)
heard = time.time()
while True:
    try:
        if not ray.is_initialized():
            if not gcs_answers(req["address"]):
                if time.time() - heard > GCS_GRACE:
                    deadline = 0
                raise ConnectionError("nothing answers at %s (the Ray head is not running?)" % req["address"])
            heard = time.time()
        if not ray.is_initialized():
            ray.init(address=req["address"], _node_ip_address=req["node_ip"] or None, logging_level="ERROR",
                     log_to_driver=False, configure_logging=False)
            out["connected"] = True
        alive = [n for n in ray.nodes() if n.get("Alive")]
        out["nodes"] = [{"address": n["NodeManagerAddress"], "node_id": n["NodeID"],
                         "npus": n.get("Resources", {}).get("NPU", 0)} for n in alive]
        seen = dict((n["address"], n["npus"]) for n in out["nodes"])
        out["error"] = None
        if all(seen.get(a) == c for a, c in want.items()) or time.time() > deadline:
            break
    except Exception as err:
        out["error"] = "%s: %s" % (type(err).__name__, err)
        if ray.is_initialized():        # a head that restarted meanwhile: connect afresh
            ray.shutdown()
            out["connected"] = False
        if time.time() > deadline:
            break
    time.sleep(1)
if req.get("smoke") and out["connected"]:
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    @ray.remote(num_cpus=0)
    class Slot(object):
        def report(self, keys):
            import socket
            ctx = ray.get_runtime_context()
            ids = [str(i) for i in ctx.get_accelerator_ids().get("NPU", [])]
            r = {"hostname": socket.gethostname(), "address": ray.util.get_node_ip_address(), "npu_ids": ids,
                 "visible": os.environ.get("ASCEND_RT_VISIBLE_DEVICES"),
                 "env": dict((k, os.environ.get(k)) for k in keys), "torch_npu": None, "device_count": None,
                 "error": None}
            try:
                import torch, torch_npu
                r["torch_npu"] = str(getattr(torch_npu, "__version__", "unknown"))
                r["device_count"] = torch.npu.device_count()
                noset = os.environ.get("RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES") == "1"
                # Ray leaves the list alone (verl's way): the id Ray hands out is the device to use.
                torch.npu.set_device(int(ids[0]) if noset and ids else 0)
            except Exception as err:
                r["error"] = "%s: %s" % (type(err).__name__, err)
            return r

    slots = []
    try:
        for n in out["nodes"]:
            pin = NodeAffinitySchedulingStrategy(n["node_id"], soft=False)
            slots += [Slot.options(resources={"NPU": 1}, scheduling_strategy=pin).remote()
                      for i in range(int(n["npus"]))]
        ready, dummy = ray.wait([s.report.remote(req["env_keys"]) for s in slots], num_returns=len(slots),
                                timeout=req["smoke_timeout"])
        out["smoke"] = {"slots": [ray.get(r) for r in ready], "asked": len(slots), "error": None}
        if len(ready) < len(slots):
            out["smoke"]["error"] = "%d of %d slots answered within %s s" % (len(ready), len(slots), req["smoke_timeout"])
    except Exception as err:
        out["smoke"] = {"slots": [], "asked": len(slots), "error": "%s: %s" % (type(err).__name__, err)}
    for s in slots:
        ray.kill(s)
print(json.dumps(out))
'''


def parse(stdout):
    """The probe's last JSON line, or None."""
    for line in reversed((stdout or "").strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def judge_nodes(answer, expect, unplanned=()):
    """expect: [{name, address, npus}] -> {missing: [names], wrong: {name: why}, npu_total, expected_total}.
    unplanned: names of nodes that failed or did not answer earlier in the run: they are named
    (not asked), not failed again here - a broken node fails alone."""
    seen = dict((n["address"], n["npus"]) for n in answer.get("nodes") or [])
    missing, wrong = [], {}
    for node in expect:
        have = seen.get(node["address"])
        if have is None:
            missing.append(node["name"])
        elif int(have) != int(node["npus"]):
            wrong[node["name"]] = "offers %s NPUs, expected %s" % (int(have), node["npus"])
    names = dict((n["address"], n["name"]) for n in expect)
    extra = sorted(a for a in seen if a not in names)
    by_name = dict((n["name"], int(seen[n["address"]]) if n["address"] in seen else None) for n in expect)
    # NPUs of the expected nodes only: a node outside the play (or one that just went down, and
    # Ray has not noticed yet) is listed as extra, not counted.
    return {"missing": missing, "unplanned": sorted(unplanned), "wrong": wrong, "extra": extra, "by_name": by_name,
            "npu_total": int(sum(n for n in by_name.values() if n)),
            "expected_total": int(sum(n["npus"] for n in expect))}


def judge_smoke(smoke, expect, env_keys):
    """Per node: slots answered, passed, failures (why, per slot).
    -> {name: {slots, passed, expected, failures: [..], devices}}."""
    by_address = dict((n["address"], n["name"]) for n in expect)
    out = dict((n["name"], {"slots": 0, "passed": 0, "expected": int(n["npus"]), "failures": [], "devices": []})
               for n in expect)
    good = dict((n["name"], []) for n in expect)       # the NPU ids of each node's slots that passed
    for slot in (smoke or {}).get("slots") or []:
        name = by_address.get(slot.get("address"))
        if name is None:
            continue
        node = out[name]
        node["slots"] += 1
        ids = slot.get("npu_ids") or []
        node["devices"].extend(ids)
        where = "NPU %s" % (",".join(ids) or "?")
        if slot.get("error"):
            node["failures"].append("%s: %s" % (where, slot["error"]))
        elif not slot.get("device_count"):
            node["failures"].append("%s: torch.npu sees no device" % where)
        missing = [k for k in env_keys if (slot.get("env") or {}).get(k) in (None, "")]
        if missing:
            node["failures"].append("%s: not in the worker's environment: %s" % (where, ", ".join(missing)))
        if not slot.get("error") and slot.get("device_count") and not missing:
            good[name].append(ids)
    for name, node in out.items():
        dupes = sorted(set(d for d in node["devices"] if node["devices"].count(d) > 1))
        node["passed"] = sum(1 for ids in good[name] if ids and not set(ids) & set(dupes))
        if dupes:
            node["failures"].append("NPU %s handed to more than one slot" % ",".join(dupes))
        if node["slots"] < node["expected"]:
            node["failures"].append("%d of %d NPU slots answered%s" % (
                node["slots"], node["expected"], "" if not (smoke or {}).get("error") else " (%s)" % smoke["error"]))
        node["devices"] = sorted(set(node["devices"]), key=lambda d: int(d) if d.isdigit() else 0)
    return out


def summary(nodes, smoke=None):
    line = "Ray: %d/%d NPUs in the cluster" % (nodes["npu_total"], nodes["expected_total"])
    if nodes["missing"]:
        line += "; missing: " + ", ".join(nodes["missing"])
    if nodes["wrong"]:
        line += "; " + "; ".join("%s %s" % kv for kv in sorted(nodes["wrong"].items()))
    if nodes.get("extra"):
        line += "; also in Ray: %s" % ", ".join(nodes["extra"])
    if nodes.get("unplanned"):
        line += "; not asked (failed or unreachable earlier): %s" % ", ".join(nodes["unplanned"])
    if smoke is not None:
        line += "; smoke job %d/%d NPU slots" % (sum(n["passed"] for n in smoke.values()),
                                                 sum(n["expected"] for n in smoke.values()))
        bad = sorted(k for k, n in smoke.items() if n["failures"])
        if bad:
            line += ", failing on " + ", ".join(bad)
    return line
