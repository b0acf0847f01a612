# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn every node's health, RoCE and probe results into one list of localised faults.

The aim is to blame the right thing once: a port that no peer reaches is one fault of that
port (with its local evidence: link down, net health), not a failed ping on every peer; a
pair of hosts failing on every device is a path problem between them; a host that is down
is reported as down and its peers are not blamed for failing to reach it.
"""

import re
from collections import Counter, defaultdict

from ansible_collections.ascend_verl.cluster.plugins.module_utils import clock, hardware, hccn

HEALTHY_NET = "Success"


def natural_key(name):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(name))]


class _Failures(object):
    def __init__(self):
        self.items = []

    def add(self, host, device, check, message):
        self.items.append({"host": host, "device": device, "check": check, "message": message})


def _local_problems(dev):
    """Problems a node sees on its own port -> (check, message) or None."""
    if not dev.get("address"):
        return "address", "no RoCE address configured (hccn_tool -ip -g)"
    found = []
    if dev.get("link") not in (None, "UP"):
        found.append(("link", "link %s" % dev["link"]))
    if dev.get("net_health") not in (None, HEALTHY_NET):
        found.append(("net_health", "net health %s" % dev["net_health"]))
    if not found:
        return None
    return found[0][0], ", ".join(msg for dummy, msg in found)


# What a port is held to when the caller names nothing (the verify role's knobs say the same).
PORT_DEFAULTS = {"product": None, "speed_mbps": None, "speed_source": None, "duplex": None, "require_lldp": False, "optical_temp_max_c": 70.0,
                 "optical_rx_power_min_mw": 0.1, "optical_tx_power_min_mw": 0.1, "error_growth_max": 0}


def port_expectations(product=None, speed_mbps=0, **thresholds):
    """The port checks' expectations: speed and duplex from the product's data
    (hardware.PRODUCTS) unless `speed_mbps` (> 0) overrides the speed, plus the thresholds."""
    speed, duplex = hardware.expected_port(product)
    out = dict(PORT_DEFAULTS, **dict((k, v) for k, v in thresholds.items() if v is not None))
    out.update(product=product, speed_mbps=speed_mbps or speed, duplex=duplex,
               speed_source="set" if speed_mbps else "%s's" % product if speed else None)
    return out


def _majority(values):
    """The most common value (the smaller on a tie), None when there are fewer than two."""
    counts = Counter(values)
    if sum(counts.values()) < 2:
        return None
    top = max(counts.values())
    return min(v for v, n in counts.items() if n == top)


def _optical_problems(optical, expect):
    if not optical or not optical.get("present"):
        return []           # no optical module (a copper cable): nothing to hold it to
    found = []
    temp = optical.get("temperature_c")
    if temp is not None and temp > expect["optical_temp_max_c"]:
        found.append("temperature %g C above %g C" % (temp, expect["optical_temp_max_c"]))
    for side, key in (("Rx", "rx_power_mw"), ("Tx", "tx_power_mw")):
        limit = expect["optical_%s_power_min_mw" % side.lower()]
        low = [(i, p) for i, p in enumerate(optical.get(key) or []) if p < limit]
        if len(low) == 1:
            found.append("%s power %.4f mW (lane %d) below %g mW" % (side, low[0][1], low[0][0], limit))
        elif low:
            found.append("%s power below %g mW on lanes %s (lowest %.4f mW)" % (
                side, limit, ", ".join(str(i) for i, dummy in low), min(p for dummy, p in low)))
    return found


def _stat_after(conn):
    return dict((s["phy_id"], s.get("stat")) for s in conn.get("stat") or [])


def _error_growth(before, after):
    """{counter: (before, after)} of the error counters that grew."""
    grown = {}
    for name, value in hccn.error_counters(after).items():
        if name in (before or {}) and value > before[name]:
            grown[name] = (before[name], value)
    return grown


def _check_ports(out, hosts, names, local, expect):
    """Port health in depth: speed and duplex against the product's, LLDP neighbour (when
    required), optical module temperature and power, error counters around the ping stage,
    the HCCS between the two dies of an A3 NPU.  Only what hccn_info was asked for is judged."""
    expect = dict(PORT_DEFAULTS, **(expect or {}))
    ports = []
    for host in names:
        data = hosts[host]
        for dev in ((data.get("hccn") or {}).get("hccn") or {}).get("devices") or []:
            ports.append((host, dev, _stat_after(data.get("connectivity") or {})))
    up = [(h, d) for h, d, dummy in ports if d.get("link") in (None, "UP") and (h, d["phy_id"]) not in local]
    speed, why = expect.get("speed_mbps"), expect.get("speed_source") or "set"
    if not speed:
        speed, why = _majority([d["speed"] for h, d in up if d.get("speed")]), "most ports'"
    for host, dev in up:
        phy = dev["phy_id"]
        if speed and dev.get("speed") is not None and dev["speed"] != speed:
            out.add(host, phy, "speed", "speed %d Mb/s, expected %d Mb/s (%s)" % (dev["speed"], speed, why))
        if expect.get("duplex") and dev.get("duplex") and dev["duplex"] != expect["duplex"]:
            out.add(host, phy, "duplex", "duplex %s, expected %s" % (dev["duplex"], expect["duplex"]))
        if expect.get("require_lldp") and "lldp" in dev and not dev["lldp"]:
            out.add(host, phy, "lldp", "no LLDP neighbour (hccn_tool -lldp -g shows no Ifname): which switch port?")
    for host in names:
        for entry in ((hosts[host].get("connectivity") or {}).get("stat") or []):
            if entry.get("error"):
                out.add(host, entry["phy_id"], "hccn", entry["error"])
    for host, dev, after in ports:
        phy = dev["phy_id"]
        problems = _optical_problems(dev.get("optical"), expect)
        if problems:
            out.add(host, phy, "optical", "optical module " + "; ".join(problems))
        if dev.get("stat") is not None and after.get(phy) is not None:
            grown = _error_growth(dev["stat"], after[phy])
            total = sum(b - a for a, b in grown.values())
            if grown and total > expect["error_growth_max"]:
                out.add(host, phy, "errors", "error counters grew during the ping stage (%d, more than %d): %s" % (
                    total, expect["error_growth_max"], ", ".join(
                        "%s %d -> %d" % (k, a, b) for k, (a, b) in sorted(grown.items()))))
        hccs = dev.get("hccs")
        if hccs and not hccs.get("ok"):
            out.add(host, phy, "hccs", "HCCS ping to the other die of its NPU (device %s, %s) fails: %s" % (
                hccs.get("peer"), hccs.get("address") or "no vnic address", hccs.get("message") or "no answer"))


def _check_health(out, host, health):
    if health.get("failed") and not health.get("failures"):
        out.add(host, None, "npu_health", health.get("msg") or "npu_health failed")
    for f in health.get("failures") or []:
        out.add(host, f.get("phy_id"), f["check"], "%s: %s is %s, expected %s"
                % (f.get("device") or "node", f["check"], f["found"], f["expected"]))


def _check_fabric(out, host, fabric):
    """The address plan's verdict on this host's ports (plans/fabric.py, ports only)."""
    for problem in fabric.get("problems") or []:
        out.add(host, None, "fabric_plan", problem)
    for step in fabric.get("steps") or []:
        out.add(host, step.get("phy_id"), "fabric_plan", "differs from the address plan: %s" % step["why"])


def _check_tls(out, tls):
    """HCCL refuses to connect ports whose TLS switches differ: blame the minority."""
    counts = Counter(tls.values())
    if len(counts) < 2:
        return
    top = max(counts.values())
    majority = min(v for v, n in counts.items() if n == top)   # a tie keeps "disabled" (0)
    for (host, phy), value in sorted(tls.items(), key=lambda kv: (natural_key(kv[0][0]), kv[0][1])):
        if value != majority:
            out.add(host, phy, "tls", "TLS switch %d while %d other ports have %d: HCCL refuses mixed TLS"
                    % (value, counts[majority], majority))


def _endpoint_stats(probes):
    stats = defaultdict(lambda: [0, 0, set()])     # (host, phy) -> [ok, total, peer endpoints]
    for p in probes:
        a, b = (p["src_host"], p["src_device"]), (p["dst_host"], p["dst_device"])
        for end, other in ((a, b), (b, a)):
            stats[end][1] += 1
            stats[end][0] += 1 if p["ok"] else 0
            stats[end][2].add(other)
    return stats


def _dead_endpoints(stats, local):
    """Ports that no peer reaches, when the port itself is to blame: it reports a problem, or a
    peer it fails with reaches someone else.  Otherwise (two hosts that only fail with each
    other) the pair is reported as a path problem instead."""
    silent = set(end for end, (ok, total, dummy) in stats.items() if total and not ok)
    dead = set()
    for end in silent:
        peers = stats[end][2]
        if end in local or any(p not in silent for p in peers):
            dead.add(end)
    return dead


def _check_probes(out, probes, local, local_failure):
    stats = _endpoint_stats(probes)
    dead = _dead_endpoints(stats, local)
    for end in sorted(dead, key=lambda e: (natural_key(e[0]), e[1])):
        ok, total, dummy = stats[end]
        note = "no peer reaches it (0 of %d probes)" % total
        if end in local_failure:
            local_failure[end]["message"] += "; " + note
        else:
            out.add(end[0], end[1], "connectivity", "unreachable: " + note)
    by_pair = defaultdict(list)
    for p in probes:
        if (p["src_host"], p["src_device"]) in dead or (p["dst_host"], p["dst_device"]) in dead:
            continue
        by_pair[tuple(sorted((p["src_host"], p["dst_host"]), key=natural_key))].append(p)
    for (a, b), group in sorted(by_pair.items(), key=lambda kv: [natural_key(h) for h in kv[0]]):
        failed = [p for p in group if not p["ok"]]
        if not failed:
            continue
        if len(failed) == len(group) and len(group) > 1:
            out.add(a, None, "path", "every probe between %s and %s fails (%d of %d): a path problem between "
                    "the two hosts" % (a, b, len(failed), len(group)))
            continue
        for p in failed:
            out.add(p["src_host"], p["src_device"], "ping", "device %d -> %s device %d (%s): %s"
                    % (p["src_device"], p["dst_host"], p["dst_device"], p["dst_address"], p.get("message", "")))


def _check_env(out, host, env, device_count):
    if env is None:
        out.add(host, None, "env", "environment file missing: run site.yml (role npu_env)")
        return
    visible = [v for v in str(env.get("ASCEND_RT_VISIBLE_DEVICES", "")).split(",") if v.strip()]
    if device_count is not None and len(visible) != device_count:
        out.add(host, None, "env", "ASCEND_RT_VISIBLE_DEVICES lists %d devices, npu-smi shows %d"
                % (len(visible), device_count))


def matrix(names, probes):
    """{src: {dst: [ok, total]}} over unordered pairs, both halves filled."""
    cells = dict((a, dict((b, [0, 0]) for b in names if b != a)) for a in names)
    for p in probes:
        for a, b in ((p["src_host"], p["dst_host"]), (p["dst_host"], p["src_host"])):
            if a in cells and b in cells[a]:
                cells[a][b][1] += 1
                cells[a][b][0] += 1 if p["ok"] else 0
    return cells


def _check_clocks(out, hosts, names, threshold):
    """Clocks that certainly differ by more than the threshold (module_utils/clock.py)."""
    offsets = dict((h, hosts[h].get("clock")) for h in names if hosts[h].get("clock"))
    if threshold is None or len(offsets) < 2:
        return None
    verdict = clock.compare(offsets, threshold)
    for host in verdict["hosts"]:
        mid = dict((h, (o["low"] + o["high"]) / 2.0) for h, o in offsets.items())
        others = sorted(mid[h] for h in offsets if h != host)
        out.add(host, None, "clock", "clock %+.3f s from the others' median (certainly more than %g s from %d of %d hosts: "
                "time sync?)" % (mid[host] - others[len(others) // 2], threshold, len(verdict["peers"][host]),
                                 len(offsets) - 1))
    return verdict["spread"]


def _check_ray(out, hosts, names, down):
    """The Ray head's answer (ray_cluster with the smoke job): nodes missing from the cluster or
    offering another NPU count, and NPU slots whose worker failed.  -> summary figures or None."""
    answer = next((hosts[h]["ray"] for h in names if hosts[h].get("ray")), None)
    if answer is None:
        return None
    if answer.get("summary") is None:
        out.add(next(h for h in names if hosts[h].get("ray")), None, "ray", answer.get("msg") or "ray_cluster failed")
        return None
    # A reachable node the head was not asked about (no Ray address) is as absent as a missing one.
    for host in (answer.get("missing") or []) + (answer.get("unplanned") or []):
        if host not in down:
            out.add(host, None, "ray", "not in the Ray cluster%s" % (
                "" if not answer.get("error") else " (the head's driver: %s)" % answer["error"]))
    for host, why in sorted((answer.get("wrong") or {}).items()):
        out.add(host, None, "ray", "Ray: " + why)
    smoke = answer.get("smoke") or {}
    for host in sorted(smoke, key=natural_key):
        for failure in smoke[host]["failures"]:
            match = re.match(r"NPU (\d+):", failure)
            out.add(host, int(match.group(1)) if match else None, "ray_smoke", failure)
    return {"nodes": smoke, "ray_version": answer.get("ray_version"),
            "npus": "%s/%s" % (answer.get("npu_total"), answer.get("expected_total")),
            "smoke_slots": "%d/%d" % (sum(n["passed"] for n in smoke.values()),
                                      sum(n["expected"] for n in smoke.values()))}


def _check_hccl(out, hosts, names, down):
    """hccl_test (module hccl_bench): each node's run over its own NPUs, and the head's run over
    the nodes whose own run was good, bisected to the nodes at fault.  -> summary or None."""
    intra, cluster = {}, None
    for host in names:
        if host in down:
            continue
        mine = hosts[host].get("hccl") or {}
        run = mine.get("intra")
        if run:
            intra[host] = run.get("bandwidth")
            if run.get("failed") or not run.get("ok"):
                why = run.get("message") or run.get("msg") or "hccl_bench failed"
                out.add(host, None, "hccl", "hccl_test inside the node: %s" % why)
        if mine.get("cluster"):
            cluster = dict(mine["cluster"], head=host)
    if cluster is not None and (cluster.get("failed") or not cluster.get("ok")):
        what = cluster.get("message") or cluster.get("msg") or "hccl_bench failed"
        blamed = [h for h in cluster.get("blamed") or [] if h not in down]
        for host in blamed:
            out.add(host, None, "hccl", "the all-node hccl_test is bad with this node and good without it (%s)" % what)
        for group in cluster.get("unresolved") or []:
            for host in group:
                out.add(host, None, "hccl", "hccl_test is bad only between %s: the path between them (%s)"
                        % (" and ".join(group), what))
        if not blamed and not cluster.get("unresolved"):
            out.add(cluster["head"], None, "hccl", "the all-node hccl_test, launched here: %s" % what)
    if not intra and cluster is None:
        return None
    return {"intra_gbps": intra, "cluster_gbps": (cluster or {}).get("bandwidth"),
            "cluster_nodes": len(((cluster or {}).get("runs") or [{}])[0].get("hosts") or []),
            "runs": len((cluster or {}).get("runs") or [])}


def diagnose(hosts, check_env=True, clock_threshold=None, ports=None):
    """hosts: {name: {unreachable, msg, health, hccn, connectivity, env, fabric}} -> result dict, where
    health, hccn and connectivity are the registered results of the node modules and fabric the
    address plan's verdict on the ports (plans/fabric.py with ports_only).  `ports`: what the
    ports are held to (port_expectations())."""
    names = sorted(hosts, key=natural_key)
    out = _Failures()
    down = [h for h in names if hosts[h].get("unreachable")]
    for host in down:
        out.add(host, None, "reachable", "unreachable: %s" % (hosts[host].get("msg") or "no answer over SSH"))
    local, local_failure, tls, probes = set(), {}, {}, []
    for host in names:
        data = hosts[host]
        if host in down:
            continue
        _check_health(out, host, data.get("health") or {})
        roce = data.get("hccn") or {}
        if roce.get("failed"):
            out.add(host, None, "hccn", roce.get("msg") or "hccn_info failed")
        for dev in (roce.get("hccn") or {}).get("devices") or []:
            problem = _local_problems(dev)
            if problem:
                local.add((host, dev["phy_id"]))
                out.add(host, dev["phy_id"], problem[0], problem[1])
                local_failure[(host, dev["phy_id"])] = out.items[-1]
            for error in dev.get("errors") or []:
                out.add(host, dev["phy_id"], "hccn", error)
            if dev.get("tls_switch") is not None:
                tls[(host, dev["phy_id"])] = dev["tls_switch"]
        _check_fabric(out, host, data.get("fabric") or {})
        conn = data.get("connectivity") or {}
        if conn.get("failed"):
            out.add(host, None, "connectivity", conn.get("msg") or "hccl_connectivity failed")
        probes.extend(conn.get("probes") or [])
        for t in conn.get("tcp") or []:
            if t["state"] in ("timeout", "unreachable"):
                out.add(host, None, "tcp", "%s -> %s %s:%d: %s (a firewall drops it?)"
                        % (host, t["dst_host"], t["address"], t["port"], t["state"]))
        if check_env:
            npu = (data.get("health") or {}).get("npu_smi") or {}
            count = len(npu["devices"]) if npu.get("devices") is not None else None
            _check_env(out, host, data.get("env"), count)
    _check_tls(out, tls)
    _check_ports(out, hosts, [h for h in names if h not in down], local, ports)
    spread = _check_clocks(out, hosts, [h for h in names if h not in down], clock_threshold)
    ray = _check_ray(out, hosts, names, down)
    hccl = _check_hccl(out, hosts, names, down)
    _check_probes(out, probes, local, local_failure)
    order = dict((h, i) for i, h in enumerate(names))
    failures = sorted(out.items, key=lambda f: (order.get(f["host"], 0), f["device"] is not None,
                                                f["device"] if f["device"] is not None else -1))
    bad_hosts = sorted(set(f["host"] for f in failures), key=natural_key)
    summary = {"hosts": len(names), "unreachable": len(down), "failed_hosts": len(bad_hosts),
               "failures": len(failures), "probes": len(probes),
               "probes_failed": sum(1 for p in probes if not p["ok"]),
               "clock_spread_s": None if not spread or spread["estimate"] is None else round(spread["estimate"], 3),
               "ray_npus": (ray or {}).get("npus"), "ray_smoke_slots": (ray or {}).get("smoke_slots")}
    return {"ok": not failures, "failures": failures, "summary": summary, "bad_hosts": bad_hosts,
            "matrix": matrix([h for h in names if h not in down], probes), "ray": ray, "hccl": hccl}
