# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The RoCE ports as a node has them: every device's address, netmask, gateway, netdetect
address, link and net health (hccn_tool, the devices asked in parallel) and /etc/hccn.conf.
Part of the ascend_facts read (option fabric).  Runs on the node's system Python (3.9+).
"""

import time

from ansible_collections.ascend_verl.cluster.plugins.module_utils import hccn

HCCN_CONF = "/etc/hccn.conf"
FIELDS = ("link", "net_health", "netdetect", "gateway")
KEYS = ("phy_id", "address", "netmask", "gateway", "netdetect", "link", "net_health", "errors")


def _settle(runner, ports, seconds, clock, sleep):
    """Ask again, once a second, the ports whose net health is still Init (a port just addressed
    checks its netdetect address first), for at most `seconds`."""
    deadline = clock() + seconds
    while clock() < deadline:
        waiting = [p for p in ports if p.get("net_health") == "Init" and p.get("address")]
        if not waiting:
            return
        sleep(1)
        for port in waiting:
            rc, out = runner(["-i", str(port["phy_id"]), "-net_health", "-g"])
            if rc == 0:
                port["net_health"] = hccn.parse_field("net_health", out)


def gather(run, node, ascend_root, runner=None, tool=None, settle=0, clock=time.monotonic, sleep=time.sleep):
    """-> {tool, error, conf, ports}.  `runner(args) -> (rc, output)` asks hccn_tool (tests pass one);
    `error` is set when the ports cannot be read at all (no driver, tool missing, device not started)."""
    out = {"tool": None, "error": None, "conf": node.read(HCCN_CONF), "ports": []}
    ids = hccn.device_ids(node.at("/dev"))
    if not ids:
        out["error"] = "no /dev/davinciN on the node: the driver is not loaded"
        return out
    if runner is None:
        tool = tool or hccn.find_tool(root=ascend_root)
        if not tool:
            out["error"] = "hccn_tool not found (%s/driver/tools/hccn_tool, /usr/local/bin)" % ascend_root
            return out

        def runner(args):
            return hccn.run(run, tool, args)
    out["tool"] = tool
    devices, error = hccn.collect(runner, ids, fields=FIELDS)
    out["error"] = error
    out["ports"] = [dict((k, dev.get(k)) for k in KEYS) for dev in devices]
    if settle and not error:
        _settle(runner, out["ports"], settle, clock, sleep)
    return out
