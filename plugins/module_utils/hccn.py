# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run `hccn_tool` and read what it prints (plain `key:value` lines, non-zero rc on failure).

Each device is asked one question per call, as the tool only allows; the calls of all devices
run in a small thread pool because each one is a process start and most of its time is waiting.
Runs on the node's system Python (3.9+), standard library only.
"""

import glob
import os
import re
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.ascend_verl.cluster.plugins.module_utils import hardware

_PING_SUMMARY = re.compile(r"(\d+) packets transmitted, (\d+) received, ([\d.]+)% packet loss")

# field -> (hccn_tool command, pattern whose first group is the value)
FIELDS = (
    ("link", "link", re.compile(r"link status:\s*(\S+)")),
    ("net_health", "net_health", re.compile(r"net health status:\s*(.+?)\s*$", re.M)),
    ("tls_switch", "tls", re.compile(r"tls switch\[(\d)\]")),
    ("netdetect", "netdetect", re.compile(r"netdetect address:\s*(\S*)")),
    ("gateway", "gateway", re.compile(r"default gateway:\s*([^,\s]*)")),
)


def find_tool(path=None, root=hardware.DEFAULT_ROOT):
    """The given path, else the driver's own copy, else the usual places; None when absent."""
    return hardware.first_executable([path] if path else hardware.hccn_tool_candidates(root))


def device_ids(dev_dir="/dev"):
    """Phy ids of the NPUs the driver created (/dev/davinci<N>), sorted."""
    ids = []
    for path in glob.glob(os.path.join(dev_dir, "davinci*")):
        suffix = os.path.basename(path)[len("davinci"):]
        if suffix.isdigit():
            ids.append(int(suffix))
    return sorted(ids)


def run(run_command, tool, args, timeout=30):
    """-> (rc, combined output).  `run_command` is AnsibleModule.run_command (module code may
    not start processes itself); timeout(1) bounds a hung tool (rc 124) and reports a missing
    one (rc 127), so one bad device never fails the whole module."""
    rc, out, err = run_command(["timeout", str(timeout), tool] + list(args))
    if rc == 124:
        return 124, "hccn_tool %s: no answer in %s s" % (" ".join(args), timeout)
    return rc, out + err


def parse_ip(text):
    """`-ip -g` -> (address, netmask); (None, None) for "no ip was preset"."""
    addr = re.search(r"ipaddr:\s*(\S+)", text)
    mask = re.search(r"netmask:\s*(\S+)", text)
    return (addr.group(1) if addr else None, mask.group(1) if mask else None)


def parse_field(field, text):
    for name, dummy, pattern in FIELDS:
        if name == field:
            match = pattern.search(text)
            if not match:
                return None
            value = match.group(1)
            return int(value) if field == "tls_switch" else (value or None)
    raise KeyError(field)


def parse_ping(text):
    """-> {sent, received, loss_pct} from the summary line, or None when there is none."""
    match = _PING_SUMMARY.search(text)
    if not match:
        return None
    return {"sent": int(match.group(1)), "received": int(match.group(2)), "loss_pct": float(match.group(3))}


def _first_line(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


FIELD_NAMES = tuple(f[0] for f in FIELDS)


def device_info(runner, phy_id, fields=FIELD_NAMES):
    """What `hccn_info` reports for one device: the address always, then each of `fields`
    (the others stay None, not asked); failed questions go to `errors`."""
    dev = {"phy_id": phy_id, "address": None, "netmask": None, "errors": []}
    rc, out = runner(["-i", str(phy_id), "-ip", "-g"])
    if rc == 0:
        dev["address"], dev["netmask"] = parse_ip(out)
    elif "no ip was preset" not in out:
        dev["errors"].append("-ip -g: " + _first_line(out))
    for field, cmd, dummy in FIELDS:
        if field not in fields:
            dev[field] = None
            continue
        rc, out = runner(["-i", str(phy_id), "-" + cmd, "-g"])
        dev[field] = parse_field(field, out) if rc == 0 else None
        if rc != 0:
            dev["errors"].append("-%s -g: %s" % (cmd, _first_line(out)))
    return dev


def node_error(rc, out):
    """Node-wide failure (device not started, tool broken) in the first device's `-link -g`
    answer, else None."""
    if rc == 0:
        return None
    if hardware.NOT_STARTED in out:
        return "%s: %s" % (_first_line(out), hardware.NOT_STARTED_HINT)
    return _first_line(out) or "hccn_tool exited %d" % rc


def collect(runner, ids, workers=8, fields=FIELD_NAMES):
    """-> (devices, node error or None), the devices in phy-id order.  The first device's
    `-link -g` is asked first (it shows a node-wide failure) and its answer is reused."""
    if not ids:
        return [], None
    probe = ["-i", str(ids[0]), "-link", "-g"]
    first = runner(probe)
    error = node_error(*first)
    if error:
        return [], error

    def ask(args):
        return first if args == probe else runner(args)

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(ids)))) as pool:
        return list(pool.map(lambda i: device_info(ask, i, fields), ids)), None
