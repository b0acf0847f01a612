"""Address plan of one simulated cluster.

Defaults stay inside 198.18.0.0/15 (RFC 2544 benchmarking range): management network
198.18.<slot>.0/24 (host bridge .1, node i at .10+i), RoCE fabric 198.19.<16*slot>.0/20
(.1 is the netdetect/gateway address of the plane, device d of node i at 16*i + d).
Nothing is routed: nodes get no default route, the fabric bridge has no host address.
"""

import ipaddress

from . import config


class PlanError(ValueError):
    pass


def default_cidrs(slot):
    return ("198.18.%d.0/24" % slot, "198.19.%d.0/20" % (16 * slot))


def build(slot, nodes, devices_per_node, mgmt_cidr=None, fabric_cidr=None):
    """Return the plan dict or raise PlanError with one clear sentence."""
    if nodes < 1:
        raise PlanError("--nodes must be at least 1")
    if nodes > config.MAX_NODES:
        raise PlanError("%d nodes do not fit the address plan (at most %d per cluster)"
                        % (nodes, config.MAX_NODES))
    d_mgmt, d_fabric = default_cidrs(slot)
    try:
        mgmt = ipaddress.IPv4Network(mgmt_cidr or d_mgmt)
        fabric = ipaddress.IPv4Network(fabric_cidr or d_fabric)
    except ValueError as err:
        raise PlanError("bad network: %s" % err)
    if mgmt.overlaps(fabric):
        raise PlanError("management %s and fabric %s overlap" % (mgmt, fabric))
    if mgmt.num_addresses - 2 < 10 + nodes:
        raise PlanError("%d nodes do not fit the management network %s" % (nodes, mgmt))
    if fabric.num_addresses - 2 < 16 * (nodes + 1):
        raise PlanError("%d nodes x %d devices do not fit the fabric %s"
                        % (nodes, devices_per_node, fabric))
    base_m, base_f = int(mgmt.network_address), int(fabric.network_address)
    gateway = str(ipaddress.IPv4Address(base_f + 1))
    plan = {
        "mgmt_cidr": str(mgmt),
        "fabric_cidr": str(fabric),
        "host_ip": str(ipaddress.IPv4Address(base_m + 1)),
        "mgmt_prefix": mgmt.prefixlen,
        "fabric_netmask": str(fabric.netmask),
        "fabric_gateway": gateway,
        "nodes": [],
    }
    for i in range(1, nodes + 1):
        plan["nodes"].append({
            "name": "node%d" % i,
            "mgmt_ip": str(ipaddress.IPv4Address(base_m + 10 + i)),
            "device_ips": [str(ipaddress.IPv4Address(base_f + 16 * i + d))
                           for d in range(devices_per_node)],
        })
    return plan


def overlaps_any(plan, networks):
    """The first of `networks` (CIDR strings) that the plan would collide with, else None."""
    ours = [ipaddress.IPv4Network(plan["mgmt_cidr"]), ipaddress.IPv4Network(plan["fabric_cidr"])]
    for net in networks:
        try:
            other = ipaddress.ip_network(net, strict=False)
        except ValueError:
            continue
        if other.version == 4 and other.prefixlen > 0 and any(o.overlaps(other) for o in ours):
            return str(other)
    return None


def hccn_conf(plan, node_index, devices_per_node):
    """/etc/hccn.conf of one node, as the site's network plan would have it (§2.2)."""
    node = plan["nodes"][node_index]
    lines = []
    for d in range(devices_per_node):
        lines += [
            "address_%d=%s" % (d, node["device_ips"][d]),
            "netmask_%d=%s" % (d, plan["fabric_netmask"]),
            "netdetect_%d=%s" % (d, plan["fabric_gateway"]),
            "gateway_%d=%s" % (d, plan["fabric_gateway"]),
            "send_arp_status_%d=1" % d,
            "tls_enable_%d=0" % d,
        ]
    return "\n".join(lines) + "\n"
