# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan for the RoCE port addresses of a node (role fabric).

Compares the address plan (module_utils/fabric_plan.py) with the ports as hccn_tool reads them
and returns one hccn_tool call per setting that differs (address+netmask, gateway, netdetect, in
that order per port), then /etc/hccn.conf when its text differs, so the driver restores the same
addresses at boot.  Without a plan nothing is planned and the ports found are reported.  A port
whose NPU runs a process is not readdressed unless fabric_force.  With inputs.health the plan
also requires every planned port to have link UP and net health Success (the role's last check).
Python 3.9+, standard library only.
"""

from ansible_collections.ascend_verl.cluster.plugins.module_utils import fabric_plan, hardware
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.common import plan

HCCN_CONF = "/etc/hccn.conf"


def _shown(problem):
    return "%s = %s, expected %s" % (problem["variable"], problem["found"], problem["expected"])


def _cidr(port):
    if not port.get("address"):
        return "none"
    return "%s/%s" % (port["address"], port.get("netmask") or "?")


def found_summary(ports):
    """{phy_id: 'address/netmask via gateway'} of the ports as read."""
    return dict((p["phy_id"], "%s gw %s" % (_cidr(p), p.get("gateway") or "none")) for p in ports)


def roce_setting(ports, want):
    """The audit's view: the addresses found in one line, against the plan's (None without a plan)."""
    found = fabric_plan.summary(ports)
    if not want:
        return {"found": found, "expected": None, "ok": True}
    by_phy = dict((p["phy_id"], p) for p in ports)
    keys = ("address", "netmask", "gateway", "netdetect")
    ok = all((by_phy.get(d) or {}).get(k) == w[k] for d, w in want.items() for k in keys)
    return {"found": found, "expected": fabric_plan.summary([dict(p, phy_id=d) for d, p in want.items()]), "ok": ok}


def wanted_for(knobs, inputs):
    """({phy_id: port}, problems as dicts) of this host, from the knobs."""
    inputs = inputs or {}
    index = fabric_plan.host_index(knobs.get("fabric_host_index"), inputs.get("host"), inputs.get("groups"))
    return fabric_plan.wanted(knobs.get("ascend_product"), knobs.get("fabric_plan") or [], index,
                              knobs.get("fabric_ports") or {})


def port_steps(d, want, have):
    steps = []
    if (have.get("address"), have.get("netmask")) != (want["address"], want["netmask"]):
        steps.append({"kind": "ip", "phy_id": d,
                      "argv": ["-i", str(d), "-ip", "-s", "address", want["address"], "netmask", want["netmask"]],
                      "why": "device %d: address %s, planned %s/%s" % (d, _cidr(have), want["address"], want["netmask"])})
    if have.get("gateway") != want["gateway"]:
        steps.append({"kind": "gateway", "phy_id": d, "argv": ["-i", str(d), "-gateway", "-s", "gateway", want["gateway"]],
                      "why": "device %d: gateway %s, planned %s" % (d, have.get("gateway") or "none", want["gateway"])})
    if have.get("netdetect") != want["netdetect"]:
        steps.append({"kind": "netdetect", "phy_id": d,
                      "argv": ["-i", str(d), "-netdetect", "-s", "address", want["netdetect"]],
                      "why": "device %d: netdetect address %s, planned %s"
                             % (d, have.get("netdetect") or "none", want["netdetect"])})
    return steps


def health_problems(want, found):
    out = []
    for d in sorted(want):
        have = found.get(d) or {}
        bad = []
        if have.get("link") != "UP":
            bad.append("link %s" % (have.get("link") or "unknown"))
        if have.get("net_health") != "Success":
            bad.append("net health %s" % (have.get("net_health") or "unknown"))
        if bad:
            out.append("device %d (%s): %s" % (d, want[d]["address"], ", ".join(bad)))
    return out


def fabric(manifest, facts, knobs, inputs=None):
    inputs = inputs or {}
    want, wrong = wanted_for(knobs, inputs)
    read = facts.get("fabric") or {}
    found = dict((p["phy_id"], p) for p in read.get("ports") or [])
    extra = {"planned": bool(want), "found": found_summary(read.get("ports") or []),
             "settings": {"roce": roce_setting(read.get("ports") or [], want)},
             "wanted": dict((d, "%s/%s gw %s" % (p["address"], p["netmask"], p["gateway"])) for d, p in want.items()),
             "tool": read.get("tool"), "conf_path": HCCN_CONF}
    problems = [_shown(p) for p in wrong]
    if problems or not want:
        return plan("fabric", problems, [], **extra)
    if read.get("error"):
        later = "would address %d ports once they can be read (%s)" % (len(want), read["error"])
        if inputs.get("check_mode"):
            # A fresh node in --check: no driver yet, so nothing can be read; say what would happen.
            return plan("fabric", [], [{"kind": "later", "why": later}], **extra)
        if hardware.NOT_STARTED in read["error"]:
            # The driver waits for a reboot the hdk role was not allowed to make (it named the node).
            return plan("fabric", [], [], deferred=later, **extra)
        return plan("fabric", ["cannot read the RoCE ports: %s" % read["error"]], [], **extra)
    missing = sorted(d for d in want if d not in found)
    if missing:
        problems.append("the plan addresses devices %s, the node has no such device (it has %s)"
                        % (", ".join(map(str, missing)), ", ".join(map(str, sorted(found))) or "none"))
        return plan("fabric", problems, [], **extra)
    steps = []
    for d in sorted(want):
        steps += port_steps(d, want[d], found[d])
    if inputs.get("ports_only"):
        # verify and audit: the ports against the plan, as hccn_tool reads them
        return plan("fabric", [], steps, **extra)
    busy = set((facts.get("npu_smi") or {}).get("busy") or [])
    held = sorted(set(s["phy_id"] for s in steps) & busy)
    if held and not knobs.get("fabric_force"):
        problems.append("device %s runs a process: readdressing its port would break the job using it "
                        "(stop it, or set fabric_force: true)" % ", ".join(map(str, held)))
    conf = fabric_plan.conf_text(read.get("conf"), want)
    if conf != (read.get("conf") or ""):
        steps.append({"kind": "conf", "content": conf, "dest": HCCN_CONF,
                      "why": "%s: %s the planned addresses of %d devices"
                      % (HCCN_CONF, "write" if read.get("conf") is None else "update", len(want))})
    if inputs.get("health") and not steps:
        problems += health_problems(want, found)
    return plan("fabric", problems, steps, **extra)
