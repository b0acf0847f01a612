# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Layer-1 rules that tie several variables (or several hosts) together: pure functions over
values, no host contact.  The per-knob rules (types, choices, ranges) are in knobs.py.

Every check returns a list of problems, each a dict {variable, found, expected}; the caller
adds the host.  The rules encode what breaks a verl/SGLang run on Ascend later and far
from the cause (see verl_npu_stack.md §3.2 and the FAQ): a visible-device list that is not
0..N-1, port ranges that overlap, an NPU_DEVICE that does not match the hardware, no single
Ray head, two inventory hosts that are one machine.
"""

import re

from ansible_collections.ascend_verl.cluster.plugins.module_utils.hardware import NPU_DEVICES, PRODUCTS
ARTIFACT_SOURCES = ("controller", "mirror")
_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


def problem(variable, found, expected):
    return {"variable": variable, "found": found, "expected": expected}


def parse_port_range(value):
    """'60000-60050' -> (60000, 60050); 'auto' -> None; raises ValueError otherwise."""
    text = str(value).strip()
    if text == "auto":
        return None
    match = _RANGE.match(text)
    if not match:
        raise ValueError("START-END (for example 60000-60050) or auto")
    low, high = int(match.group(1)), int(match.group(2))
    if not 1024 <= low <= 65535 or not 1024 <= high <= 65535:
        raise ValueError("ports between 1024 and 65535")
    if low > high:
        raise ValueError("START <= END")
    return low, high


def check_product(product, npu_device):
    out = []
    if npu_device not in NPU_DEVICES:
        out.append(problem("ascend_npu_device", npu_device, "one of " + ", ".join(NPU_DEVICES)))
    if product not in PRODUCTS:
        out.append(problem("ascend_product", product, "one of " + ", ".join(sorted(PRODUCTS))))
    elif npu_device in NPU_DEVICES and PRODUCTS[product][0] != npu_device:
        out.append(problem("ascend_npu_device", npu_device,
                           "%s for %s" % (PRODUCTS[product][0], product)))
    return out


def check_ports(ranges, ports):
    """ranges: {variable: 'A-B' | 'auto'}; ports: {variable: int}.  Each must parse and no
    two may overlap (HCCL would bind a port Ray already holds, or the reverse)."""
    out, spans = [], []
    for name in sorted(ranges):
        try:
            span = parse_port_range(ranges[name])
        except ValueError as err:
            out.append(problem(name, ranges[name], str(err)))
            continue
        if span:
            spans.append((name, span))
    for name in sorted(ports):
        value = ports[name]
        if isinstance(value, bool) or not isinstance(value, int) and not str(value).isdigit():
            out.append(problem(name, value, "a port number"))
            continue
        port = int(value)
        if not 1 <= port <= 65535:
            out.append(problem(name, value, "a port between 1 and 65535"))
            continue
        spans.append((name, (port, port)))
    for i, (name_a, (low_a, high_a)) in enumerate(spans):
        for name_b, (low_b, high_b) in spans[i + 1:]:
            if low_a <= high_b and low_b <= high_a:
                out.append(problem(name_a, "%d-%d" % (low_a, high_a),
                                   "no overlap with %s (%d-%d)" % (name_b, low_b, high_b)))
    return out


def check_visible_devices(value, count):
    """ASCEND_RT_VISIBLE_DEVICES, when set, must be exactly 0..count-1: verl hands Ray's
    physical ids straight to set_device, so a subset or a gap breaks training."""
    if value in (None, "") or count is None:
        return []
    expected = ",".join(str(i) for i in range(count))
    items = [v.strip() for v in str(value).split(",")]
    if items != expected.split(","):
        return [problem("npu_env_visible_devices", value, expected + " (every device of the node, in order)")]
    return []


def check_artifact_source(kind, path, url, path_exists=None):
    if kind not in ARTIFACT_SOURCES:
        return [problem("artifact_source_type", kind, "one of " + ", ".join(ARTIFACT_SOURCES))]
    if kind == "controller":
        if not path or not str(path).startswith("/"):
            return [problem("artifact_source_path", path, "an absolute directory on the controller")]
        if path_exists is False:
            return [problem("artifact_source_path", path, "an existing directory with SHA256SUMS")]
    elif not re.match(r"^https?://[^/\s]+", str(url or "")):
        return [problem("artifact_source_url", url, "http:// or https:// URL of the mirror")]
    return []


def check_stack(name, known):
    if name not in known:
        return [problem("stack_name", name, "one of " + ", ".join(sorted(known)))]
    return []


def _some(names, most=8):
    names = list(names)
    more = " and %d more" % (len(names) - most) if len(names) > most else ""
    return ", ".join(names[:most]) + more


def check_ray_head(head, groups):
    """Exactly one Ray head, a host of the inventory (not necessarily of this play: a run with
    --limit still points every node at the head): ascend_ray_head names one, or, when it is
    empty, the group ray_head holds exactly one host."""
    inventory = list(groups.get("all") or [])
    if head:
        if head not in inventory:
            return [problem("ascend_ray_head", head, "a host of the inventory (%s)" % _some(inventory))]
        return []
    members = list(groups.get("ray_head") or [])
    if "ray_head" not in groups:
        why = "there is no ray_head group"
    elif len(members) != 1:
        why = "ray_head has %d hosts%s" % (len(members), ": " + _some(members) if members else "")
    else:
        return []
    return [problem("ascend_ray_head", head, "the Ray head's inventory name, or exactly one host in group ray_head (%s)" % why)]


def check_address(host, addresses):
    """addresses: {host: (address, port)} of every host of the play.  Two inventory hosts
    with the same address and port are one machine configured twice."""
    mine = addresses.get(host)
    twins = sorted(h for h, where in addresses.items() if h != host and where == mine)
    if mine is None or not twins:
        return []
    return [problem("ansible_host", mine[0], "an address (and port) no other host of the play has; %s has %s%s too"
                    % (_some(twins), mine[0], "" if mine[1] is None else ":%s" % mine[1]))]


def format_problems(host, problems):
    return ["%s: %s = %r, expected %s" % (host, p["variable"], p["found"], p["expected"])
            for p in problems]
