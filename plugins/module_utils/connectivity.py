# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which device pairs a node probes, and the probes themselves (RoCE ping, host TCP).

An ICMP echo proves both directions of a path, so by default every unordered pair of hosts
is probed once, by the host that "owns" it: of two hosts i < j (positions in the sorted
list) the owner is the one from which the other is at most half way round the circle.
Every host then owns about (N-1)/2 peers, and the slowest node sets the wall time.
Runs on the node's system Python (3.9+), standard library only.
"""

import errno
import socket
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.ascend_verl.cluster.plugins.module_utils import hccn

TOPOLOGIES = ("same_index", "full_mesh", "ring")


def owns(hosts, me, peer):
    """True when `me` probes the unordered pair (me, peer)."""
    n, i, j = len(hosts), hosts.index(me), hosts.index(peer)
    forward = (j - i) % n
    if forward * 2 == n:          # exactly opposite: the lower position takes it
        return i < j
    return forward * 2 < n


def _addressed(host):
    return dict((d["phy_id"], d["address"]) for d in host.get("devices") or [] if d.get("address"))


def plan(hosts, me, topology="same_index", both_directions=False):
    """Probes {src_device, dst_host, dst_device, dst_address} that host `me` runs.

    hosts: [{host, devices: [{phy_id, address}]}]; devices without an address are left out
    (the diagnosis reports them on their own).
    """
    if topology not in TOPOLOGIES:
        raise ValueError("topology must be one of %s" % ", ".join(TOPOLOGIES))
    by_name = dict((h["host"], h) for h in hosts)
    if me not in by_name:
        return []
    names = sorted(by_name)
    mine = _addressed(by_name[me])
    if topology == "ring":
        if len(names) < 2:
            return []
        nxt = names[(names.index(me) + 1) % len(names)]
        if len(names) == 2 and not both_directions and names.index(me) == 1:
            return []             # two hosts: node1 -> node2 already covers the pair
        peers = [nxt]
    else:
        peers = [p for p in names if p != me and (both_directions or owns(names, me, p))]
    probes = []
    for peer in peers:
        theirs = _addressed(by_name[peer])
        for src in sorted(mine):
            targets = [src] if topology in ("same_index", "ring") else sorted(theirs)
            for dst in targets:
                if dst in theirs:
                    probes.append({"src_device": src, "dst_host": peer, "dst_device": dst,
                                   "dst_address": theirs[dst]})
    return probes


def ping(runner, probe):
    """Run one `hccn_tool -i D -ping -g address A`; the probe dict gains the outcome."""
    rc, out = runner(["-i", str(probe["src_device"]), "-ping", "-g", "address", probe["dst_address"]])
    summary = hccn.parse_ping(out) or {"sent": None, "received": 0, "loss_pct": 100.0}
    result = dict(probe, rc=rc, **summary)
    result["ok"] = rc == 0 and summary["received"] > 0
    if not result["ok"]:
        result["message"] = hccn._first_line(out) or "hccn_tool exited %d" % rc
    return result


def tcp_state(address, port, timeout):
    """open / refused (path is fine, nothing listens) / timeout (filtered) / unreachable."""
    sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        code = sock.connect_ex((address, port))
    except socket.timeout:
        return "timeout"
    except OSError as err:
        code = err.errno
    finally:
        sock.close()
    if code == 0:
        return "open"
    if code == errno.ECONNREFUSED:
        return "refused"
    if code in (errno.ETIMEDOUT, errno.EAGAIN, errno.EINPROGRESS):
        return "timeout"
    return "unreachable"


def expand_ports(ports):
    """[6379, "60000-60015"] -> sorted unique ints."""
    out = set()
    for item in ports:
        text = str(item)
        if "-" in text:
            low, high = (int(x) for x in text.split("-", 1))
            out.update(range(low, high + 1))
        else:
            out.add(int(text))
    bad = [p for p in out if not 0 < p < 65536]
    if bad:
        raise ValueError("ports out of range: %s" % bad)
    return sorted(out)


def run_all(runner, probes, tcp_targets, workers, tcp_timeout, tcp_check=tcp_state):
    """Ping and TCP probes together in one bounded pool -> (ping results, tcp results)."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        pings = [pool.submit(ping, runner, p) for p in probes]
        tcps = [(t, pool.submit(tcp_check, t["address"], t["port"], tcp_timeout)) for t in tcp_targets]
        return ([f.result() for f in pings], [dict(t, state=f.result()) for t, f in tcps])
