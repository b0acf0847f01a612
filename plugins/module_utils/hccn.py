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


def _first_group(pattern, convert=None):
    """A parser: the pattern's first group (converted), None when absent or empty."""
    def parse(text):
        match = pattern.search(text)
        if not match or not match.group(1):
            return None
        return convert(match.group(1)) if convert else match.group(1)
    return parse


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


def parse_ping(text):
    """-> {sent, received, loss_pct} from the summary line, or None when there is none."""
    match = _PING_SUMMARY.search(text)
    if not match:
        return None
    return {"sent": int(match.group(1)), "received": int(match.group(2)), "loss_pct": float(match.group(3))}


def _first_line(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


_SPEED = re.compile(r"Speed:\s*(\d+)\s*Mb/s")
_DUPLEX = re.compile(r"Duplex\s*:\s*(\S+)", re.I)
_IFNAME = re.compile(r"^\s*Ifname:\s*(\S+)", re.M)
_KEY_VALUE = re.compile(r"^[ \t]*([A-Za-z][\w \t]*?)[ \t]*:[ \t]*(.*?)[ \t]*$", re.M)
_COUNTER = re.compile(r"^[ \t]*(\w+):[ \t]*(\d+)[ \t]*$", re.M)
_LANE = re.compile(r"^(tx|rx) power(\d+)$")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# Error counters of `-stat -g`: the sample's roce_qp_status_err_num and the like
# (a name with an err/error/bad/drop/fcs/crc word); packet, octet and pause counters are not.
ERROR_COUNTER = re.compile(r"(?:^|_)(?:err|errs|error|errors|bad|drop|dropped|fcs|crc)(?:_|$)")
_HCCS_OK = re.compile(r"ping success", re.I)
_HCCS_FAIL = re.compile(r"ping fail", re.I)


def parse_speed(text):
    """`Speed: 100000 Mb/s` -> 100000 (Mb/s), None when absent."""
    match = _SPEED.search(text)
    return int(match.group(1)) if match else None


def parse_duplex(text):
    """`Duplex: Full` -> "full".  No public sample of `-duplex -g` was found; MindCluster's
    fault-diagnosis collector reads the last line, splits it at ":" and takes the value when the
    key holds "Duplex", which this follows."""
    match = _DUPLEX.search(text)
    return match.group(1).lower() if match else None


def parse_lldp(text):
    """The neighbour's port (`Ifname:` of the Port ID TLV), None when no neighbour is shown."""
    match = _IFNAME.search(text)
    return match.group(1) if match else None


def _number(text):
    match = _NUMBER.search(text)
    return float(match.group(0)) if match else None


def parse_optical(text):
    """`-optical -g` -> {present, temperature_c, tx_power_mw: [lane 0..], rx_power_mw: [...]};
    None when the answer has no `present` line.  `present: not present` (a copper cable) is
    present False."""
    values = dict((k.strip().lower(), v) for k, v in _KEY_VALUE.findall(text))
    if "present" not in values:
        return None
    lanes = {"tx": {}, "rx": {}}
    for key, value in values.items():
        match = _LANE.match(key)
        if match and _number(value) is not None:
            lanes[match.group(1)][int(match.group(2))] = _number(value)
    temp = values.get("temperature")
    return {"present": values["present"].strip().lower() == "present",
            "temperature_c": _number(temp) if temp else None,
            "tx_power_mw": [lanes["tx"][i] for i in sorted(lanes["tx"])],
            "rx_power_mw": [lanes["rx"][i] for i in sorted(lanes["rx"])]}


def parse_stat(text):
    """`-stat -g` -> {counter: int}; None when there is none."""
    counters = dict((name, int(value)) for name, value in _COUNTER.findall(text))
    return counters or None


def error_counters(counters):
    """The error counters among `-stat -g`'s (ERROR_COUNTER)."""
    return dict((k, v) for k, v in (counters or {}).items() if ERROR_COUNTER.search(k))


def parse_hccs_ping(text):
    """`-hccs_ping -g address A`: one `This pkt ping success` line per answered packet (the
    failure line is not in our references: any line with "ping fail" counts as one lost packet)
    -> {sent, received, loss_pct}, None when no packet line is there."""
    received = len(_HCCS_OK.findall(text))
    sent = received + len(_HCCS_FAIL.findall(text))
    if not sent:
        return None
    return {"sent": sent, "received": received, "loss_pct": round(100.0 * (sent - received) / sent, 2)}


# field -> (hccn_tool command, parser).  The first five are the compact port the address plan's
# readers use (a field not asked is None); port health in depth (ascend_tools_formats.md
# section 2) follows: a key of the device only when asked.  `hccs` is asked after every
# device's `vnic` is known (collect()).
FIELDS = (
    ("link", "link", _first_group(re.compile(r"link status:\s*(\S+)"))),
    ("net_health", "net_health", _first_group(re.compile(r"net health status:\s*(.+?)\s*$", re.M))),
    ("tls_switch", "tls", _first_group(re.compile(r"tls switch\[(\d)\]"), int)),
    ("netdetect", "netdetect", _first_group(re.compile(r"netdetect address:\s*(\S*)"))),
    ("gateway", "gateway", _first_group(re.compile(r"default gateway:\s*([^,\s]*)"))),
    ("speed", "speed", parse_speed),            # `Speed: 100000 Mb/s`
    ("duplex", "duplex", parse_duplex),         # `Duplex: Full` [assumed shape, see parse_duplex]
    ("lldp", "lldp", parse_lldp),               # the neighbour's port, from `Ifname: 400GE1/1/20:2`
    ("optical", "optical", parse_optical),      # present, temperature, Tx/Rx power per lane
    ("stat", "stat", parse_stat),               # `packet statistics:` then `name:count` lines
    ("vnic", "vnic", lambda text: parse_ip(text)[0]),   # A3: the address HCCS pings (`ipaddr:<ip>`)
)
FIELD_NAMES = tuple(f[0] for f in FIELDS[:5])
HEALTH_NAMES = tuple(f[0] for f in FIELDS[5:]) + ("hccs",)
ALL_FIELDS = FIELD_NAMES + HEALTH_NAMES
_PARSERS = dict((name, parser) for name, dummy, parser in FIELDS)


def parse_field(field, text):
    """The value of FIELD in a `-<command> -g` answer (KeyError for an unknown field)."""
    return _PARSERS[field](text)


def sio_peer(phy_id):
    """On A3 the other die of the same NPU (phy-id = npu * 2 + die)."""
    return phy_id ^ 1


def hccs_ping(runner, dev, peer):
    """Ping the other die of this NPU over HCCS (its vnic address) -> the `hccs` entry."""
    entry = {"peer": peer["phy_id"], "address": peer.get("vnic"), "ok": False,
             "sent": None, "received": 0, "loss_pct": 100.0, "message": None}
    if not peer.get("vnic"):
        entry["message"] = "device %d has no vnic address (hccn_tool -vnic -g)" % peer["phy_id"]
        return entry
    rc, out = runner(["-i", str(dev["phy_id"]), "-hccs_ping", "-g", "address", peer["vnic"]])
    summary = parse_hccs_ping(out)
    if summary:
        entry.update(summary)
    entry["ok"] = rc == 0 and bool(summary) and summary["received"] == summary["sent"]
    if not entry["ok"]:
        entry["message"] = ("%d of %d packets answered" % (summary["received"], summary["sent"]) if summary
                            else _first_line(out) or "hccn_tool exited %d" % rc)
    return entry


def device_info(runner, phy_id, fields=FIELD_NAMES):
    """What `hccn_info` reports for one device: the address always, then each of `fields`
    (the others of FIELD_NAMES stay None, not asked; those of HEALTH_NAMES are left out); failed
    questions go to `errors`.  An `-lldp -g` that fails silently is no neighbour, not an error."""
    dev = {"phy_id": phy_id, "address": None, "netmask": None, "errors": []}
    rc, out = runner(["-i", str(phy_id), "-ip", "-g"])
    if rc == 0:
        dev["address"], dev["netmask"] = parse_ip(out)
    elif "no ip was preset" not in out:
        dev["errors"].append("-ip -g: " + _first_line(out))
    for field, cmd, parse in FIELDS:
        if field not in fields and not (field == "vnic" and "hccs" in fields):
            if field in FIELD_NAMES:
                dev[field] = None
            continue
        rc, out = runner(["-i", str(phy_id), "-" + cmd, "-g"])
        dev[field] = parse(out) if rc == 0 else None
        if rc != 0 and not (field == "lldp" and not out.strip()):
            dev["errors"].append("-%s -g: %s" % (cmd, _first_line(out) or "hccn_tool exited %d" % rc))
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
        devices = list(pool.map(lambda i: device_info(ask, i, fields), ids))
        if "hccs" in fields:
            by_id = dict((d["phy_id"], d) for d in devices)
            pairs = [(d, by_id.get(sio_peer(d["phy_id"]))) for d in devices]
            results = pool.map(lambda pair: hccs_ping(runner, pair[0], pair[1]) if pair[1] else None, pairs)
            for dev, entry in zip(devices, results):
                dev["hccs"] = entry
    return devices, None


def stat_all(runner, ids, workers=8):
    """`-stat -g` of each device -> [{phy_id, stat, error}] (the read after the ping stage)."""
    def one(phy_id):
        rc, out = runner(["-i", str(phy_id), "-stat", "-g"])
        return {"phy_id": phy_id, "stat": parse_stat(out) if rc == 0 else None,
                "error": None if rc == 0 else "-stat -g: " + (_first_line(out) or "hccn_tool exited %d" % rc)}
    if not ids:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(ids)))) as pool:
        return list(pool.map(one, ids))
