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
        with hwstate.locked(hw) as st:
            hwstate.device(st, phy)["roce"]["speed_mbps"] = speed
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
