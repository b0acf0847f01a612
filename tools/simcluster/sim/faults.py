"""Faults a test can inject into a running simulated node; each one is reversible.

IDX is the device's phy-id (what hccn_tool -i, /dev/davinciN and ASCEND_RT_VISIBLE_DEVICES
use): 0..7 on a2, 0..15 on a2-box16 and a3.
"""

import os

from . import cluster
from .cluster import SimError, hwstate

# Error codes/texts shown by `npu-smi info -t health` per injected level.  The Warning
# pair is the one quoted in the reference; the others are made up in the same shape.
HEALTH_ERRORS = {
    "OK": ([], []),
    "Warning": (["80E01801"], ["node type=SOC, sensor type=Temperature"]),
    "Alarm": (["80CB8009"], ["node type=HBM, sensor type=ECC, event state=multi-bit error"]),
    "Critical": (["80E18005", "80C98009"],
                 ["node type=AICORE, sensor type=Heartbeat, event state=lost",
                  "node type=HBM, sensor type=ECC, event state=isolated pages over limit"]),
}
PACKAGES = ("driver", "firmware", "toolkit", "kernels", "nnal")
SLOW_SPEED_MBPS = 25000     # port-slow without MBPS: a 200GE port that came up at 25G
# packet-loss: an nftables table in the port's namespace dropping that share of the packets it
# sends and receives (the kernel has no sch_netem); nft is the node rootfs's (the host need not
# have it), run from the host in the port's namespace.
LOSS_TABLE = "simcluster_loss"
TBF_BURST, TBF_LIMIT = 1600, 100000     # bytes: one packet of burst, a queue that never drops
# Port faults that degrade a port without taking it down: kind -> (RoCE state key, value set).
PORT_FAULTS = {
    "optical-fail": ("optical_fail", True), "optical-ok": ("optical_fail", False),
    "errors-grow": ("errors_grow", True), "errors-stop": ("errors_grow", False),
    "hccs-bad": ("hccs_bad", True), "hccs-ok": ("hccs_bad", False),
}

USAGE = {
    "npu-health": "IDX OK|Warning|Alarm|Critical",
    "link-down": "IDX", "link-up": "IDX",
    "node-down": "", "node-up": "",
    "disk-full": "", "disk-ok": "",
    "npu-busy": "IDX [PROCESS-NAME [MEMORY-MB]]", "npu-idle": "IDX",
    "installer-fail": "PACKAGE", "installer-reboot": "PACKAGE", "installer-ok": "PACKAGE",
    "dcmi-error": "", "dcmi-ok": "",
    "tls": "IDX 0|1",
    "port-slow": "IDX [MBPS]", "port-fast": "IDX",
    "packet-loss": "IDX PERCENT", "packet-loss-off": "IDX",
    "optical-fail": "IDX", "optical-ok": "IDX",
    "errors-grow": "IDX", "errors-stop": "IDX",
    "hccs-bad": "IDX", "hccs-ok": "IDX",
    "reboot": "",
}


def _idx(reg, args, kind):
    if not args or not args[0].isdigit() or int(args[0]) >= reg["devices_per_node"]:
        raise SimError("%s needs a device index 0..%d" % (kind, reg["devices_per_node"] - 1))
    return int(args[0])


def _set_link(reg, node, phy_id, up):
    i = reg["nodes"][node]["index"]
    name = "s%dn%d%s" % (reg["slot"], i, "m" if phy_id is None else "d%d" % phy_id)
    cluster._run(["ip", "link", "set", name, "up" if up else "down"])


def _port(reg, node, phy_id):
    """(the port's namespace, its interface there, the host end of its veth on the leaf bridge)."""
    return (cluster.device_ns(reg["name"], node, phy_id), "eth%d" % phy_id,
            "s%dn%dd%d" % (reg["slot"], reg["nodes"][node]["index"], phy_id))


def _shape(reg, node, phy_id, mbps):
    """A token bucket at mbps (on the fabric's scale model, hwstate.fabric_rate) on both
    directions of the port: its own egress and the bridge's egress towards it; None removes it."""
    netns, ifname, host_end = _port(reg, node, phy_id)
    if mbps is None:
        cluster._run(["tc", "-n", netns, "qdisc", "del", "dev", ifname, "root"], check=False)
        cluster._run(["tc", "qdisc", "del", "dev", host_end, "root"], check=False)
        return
    bits = max(8000, int(round(hwstate.fabric_rate(mbps * 1e6 / 8) * 8)))
    tbf = ["root", "tbf", "rate", "%dbit" % bits, "burst", str(TBF_BURST), "limit", str(TBF_LIMIT)]
    cluster._run(["tc", "-n", netns, "qdisc", "replace", "dev", ifname] + tbf)
    cluster._run(["tc", "qdisc", "replace", "dev", host_end] + tbf)


def _lose(reg, node, phy_id, percent):
    """Drop percent % of what the port sends and receives (nftables, netdev hooks of its
    interface: the packets are lost on the wire, not refused to the sender); None stops it."""
    netns, ifname, dummy = _port(reg, node, phy_id)
    # add + delete: removes the table whether it exists or not (nft 1.0.6 has no 'destroy')
    script = "add table netdev {t}\ndelete table netdev {t}\n".format(t=LOSS_TABLE)
    if percent is not None:
        rule = "numgen random mod 100 < %d counter drop" % percent
        script += ("table netdev {t} {{\n"
                   "  chain rx {{ type filter hook ingress device \"{i}\" priority 0; policy accept; {r}; }}\n"
                   "  chain tx {{ type filter hook egress device \"{i}\" priority 0; policy accept; {r}; }}\n"
                   "}}\n").format(t=LOSS_TABLE, i=ifname, r=rule)
    cluster._run(["ip", "netns", "exec", netns, "chroot", reg["rootfs"], "/usr/sbin/nft", "-f", "-"],
                 stdin=script)


