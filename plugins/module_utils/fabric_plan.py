# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The RoCE address plan: which address, netmask, gateway and netdetect address every device port
of a host should have, and the rules a plan must keep.  Used by layer 1 (before any host is
contacted), the fabric planner and verify, so all three read a plan the same way.

A plan is a list of subnets; device d of the host with index i in a subnet gets
network + offset + i * stride + (position of d in the subnet's devices).  Explicit per-host
ports (fabric_ports) win over the plan.  Product rules (Huawei's network guides): the eight ports
of an A2 server share one subnet; on the Box16 each HCCS ring of eight does; on A3 the two dies
of one NPU must sit in different subnets, or hccn_tool -ping between them fails.
Python 3.9+, standard library only.
"""

import ipaddress

from ansible_collections.ascend_verl.cluster.plugins.module_utils import hardware

DEFAULT_OFFSET = 16
DEFAULT_STRIDE = 16
INDEX_GROUP = "npu_nodes"
BOX16 = "Atlas 200T A2 Box16"


def problem(variable, found, expected):
    return {"variable": variable, "found": found, "expected": expected}


def host_index(knob, host, groups, group=INDEX_GROUP):
    """fabric_host_index when set, else the host's 0-based position in group npu_nodes; None when neither."""
    if knob is not None and knob != "":
        return int(knob)
    members = list((groups or {}).get(group) or [])
    return members.index(host) if host in members else None


def _net(text):
    return ipaddress.IPv4Network(str(text), strict=True)


def _addr(text):
    return ipaddress.IPv4Address(str(text))


def _port(address, net, gateway, netdetect, source):
    return {"address": str(address), "netmask": str(net.netmask), "prefix": net.prefixlen, "subnet": str(net),
            "gateway": str(gateway), "netdetect": str(netdetect), "source": source}


def _plan_entries(plan, devices, problems):
    """Validated plan entries: [(net, gateway, netdetect, device list, offset, stride)]."""
    out, seen = [], {}
    for n, entry in enumerate(plan or []):
        var = "fabric_plan[%d]" % n
        if not isinstance(entry, dict):
            problems.append(problem(var, entry, "a dict with cidr and gateway"))
            continue
        try:
            net = _net(entry.get("cidr"))
        except (ValueError, TypeError):
            problems.append(problem(var + ".cidr", entry.get("cidr"), "an IPv4 network such as 10.20.0.0/16 (no host bits)"))
            continue
        bad = False
        try:
            gateway = _addr(entry.get("gateway"))
            if gateway not in net:
                problems.append(problem(var + ".gateway", str(gateway), "an address inside %s" % net))
                bad = True
        except (ValueError, TypeError):
            problems.append(problem(var + ".gateway", entry.get("gateway"), "an IPv4 address inside %s" % net))
            continue
        try:
            netdetect = _addr(entry.get("netdetect") or gateway)
        except (ValueError, TypeError):
            problems.append(problem(var + ".netdetect", entry.get("netdetect"), "an IPv4 address"))
            continue
        ids = entry.get("devices")
        ids = list(devices) if ids in (None, []) else ids
        try:
            ids = [int(d) for d in ids]
        except (ValueError, TypeError):
            problems.append(problem(var + ".devices", entry.get("devices"), "a list of device phy ids"))
            continue
        for d in ids:
            if devices and d not in devices:
                problems.append(problem(var + ".devices", d, "a phy id of this product (0-%d)" % (len(devices) - 1)))
                bad = True
            elif d in seen:
                problems.append(problem(var + ".devices", d, "each device in one subnet only (also in fabric_plan[%d])"
                                        % seen[d]))
                bad = True
            seen[d] = n
        offset = int(entry.get("offset", DEFAULT_OFFSET) if entry.get("offset") is not None else DEFAULT_OFFSET)
        stride = int(entry.get("stride", DEFAULT_STRIDE) if entry.get("stride") is not None else DEFAULT_STRIDE)
        if stride < len(ids):
            problems.append(problem(var + ".stride", stride, "at least the number of its devices (%d), or hosts overlap"
                                    % len(ids)))
            bad = True
        if offset < 0:
            problems.append(problem(var + ".offset", offset, "0 or more"))
            bad = True
        if not bad:
            out.append((net, gateway, netdetect, ids, offset, stride))
    return out


def _explicit(ports, problems):
    """fabric_ports {phy_id: {address: A/prefix, gateway, netdetect}} -> {phy_id: port}."""
    out = {}
    for key, spec in (ports or {}).items():
        var = "fabric_ports[%s]" % key
        try:
            phy = int(key)
        except (ValueError, TypeError):
            problems.append(problem(var, key, "a device phy id as the key"))
            continue
        spec = spec or {}
        try:
            iface = ipaddress.IPv4Interface(str(spec.get("address")))
        except (ValueError, TypeError):
            problems.append(problem(var + ".address", spec.get("address"), "an IPv4 address with its prefix, e.g. 10.20.1.5/16"))
            continue
        if iface.network.prefixlen == 32 or "/" not in str(spec.get("address")):
            problems.append(problem(var + ".address", spec.get("address"), "an address with its prefix, e.g. 10.20.1.5/16"))
            continue
        try:
            gateway = _addr(spec.get("gateway"))
            netdetect = _addr(spec.get("netdetect") or gateway)
        except (ValueError, TypeError):
            problems.append(problem(var + ".gateway", spec.get("gateway"), "an IPv4 address inside %s" % iface.network))
            continue
        if gateway not in iface.network:
            problems.append(problem(var + ".gateway", str(gateway), "an address inside %s" % iface.network))
            continue
        out[phy] = _port(iface.ip, iface.network, gateway, netdetect, "fabric_ports")
    return out


def _rules(product, ports):
    """Product rules over one host's ports."""
    out = []
    by_subnet = dict((d, p["subnet"]) for d, p in ports.items())
    npu_device, count = hardware.npu_device_of(product), hardware.expected_devices(product)
    if npu_device == "A3":
        for d in sorted(by_subnet):
            if d % 2 == 0 and d + 1 in by_subnet and by_subnet[d] == by_subnet[d + 1]:
                out.append(problem("fabric_plan (device %d)" % (d + 1), ports[d + 1]["address"],
                                   "a subnet other than device %d's (%s): the two dies of NPU %d must sit in different "
                                   "subnets on A3, or hccn_tool -ping between them fails" % (d, by_subnet[d], d // 2)))
    elif npu_device == "A2":
        groups = [range(0, 8), range(8, 16)] if product == BOX16 else [range(0, count or 8)]
        for group in groups:
            members = [d for d in group if d in by_subnet]
            if not members:
                continue
            first = members[0]
            for d in members[1:]:
                if by_subnet[d] != by_subnet[first]:
                    what = ("ring %d-%d" % (group[0], group[-1])) if product == BOX16 else "this node"
                    out.append(problem("fabric_plan (device %d)" % d, ports[d]["address"],
                                       "the subnet of device %d (%s): the ports of %s share one subnet on %s"
                                       % (first, by_subnet[first], what, product)))
    return out


def wanted(product, plan, index, ports=None):
    """-> ({phy_id: port}, problems) for one host.  A port: address, netmask, prefix, subnet, gateway,
    netdetect, source.  No plan and no explicit ports -> ({}, [])."""
    problems = []
    count = hardware.expected_devices(product)
    devices = list(range(count)) if count else []
    out = {}
    entries = _plan_entries(plan, devices, problems)
    if entries and index is None:
        problems.append(problem("fabric_host_index", None, "an index for this host (it is not in group %s)" % INDEX_GROUP))
        entries = []
    for net, gateway, netdetect, ids, offset, stride in entries:
        for pos, d in enumerate(ids):
            address = net.network_address + offset + int(index) * stride + pos
            if address not in net or address in (net.network_address, net.broadcast_address):
                problems.append(problem("fabric_plan (device %d)" % d, str(address),
                                        "an address inside %s: host index %s does not fit (offset %d, stride %d)"
                                        % (net, index, offset, stride)))
                continue
            if address in (gateway, netdetect):
                problems.append(problem("fabric_plan (device %d)" % d, str(address),
                                        "an address other than the gateway/netdetect address of %s" % net))
                continue
            out[d] = _port(address, net, gateway, netdetect, "fabric_plan")
    out.update(_explicit(ports, problems))
    seen = {}
    for d in sorted(out):
        address = out[d]["address"]
        if address in seen:
            problems.append(problem("%s (device %d)" % (out[d]["source"], d), address,
                                    "an address of its own (device %d has it too)" % seen[address]))
        seen[address] = d
    problems += _rules(product, out)
    return out, problems


def duplicates(host, mine, others):
    """Problems for addresses of `host` that another host also gets.  others: {host: {phy_id: port}}."""
    owners = {}
    for other in sorted(others):
        if other == host:
            continue
        for d, port in others[other].items():
            owners.setdefault(port["address"], "%s device %d" % (other, d))
    out = []
    for d in sorted(mine):
        address = mine[d]["address"]
        if address in owners:
            out.append(problem("%s (device %d)" % (mine[d]["source"], d), address,
                               "an address no other host gets (%s has it too)" % owners[address]))
    return out


def conf_lines(text):
    """/etc/hccn.conf text -> [(key, value)] in file order (comments and blank lines dropped)."""
    out = []
    for line in (text or "").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out.append((key.strip(), value.strip()))
    return out


MANAGED_KEYS = ("address", "netmask", "netdetect", "gateway", "send_arp_status")


def conf_text(current, ports):
    """/etc/hccn.conf with the planned devices' keys set and every other line kept, in the format the
    driver reads back at boot (KEY_N=VALUE).  Keys already in the file keep their place; missing
    ones follow, device by device."""
    wanted = []
    for d in sorted(ports):
        p = ports[d]
        wanted += [("address_%d" % d, p["address"]), ("netmask_%d" % d, p["netmask"]),
                   ("netdetect_%d" % d, p["netdetect"]), ("gateway_%d" % d, p["gateway"]),
                   ("send_arp_status_%d" % d, "1")]
    values = dict(wanted)
    lines, placed = [], set()
    for key, value in conf_lines(current):
        if key in placed:
            continue            # a duplicate key: the first one is the one that counts
        placed.add(key)
        lines.append((key, values.get(key, value)))
    lines += [(k, v) for k, v in wanted if k not in placed]
    return "".join("%s=%s\n" % kv for kv in lines)


def summary(ports):
    """Addresses of ports in one short line per subnet, in phy-id order: "198.19.0.16-198.19.0.23/20"
    for a consecutive run, else the addresses joined by commas; "none" when no port has one."""
    runs = {}
    for p in sorted(ports, key=lambda p: p.get("phy_id", 0)):
        if not p.get("address"):
            continue
        try:
            iface = ipaddress.IPv4Interface("%s/%s" % (p["address"], p.get("netmask") or "32"))
        except ValueError:
            runs.setdefault(str(p["address"]), []).append(p["address"])
            continue
        runs.setdefault(str(iface.network), []).append(iface.ip)
    out = []
    for net, addresses in runs.items():
        prefix = net.split("/")[1] if "/" in net else ""
        ints = [int(a) for a in addresses] if all(not isinstance(a, str) for a in addresses) else []
        if len(addresses) > 1 and ints == list(range(ints[0], ints[0] + len(ints))):
            out.append("%s-%s/%s" % (addresses[0], addresses[-1], prefix))
        else:
            out.append(",".join(str(a) for a in addresses) + ("/" + prefix if prefix else ""))
    return "; ".join(out) or "none"
