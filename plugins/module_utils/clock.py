# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Clock offsets between the nodes and the controller, as rigorous intervals.

The controller reads its own wall clock right before it starts the clock_offset module on a
node (`before`) and right after the result is back (`after`); the node read its wall clock
(`node`) somewhere in between.  So the node's offset (node minus controller) is certainly in
[node - after, node - before].  The node also says how long its process had been running when
it read the clock (`elapsed`, a lower bound: its process started after `before`), which raises
the upper end to node - before - elapsed.  No assumption about where in the call the read
happened, and no symmetric-delay guess as NTP makes.

compare() takes such an interval per host and a threshold and names the pairs of hosts whose
clocks certainly differ by more than the threshold, the hosts that certainly differ from most
others, and the spread of the clocks (its best estimate and its certain bounds).

Also the parsers of what the time services say about their own sync state (chronyc tracking,
timedatectl timesync-status, ntpq -pn) and the kernel's view (adjtimex).  Every offset here is
node minus reference: positive means the node's clock is ahead.
Python 3.9+, standard library only.
"""

import ctypes
import ctypes.util
import re

_UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0}


def interval(node, before, after, elapsed=0.0):
    """{low, high, estimate, width} of node minus controller.  node: the node's wall clock when it
    was read; before/after: the controller's wall clock around the remote call; elapsed: seconds
    the node process had certainly been running when it read its clock (0 when unknown)."""
    if after < before:
        raise ValueError("the controller read after (%r) before before (%r)" % (after, before))
    elapsed = max(0.0, min(float(elapsed or 0.0), after - before))
    low, high = node - after, node - before - elapsed
    return _bounds(low, high)


def _bounds(low, high):
    return {"low": low, "high": high, "estimate": (low + high) / 2.0, "width": high - low}


def bounds(value):
    """(low, high) of an interval given as {low, high}, [low, high] or (low, high); None stays None."""
    if value is None:
        return None
    if isinstance(value, dict):
        low, high = value["low"], value["high"]
    else:
        low, high = value
    low, high = float(low), float(high)
    if low > high:
        raise ValueError("an interval's low end %r is above its high end %r" % (low, high))
    return low, high


def intersect(intervals):
    """The interval every sample allows (the offset does not move between samples), or None
    when they do not overlap (the node's clock was stepped between them)."""
    spans = [bounds(i) for i in intervals]
    if not spans:
        return None
    low, high = max(s[0] for s in spans), min(s[1] for s in spans)
    return _bounds(low, high) if low <= high else None


def compare(offsets, threshold):
    """Which clocks certainly differ by more than `threshold` seconds.

    offsets: {host: interval of its offset to one common reference (the controller)} - dicts
    {low, high}, pairs, or None for a host that could not be measured.
    Returns:
      pairs      [{hosts: [a, b], low, high}] - |offset a - offset b| is certainly above the
                 threshold; low/high bound offset a - offset b (a before b in sorted order)
      uncertain  the same for pairs that may or may not be above it (the intervals are too wide)
      hosts      hosts that certainly differ by more than the threshold from more than half of the
                 other measured hosts (with two hosts, both: nothing tells which one is wrong)
      peers      {host: [the hosts it certainly differs from]} for every host in some pair
      spread     {estimate, low, high}: max - min of the offsets; estimate from the intervals'
                 midpoints, low/high its certain bounds
      exceeds    the spread is certainly above the threshold; may_exceed: it may be
      unmeasured the hosts without an interval
    """
    threshold = float(threshold)
    if threshold < 0:
        raise ValueError("the threshold must be >= 0, got %r" % threshold)
    spans = {}
    unmeasured = []
    for host in sorted(offsets):
        span = bounds(offsets[host])
        if span is None:
            unmeasured.append(host)
        else:
            spans[host] = span
    names = sorted(spans)
    pairs, uncertain, peers = [], [], {}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            (la, ha), (lb, hb) = spans[a], spans[b]
            low, high = la - hb, ha - lb        # bounds of offset a - offset b
            entry = {"hosts": [a, b], "low": low, "high": high}
            if low > threshold or high < -threshold:
                pairs.append(entry)
                peers.setdefault(a, []).append(b)
                peers.setdefault(b, []).append(a)
            elif high > threshold or low < -threshold:
                uncertain.append(entry)
    others = len(names) - 1
    hosts = sorted(h for h, p in peers.items() if 2 * len(p) > others)
    if names:
        mids = [(spans[h][0] + spans[h][1]) / 2.0 for h in names]
        spread = {"estimate": max(mids) - min(mids),
                  "low": max(0.0, max(s[0] for s in spans.values()) - min(s[1] for s in spans.values())),
                  "high": max(s[1] for s in spans.values()) - min(s[0] for s in spans.values())}
    else:
        spread = {"estimate": None, "low": None, "high": None}
    return {"pairs": pairs, "uncertain": uncertain, "hosts": hosts, "peers": peers, "spread": spread,
            "exceeds": bool(pairs), "may_exceed": bool(pairs or uncertain), "threshold": threshold,
            "unmeasured": unmeasured}


# ---- what the time services say ------------------------------------------------------------

def seconds(text, sign=1.0):
    """'+1.234ms' -> 0.001234, '-15us' -> -1.5e-05, '24.3ms (max: 5s)' -> 0.0243, times sign; None
    when unreadable.  Only the first word counts."""
    match = re.match(r"^\s*([+-]?\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|min)?(?:\s|$)", text or "")
    if not match:
        return None
    return sign * float(match.group(1)) * _UNITS[match.group(2) or "s"]


def _fields(text, sep=":"):
    out = {}
    for line in (text or "").splitlines():
        if sep in line:
            key, value = line.split(sep, 1)
            out[key.strip().lower()] = value.strip()
    return out


def _seconds_field(value, sign=1.0):
    # the sign is applied here, not by the caller: pylint 3.0 (ansible-core 2.16's sanity)
    # does not see that a negated result was checked for None first
    match = re.match(r"^([+-]?\d+(?:\.\d+)?)\s+seconds?\b", value or "")
    return sign * float(match.group(1)) if match else None


def parse_chronyc_tracking(text):
    """`chronyc -n tracking` -> {synced, offset, error_bound, server, stratum}.  offset: node minus
    true time ('System time : X seconds fast of NTP time' is +X, 'slow' -X); error_bound: chrony's
    own bound on the clock error, |offset| + root dispersion + root delay / 2."""
    f = _fields(text)
    if "leap status" not in f and "system time" not in f:
        return None
    stratum = int(f["stratum"]) if f.get("stratum", "").isdigit() else None
    leap = f.get("leap status", "")
    synced = leap.lower() != "not synchronised" and bool(leap) and stratum not in (0, None)
    offset = _seconds_field(f.get("system time"), -1.0 if "slow" in f.get("system time", "") else 1.0)
    ref = re.search(r"\(([^)]*)\)", f.get("reference id", ""))
    server = ref.group(1) if ref and ref.group(1) else None
    delay, dispersion = _seconds_field(f.get("root delay")), _seconds_field(f.get("root dispersion"))
    bound = None
    if synced and None not in (offset, delay, dispersion):
        bound = abs(offset) + dispersion + delay / 2.0
    return {"synced": synced, "offset": offset if synced else None, "error_bound": bound, "server": server,
            "stratum": stratum}


def parse_timesync_status(text, synchronized=None):
    """`timedatectl timesync-status` (+ `timedatectl show -p NTPSynchronized --value`) ->
    {synced, offset, error_bound, server, stratum}.  timesyncd's Offset is server minus node."""
    f = _fields(text)
    if not f and synchronized is None:
        return None
    offset = seconds(f.get("offset"), -1.0)      # timesyncd's server minus node, negated
    distance = seconds(f.get("root distance"))
    synced = synchronized if synchronized is not None else (offset is not None)
    server = (f.get("server") or "").split(" ")[0] or None
    stratum = int(f["stratum"]) if f.get("stratum", "").isdigit() else None
    bound = abs(offset) + distance if synced and offset is not None and distance is not None else None
    return {"synced": bool(synced), "offset": offset if synced else None, "error_bound": bound, "server": server,
            "stratum": stratum}


def parse_ntpq_peers(text):
    """`ntpq -pn` -> {synced, offset, error_bound, server, stratum} from the system peer (the line
    marked *; its offset column is in ms, peer minus node)."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines or not any("remote" in line and "offset" in line for line in lines[:2]):
        return None
    for line in lines:
        if line.startswith("*"):
            cols = line[1:].split()
            if len(cols) >= 10:
                try:
                    offset = -float(cols[8]) / 1000.0
                    delay = float(cols[7]) / 1000.0
                    jitter = float(cols[9]) / 1000.0
                except ValueError:
                    break
                stratum = int(cols[2]) if cols[2].isdigit() else None
                return {"synced": True, "offset": offset, "error_bound": abs(offset) + delay / 2.0 + jitter,
                        "server": cols[0], "stratum": stratum}
    return {"synced": False, "offset": None, "error_bound": None, "server": None, "stratum": None}


# ---- the kernel's view (adjtimex) ----------------------------------------------------------

STA_UNSYNC = 0x0040
TIME_ERROR = 5


class _Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class _Timex(ctypes.Structure):
    """struct timex of <sys/timex.h> (glibc, Linux); natural alignment gives its padding."""
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("constant", ctypes.c_long), ("precision", ctypes.c_long), ("tolerance", ctypes.c_long),
                ("time", _Timeval), ("tick", ctypes.c_long), ("ppsfreq", ctypes.c_long), ("jitter", ctypes.c_long),
                ("shift", ctypes.c_int), ("stabil", ctypes.c_long), ("jitcnt", ctypes.c_long),
                ("calcnt", ctypes.c_long), ("errcnt", ctypes.c_long), ("stbcnt", ctypes.c_long),
                ("tai", ctypes.c_int), ("padding", ctypes.c_int * 11)]


def kernel_state(status, state, maxerror_us, esterror_us):
    """adjtimex's answer -> {synced, maxerror, esterror} (seconds).  The kernel counts the clock
    as unsynchronised when STA_UNSYNC is set or the call returns TIME_ERROR."""
    synced = not (status & STA_UNSYNC) and state != TIME_ERROR
    return {"synced": synced, "maxerror": maxerror_us / 1e6, "esterror": esterror_us / 1e6}


def read_kernel():
    """The kernel's clock discipline state (adjtimex with modes 0 only reads); None when the
    call is not available."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        tx = _Timex()
        state = libc.adjtimex(ctypes.byref(tx))
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return kernel_state(tx.status, state, tx.maxerror, tx.esterror)