def _package(args, kind):
    if not args or args[0] not in PACKAGES:
        raise SimError("%s needs a package: %s" % (kind, ", ".join(PACKAGES)))
    return args[0]


def _remount_disk(reg, node, full):
    if full:
        st = os.statvfs(os.path.join("/proc/%d/root/.simdisk" % cluster.init_pid(reg, node)))
        used_kb = (st.f_blocks - st.f_bfree) * st.f_frsize // 1024
        size = "%dk" % (-(-used_kb // 4) * 4)   # whole pages, nothing free
    else:
        size = reg["disk"]
    cluster.node_exec(reg, node, ["mount", "-o", "remount,size=" + size, "/.simdisk"])


def inject(name, node, kind, args):
    reg = cluster.load(name)
    if node not in reg["nodes"]:
        raise SimError("unknown host %r in %s (hosts: %s)"
                       % (node, name, ", ".join(sorted(reg["nodes"], key=lambda n: reg["nodes"][n]["index"]))))
    if kind not in USAGE:
        raise SimError("unknown fault %r (known: %s)" % (kind, ", ".join(sorted(USAGE))))
    hw = cluster.hw_dir(reg, node)

    if kind == "npu-health":
        phy = _idx(reg, args, kind)
        if len(args) < 2 or args[1] not in HEALTH_ERRORS:
            raise SimError("npu-health needs a level: OK, Warning, Alarm, Critical")
        with hwstate.locked(hw) as st:
            dev = hwstate.device(st, phy)
            dev["health"] = args[1]
            dev["error_codes"], dev["error_info"] = HEALTH_ERRORS[args[1]]
    elif kind in ("link-down", "link-up"):
        phy = _idx(reg, args, kind)
        with hwstate.locked(hw) as st:
            down = set(st.get("links_down", []))
            down.discard(phy) if kind == "link-up" else down.add(phy)
            st["links_down"] = sorted(down)
            node_down = st.get("node_down", False)
        if not node_down:
            _set_link(reg, node, phy, kind == "link-up")
    elif kind in ("node-down", "node-up"):
        up = kind == "node-up"
        with hwstate.locked(hw) as st:
            st["node_down"] = not up
            links_down = set(st.get("links_down", []))
        _set_link(reg, node, None, up)
        for phy in range(reg["devices_per_node"]):
            _set_link(reg, node, phy, up and phy not in links_down)
    elif kind in ("disk-full", "disk-ok"):
        _remount_disk(reg, node, kind == "disk-full")
        with hwstate.locked(hw) as st:
            st["faults"]["disk_full"] = kind == "disk-full"
    elif kind == "npu-busy":
        phy = _idx(reg, args, kind)
        extra = list(args[1:3])
        out = cluster.node_exec(reg, node, ["python3", "/opt/simcluster/lib/simctl.py", "busy",
                                            str(phy)] + extra)
        return "pid %s holds device %d" % (out.stdout.strip(), phy)
    elif kind == "npu-idle":
        phy = _idx(reg, args, kind)
        cluster.node_exec(reg, node, ["python3", "/opt/simcluster/lib/simctl.py", "idle", str(phy)])
    elif kind.startswith("installer-"):
        pkg = _package(args, kind)
        with hwstate.locked(hw) as st:
            faults = st["faults"].setdefault("installer", {})
            if kind == "installer-ok":
                faults.pop(pkg, None)
            else:
                faults[pkg] = kind.split("-", 1)[1]
    elif kind in ("dcmi-error", "dcmi-ok"):
        with hwstate.locked(hw) as st:
            st["faults"]["dcmi_error"] = kind == "dcmi-error"
    elif kind == "tls":
        phy = _idx(reg, args, kind)
        if len(args) < 2 or args[1] not in ("0", "1"):
            raise SimError("tls needs a switch value: 0 (disable) or 1 (enable)")
        with hwstate.locked(hw) as st:
            hwstate.device(st, phy)["roce"]["tls_switch"] = int(args[1])
    elif kind in ("port-slow", "port-fast"):
        phy = _idx(reg, args, kind)
        speed = None
        if kind == "port-slow":
            if len(args) > 1 and not args[1].isdigit():
                raise SimError("port-slow takes the speed in Mb/s, e.g. 25000")
            speed = int(args[1]) if len(args) > 1 else SLOW_SPEED_MBPS
        _shape(reg, node, phy, speed)
        with hwstate.locked(hw) as st:
            hwstate.device(st, phy)["roce"]["speed_mbps"] = speed
    elif kind in ("packet-loss", "packet-loss-off"):
        phy = _idx(reg, args, kind)
        percent = None
        if kind == "packet-loss":
            if len(args) < 2 or not args[1].isdigit() or not 0 < int(args[1]) <= 100:
                raise SimError("packet-loss needs the share of packets to drop, 1..100 (percent)")
            percent = int(args[1])
        _lose(reg, node, phy, percent)
        with hwstate.locked(hw) as st:
            hwstate.device(st, phy)["roce"]["loss_percent"] = percent
    elif kind in PORT_FAULTS:
        phy = _idx(reg, args, kind)
        key, value = PORT_FAULTS[kind]
        with hwstate.locked(hw) as st:
            if key == "hccs_bad" and st.get("npu_device") != "A3":
                raise SimError("%s: only A3 nodes have two dies per NPU joined by HCCS" % kind)
            hwstate.device(st, phy)["roce"][key] = value
    elif kind == "reboot":
        cluster.node_exec(reg, node, ["/usr/sbin/reboot"])
    return ("%s: %s %s" % (node, kind, " ".join(args))).rstrip()
