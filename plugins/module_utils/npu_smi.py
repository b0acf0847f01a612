# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read `npu-smi info` the way it really prints, and judge device health.

Layouts differ by product and driver line: A2 blocks are two rows per NPU (no Phy-ID), A3
blocks are two rows per die with "Chip Phy-ID", 26.x widens the right-hand block and adds a
process column, and wide values squeeze the separators ("56363/ 65536").  Nothing here
relies on column offsets: rows are split on "|" and numbers are found by pattern.
Runs on the node's system Python (3.9+), standard library only.
"""

import os
import re

from ansible_collections.ascend_verl.cluster.plugins.module_utils import hardware

HEALTH_VALUES = ("OK", "Warning", "Alarm", "Critical")
_BUS_ID = re.compile(r"^[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]$")
_NO_PROC = re.compile(r"No running processes found in NPU (\d+)")


def find_npu_smi(path_env=None):
    """Candidate paths in the order a login shell would find npu-smi (PATH first, then the
    directories the driver installs to, which a non-login SSH session may lack)."""
    return hardware.tool_candidates("npu-smi", path_env)


def _cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _number(text):
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return None


def parse_info(text):
    """`npu-smi info` output -> {version, product, devices, processes}."""
    version = None
    match = re.search(r"Version:\s*(\S+)", text)
    if match:
        version = match.group(1)
    has_phy = "Phy-ID" in text
    devices, processes = [], []
    in_processes = False
    pending = None
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = _cells(line)
        if "Process id" in line:
            in_processes = True
            continue
        if in_processes:
            if _NO_PROC.search(line) or len(cells) < 4:
                continue
            head = cells[0].split()
            if len(head) != 2 or not cells[1].isdigit():
                continue
            processes.append({"npu": int(head[0]), "chip": int(head[1]), "pid": int(cells[1]),
                              "name": cells[2], "memory_mb": _number(cells[3].split()[0]) if cells[3] else None})
            continue
        if len(cells) < 3:
            continue
        head = cells[0].split()
        if pending is None and len(head) == 2 and head[0].isdigit() and cells[1] in HEALTH_VALUES + ("UNKNOWN",):
            right = cells[2].split()
            power = right[0] if right else "-"
            numbers = re.findall(r"\d+", " ".join(right[1:]))
            pending = {"npu": int(head[0]), "name": head[1], "health": cells[1],
                       "power_w": None if power == "-" else _number(power),
                       "temp_c": int(numbers[0]) if numbers else None}
            continue
        if pending is not None and _BUS_ID.match(cells[1]) and head and head[0].isdigit():
            numbers = [int(n) for n in re.findall(r"\d+", cells[2])]
            chip = int(head[0])
            phy = int(head[1]) if has_phy and len(head) > 1 else pending["npu"]
            aicore, hbm_used, hbm_total = (numbers + [None] * 5)[0], None, None
            if len(numbers) >= 5:
                hbm_used, hbm_total = numbers[3], numbers[4]
            pending.update({"chip": chip, "phy_id": phy, "bus_id": cells[1], "aicore_pct": aicore,
                            "hbm_used_mb": hbm_used, "hbm_total_mb": hbm_total})
            devices.append(pending)
            pending = None
            continue
        pending = None
    product = None
    if devices:
        product = "A3" if has_phy or any(d["name"].startswith("Ascend910") and d["chip"] for d in devices) else "A2"
    return {"version": version, "product": product, "devices": devices, "processes": processes}


def classify_error(rc, stdout, stderr):
    """None when npu-smi answered; else {kind, message, hint} for the documented failures."""
    out = (stdout or "") + "\n" + (stderr or "")
    if rc == 0 and "dcmi module initialize failed" not in out:
        return None
    if hardware.NOT_STARTED in out:
        return {"kind": "not_started", "message": hardware.NOT_STARTED_MESSAGE,
                "hint": hardware.NOT_STARTED_HINT + " (or /dev/davinci* is not accessible)"}
    if rc in (126, 127) or "No such file" in out or "not found" in out:
        return {"kind": "not_installed", "message": out.strip() or "npu-smi not found",
                "hint": "npu-smi is missing: the NPU driver is not installed"}
    return {"kind": "other", "message": out.strip() or "npu-smi exited %d" % rc, "hint": ""}


def _label(dev):
    return "npu %d chip %d (phy %d)" % (dev["npu"], dev["chip"], dev["phy_id"])


def check_health(info, expected_count=None, require_no_processes=False, min_free_hbm_mb=None):
    """-> list of failures {device, check, found, expected}; device None for node-wide checks."""
    failures = []
    devices = info["devices"]
    if expected_count is not None and len(devices) != expected_count:
        failures.append({"device": None, "phy_id": None, "check": "count", "found": len(devices),
                         "expected": expected_count})
    for dev in devices:
        if dev["health"] != "OK":
            failures.append({"device": _label(dev), "phy_id": dev["phy_id"], "check": "health",
                             "found": dev["health"], "expected": "OK"})
        if min_free_hbm_mb is not None and dev.get("hbm_total_mb") is not None:
            free = dev["hbm_total_mb"] - (dev.get("hbm_used_mb") or 0)
            if free < min_free_hbm_mb:
                failures.append({"device": _label(dev), "phy_id": dev["phy_id"], "check": "free_hbm_mb", "found": free,
                                 "expected": ">= %d" % min_free_hbm_mb})
    if require_no_processes:
        by_die = dict(((d["npu"], d["chip"]), d) for d in devices)
        for proc in info["processes"]:
            dev = by_die.get((proc["npu"], proc["chip"]))
            label = _label(dev) if dev else "npu %d chip %d" % (proc["npu"], proc["chip"])
            name = (proc["name"] + " ") if proc["name"] else ""
            found = "pid %d %s(%s MB)" % (proc["pid"], name, proc["memory_mb"])
            failures.append({"device": label, "phy_id": dev["phy_id"] if dev else None, "check": "processes",
                             "found": found, "expected": "no process"})
    return failures


def describe(failures):
    return "; ".join("%s: %s is %s, expected %s" % (f["device"] or "node", f["check"], f["found"], f["expected"])
                     for f in failures)


def run_info(module, npu_smi_path=None):
    """Run `npu-smi info` through an AnsibleModule -> (parsed or None, error or None, path)."""
    candidates = [npu_smi_path] if npu_smi_path else find_npu_smi(os.environ.get("PATH"))
    path = hardware.first_executable(candidates)
    if path is None:
        return None, classify_error(127, "", "npu-smi not found in " + ", ".join(candidates)), None
    rc, out, err = module.run_command([path, "info"])
    error = classify_error(rc, out, err)
    if error:
        return None, error, path
    return parse_info(out), None, path
