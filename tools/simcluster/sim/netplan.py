"""Address plan of one simulated cluster.

Defaults stay inside 198.18.0.0/15 (RFC 2544 benchmarking range): management network
198.18.<slot>.0/24 (host bridge .1, node i at .10+i), RoCE fabric 198.19.<16*slot>.0/20.

The fabric is cut into planes (subnets), one per group of devices the product keeps apart:
A2 and Box16 have one plane (the whole /20: the ports of a node share one subnet), A3 two
(/21 each: die 0 of every NPU in plane 0, die 1 in plane 1, because the two dies of one
NPU must not share a subnet).  In plane p, the device at position k of the plane's device
list on node i (1-based) has network(p) + OFFSET + (i - 1) * STRIDE + k = network + 16 i + k,
and .1 is the plane's gateway and netdetect address (held by the cluster's gateway router).
`fabric_plan()` is the same plan in the collection's inventory format (role fabric).
Nothing is routed off the machine: nodes get no default route on the management network,
the fabric bridges have no host address.
"""

import ipaddress

from . import config

OFFSET = 16      # first host address of a plane (the .1-.15 below it: gateway, spare)
STRIDE = 16      # addresses per node and plane


class PlanError(ValueError):
    pass


def default_cidrs(slot):
    return ("198.18.%d.0/24" % slot, "198.19.%d.0/20" % (16 * slot))


def build(slot, nodes, planes, mgmt_cidr=None, fabric_cidr=None):
    """Return the plan dict or raise PlanError with one clear sentence.

    planes: list of device (phy id) lists, one per plane, e.g. [[0..7]] or
    [[0, 2, ..., 14], [1, 3, ..., 15]] (profiles.fabric_planes)."""
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
    ndev = sum(len(p) for p in planes)
    bits = (len(planes) - 1).bit_length()       # 1 plane: the whole fabric, 2: halves
    if fabric.prefixlen + bits > 30:
        raise PlanError("%d nodes x %d devices do not fit the fabric %s" % (nodes, ndev, fabric))
    subnets = list(fabric.subnets(prefixlen_diff=bits))[:len(planes)]
    if subnets[0].num_addresses - 2 < OFFSET + STRIDE * nodes:
        raise PlanError("%d nodes x %d devices do not fit the fabric %s" % (nodes, ndev, fabric))
    base_m = int(mgmt.network_address)
    plan = {
        "mgmt_cidr": str(mgmt),
        "fabric_cidr": str(fabric),
        "host_ip": str(ipaddress.IPv4Address(base_m + 1)),
        "mgmt_prefix": mgmt.prefixlen,
        "planes": [{"cidr": str(net), "netmask": str(net.netmask), "prefix": net.prefixlen,
                    "gateway": str(net.network_address + 1), "devices": list(devs)}
                   for net, devs in zip(subnets, planes)],
        "nodes": [],
    }
    for i in range(1, nodes + 1):
        ips = [None] * ndev
        for net, devs in zip(subnets, planes):
            for k, phy in enumerate(devs):
                ips[phy] = str(net.network_address + OFFSET + STRIDE * (i - 1) + k)
        plan["nodes"].append({
            "name": "node%d" % i,
            "mgmt_ip": str(ipaddress.IPv4Address(base_m + 10 + i)),
            "device_ips": ips,
        })
    return plan


def plane_of(plan, phy_id):
    """The plane (dict with cidr, netmask, prefix, gateway, devices) of a device."""
    for plane in plan["planes"]:
        if phy_id in plane["devices"]:
            return plane
    raise KeyError(phy_id)


def fabric_plan(plan):
    """The plan as the collection's `fabric_plan` inventory variable (role fabric)."""
    return [{"cidr": p["cidr"], "gateway": p["gateway"], "netdetect": p["gateway"],
             "devices": list(p["devices"]), "offset": OFFSET, "stride": STRIDE}
            for p in plan["planes"]]


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


def hccn_conf(plan, node_index):
    """/etc/hccn.conf of one node, as the site's network plan would have it (section 2.2)."""
    node = plan["nodes"][node_index]
    lines = []
    for d, address in enumerate(node["device_ips"]):
        plane = plane_of(plan, d)
        lines += [
            "address_%d=%s" % (d, address),
            "netmask_%d=%s" % (d, plane["netmask"]),
            "netdetect_%d=%s" % (d, plane["gateway"]),
            "gateway_%d=%s" % (d, plane["gateway"]),
            "send_arp_status_%d=1" % d,
            "tls_enable_%d=0" % d,
        ]
    return "\n".join(lines) + "\n"
