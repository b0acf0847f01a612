"""Clock offsets as certain intervals (clock.py), the comparison across hosts, the time
services' own words, and the clock_offset module and action plugin."""

import time

import pytest

from ansible_collections.ascend_verl.cluster.tests.unit.compat import run_module
from ansible.plugins.action import ActionBase
from ansible_collections.ascend_verl.cluster.plugins.action import clock_offset as clock_action
from ansible_collections.ascend_verl.cluster.plugins.module_utils import clock
from ansible_collections.ascend_verl.cluster.plugins.modules import clock_offset

# ---- one host's interval -----------------------------------------------------------------------

INTERVALS = [
    # node, before, after, elapsed -> low, high
    (1000.0, 1000.0, 1000.5, 0.0, -0.5, 0.0),             # in sync: 0 is inside
    (1005.2, 1000.0, 1000.4, 0.0, 4.8, 5.2),              # the node is ~5 s ahead
    (995.1, 1000.0, 1000.4, 0.1, -5.3, -5.0),             # behind; the node's own 0.1 s narrows the top
    (1000.2, 1000.0, 1000.4, 9.0, -0.2, -0.2),            # elapsed longer than the call: capped at the call
    (1000.0, 1000.0, 1000.0, 0.0, 0.0, 0.0),              # an instant call
]


@pytest.mark.parametrize("node, before, after, elapsed, low, high", INTERVALS)
def test_interval(node, before, after, elapsed, low, high):
    got = clock.interval(node, before, after, elapsed)
    assert got["low"] == pytest.approx(low) and got["high"] == pytest.approx(high)
    assert got["estimate"] == pytest.approx((low + high) / 2) and got["width"] == pytest.approx(high - low)
    # the truth: the node read its clock at some controller time t in [before + elapsed, after]
    for t in (before + min(elapsed, after - before), after):
        assert got["low"] - 1e-9 <= node - t <= got["high"] + 1e-9


def test_interval_refuses_time_going_backwards():
    with pytest.raises(ValueError):
        clock.interval(1000.0, 1000.5, 1000.0)


@pytest.mark.parametrize("samples, expected", [
    ([(-0.5, 0.1), (-0.2, 0.3)], (-0.2, 0.1)),
    ([{"low": 1.0, "high": 2.0}, [1.5, 3.0], (1.2, 1.8)], (1.5, 1.8)),
    ([(-0.5, -0.4), (0.1, 0.3)], None),                   # the clock was stepped between the samples
    ([], None),
])
def test_intersect(samples, expected):
    got = clock.intersect(samples)
    assert (got if got is None else (got["low"], got["high"])) == (
        expected if expected is None else pytest.approx(expected))


def test_bounds_rejects_an_upside_down_interval():
    with pytest.raises(ValueError):
        clock.bounds({"low": 1.0, "high": 0.0})


# ---- across hosts ------------------------------------------------------------------------------

COMPARE = [
    # case, offsets, threshold, certain pairs, uncertain pairs, hosts, spread (estimate, low, high)
    ("all in sync", {"n1": (-0.3, 0.1), "n2": (-0.2, 0.2), "n3": (-0.4, 0.0)}, 1.0, [], [], [], (0.2, 0.0, 0.6)),
    ("one node 5 s ahead", {"n1": (-0.3, 0.1), "n2": (4.8, 5.2), "n3": (-0.4, 0.0)}, 1.0,
     [["n1", "n2"], ["n2", "n3"]], [], ["n2"], (5.2, 4.8, 5.6)),
    ("two nodes: both named", {"a": (2.0, 2.2), "b": (-0.1, 0.1)}, 1.0, [["a", "b"]], [], ["a", "b"], (2.1, 1.9, 2.3)),
    ("too wide to tell", {"a": (0.0, 2.0), "b": (-0.1, 0.1)}, 1.0, [], [["a", "b"]], [], (1.0, 0.0, 2.1)),
    ("exactly at the threshold is not above it", {"a": (1.0, 1.0), "b": (0.0, 0.0)}, 1.0, [], [], [], (1.0, 1.0, 1.0)),
    ("two camps of two", {"a": (0.0, 0.1), "b": (0.0, 0.1), "c": (3.0, 3.1), "d": (3.0, 3.1)}, 1.0,
     [["a", "c"], ["a", "d"], ["b", "c"], ["b", "d"]], [], ["a", "b", "c", "d"], (3.0, 2.9, 3.1)),
    ("one behind of five", {"a": (0, .2), "b": (0, .2), "c": (0, .2), "d": (0, .2), "e": (-9.2, -9.0)}, 0.5,
     [["a", "e"], ["b", "e"], ["c", "e"], ["d", "e"]], [], ["e"], (9.2, 9.0, 9.4)),
    ("a single host", {"a": (0.0, 0.1)}, 0.5, [], [], [], (0.0, 0.0, 0.1)),
]


@pytest.mark.parametrize("case, offsets, threshold, pairs, uncertain, hosts, spread", COMPARE, ids=[c[0] for c in COMPARE])
def test_compare(case, offsets, threshold, pairs, uncertain, hosts, spread):
    got = clock.compare(offsets, threshold)
    assert [p["hosts"] for p in got["pairs"]] == pairs
    assert [p["hosts"] for p in got["uncertain"]] == uncertain
    assert got["hosts"] == hosts
    assert (got["spread"]["estimate"], got["spread"]["low"], got["spread"]["high"]) == pytest.approx(spread)
    assert got["exceeds"] is bool(pairs) and got["may_exceed"] is bool(pairs or uncertain)
    assert got["spread"]["low"] <= got["spread"]["estimate"] <= got["spread"]["high"]


def test_compare_pair_bounds_and_unmeasured_hosts():
    got = clock.compare({"n1": {"low": -0.3, "high": 0.1}, "n2": {"low": 4.8, "high": 5.2}, "n3": None}, 1)
    assert got["pairs"] == [{"hosts": ["n1", "n2"], "low": pytest.approx(-5.5), "high": pytest.approx(-4.7)}]
    assert got["peers"] == {"n1": ["n2"], "n2": ["n1"]}
    assert got["unmeasured"] == ["n3"]
    assert clock.compare({}, 1)["spread"] == {"estimate": None, "low": None, "high": None}
    with pytest.raises(ValueError):
        clock.compare({"a": (0, 1)}, -1)


def test_compare_is_certain_for_any_offsets_inside_the_intervals():
    """Whatever true offsets lie inside the intervals, a certain pair differs by more than the
    threshold and the spread lies within its bounds."""
    offsets = {"a": (0.0, 0.4), "b": (1.2, 1.5), "c": (0.3, 2.0)}
    got = clock.compare(offsets, 0.7)
    assert [p["hosts"] for p in got["pairs"]] == [["a", "b"]]
    for ta in (0.0, 0.4):
        for tb in (1.2, 1.5):
            for tc in (0.3, 2.0):
                assert abs(ta - tb) > 0.7
                spread = max(ta, tb, tc) - min(ta, tb, tc)
                assert got["spread"]["low"] - 1e-9 <= spread <= got["spread"]["high"] + 1e-9


# ---- the time services' own words -------------------------------------------------------------

CHRONY_SYNCED = """Reference ID    : C0A80101 (192.168.1.1)
Stratum         : 3
Ref time (UTC)  : Thu Dec 04 10:00:00 2025
System time     : 0.000012000 seconds slow of NTP time
Last offset     : -0.000002345 seconds
RMS offset      : 0.000012345 seconds
Frequency       : 1.234 ppm slow
Residual freq   : -0.001 ppm
Skew            : 0.012 ppm
Root delay      : 0.002000000 seconds
Root dispersion : 0.000500000 seconds
Update interval : 64.2 seconds
Leap status     : Normal
"""
CHRONY_UNSYNCED = """Reference ID    : 00000000 ()
Stratum         : 0
Ref time (UTC)  : Thu Jan 01 00:00:00 1970
System time     : 0.000000000 seconds fast of NTP time
Last offset     : +0.000000000 seconds
Root delay      : 1.000000000 seconds
Root dispersion : 1.000000000 seconds
Leap status     : Not synchronised
"""
TIMESYNC = """       Server: 10.0.0.1 (ntp.example.com)
Poll interval: 34min 8s (min: 32s; max 34min 8s)
         Leap: normal
      Version: 4
      Stratum: 2
    Reference: C0248F97
    Precision: 1us (-25)
Root distance: 24.337ms (max: 5s)
       Offset: -1.500ms
        Delay: 12.345ms
       Jitter: 2.103ms
 Packet count: 100
"""
NTPQ = """     remote           refid      st t when poll reach   delay   offset  jitter
==============================================================================
+10.0.0.2        .GPS.            1 u   12   64  377    0.200    0.300   0.010
*10.0.0.1        .GPS.            1 u   33   64  377    0.400   -2.000   0.100
"""
NTPQ_UNSYNCED = NTPQ.replace("*10.0.0.1", " 10.0.0.1")


@pytest.mark.parametrize("parser, text, expected", [
    (clock.parse_chronyc_tracking, CHRONY_SYNCED,
     {"synced": True, "offset": -1.2e-05, "error_bound": 1.2e-05 + 0.0005 + 0.001, "server": "192.168.1.1", "stratum": 3}),
    (clock.parse_chronyc_tracking, CHRONY_SYNCED.replace("slow of", "fast of"),
     {"synced": True, "offset": 1.2e-05, "error_bound": 1.2e-05 + 0.0005 + 0.001, "server": "192.168.1.1", "stratum": 3}),
    (clock.parse_chronyc_tracking, CHRONY_UNSYNCED,
     {"synced": False, "offset": None, "error_bound": None, "server": None, "stratum": 0}),
    (clock.parse_chronyc_tracking, "506 Cannot talk to daemon\n", None),
    (clock.parse_timesync_status, TIMESYNC,
     {"synced": True, "offset": 0.0015, "error_bound": 0.0015 + 0.024337, "server": "10.0.0.1", "stratum": 2}),
    (clock.parse_ntpq_peers, NTPQ, {"synced": True, "offset": 0.002, "error_bound": 0.002 + 0.0002 + 0.0001,
                                    "server": "10.0.0.1", "stratum": 1}),
    (clock.parse_ntpq_peers, NTPQ_UNSYNCED, {"synced": False, "offset": None, "error_bound": None, "server": None,
                                             "stratum": None}),
    (clock.parse_ntpq_peers, "ntpq: read: Connection refused\n", None),
])
def test_service_parsers(parser, text, expected):
    got = parser(text)
    if expected is None:
        assert got is None
    else:
        assert got == dict(expected, offset=pytest.approx(expected["offset"]) if expected["offset"] else expected["offset"],
                           error_bound=pytest.approx(expected["error_bound"]) if expected["error_bound"] else None)


def test_timesync_status_not_synchronised():
    got = clock.parse_timesync_status("", synchronized=False)
    assert (got["synced"], got["offset"]) == (False, None)
    assert clock.parse_timesync_status("") is None


@pytest.mark.parametrize("text, value", [
    ("+1.234ms", 0.001234), ("-15us", -1.5e-05), ("24.337ms (max: 5s)", 0.024337), ("2", 2.0), ("1min", 60.0),
    ("n/a", None), ("", None), (None, None),
])
def test_seconds(text, value):
    assert clock.seconds(text) == (pytest.approx(value) if value is not None else None)


@pytest.mark.parametrize("status, state, synced", [(0x2001, 0, True), (0x0041, 0, False), (0x0001, 5, False)])
def test_kernel_state(status, state, synced):
    got = clock.kernel_state(status, state, 16000, 4)
    assert got == {"synced": synced, "maxerror": 0.016, "esterror": 4e-06}


def test_read_kernel_on_this_machine():
    got = clock.read_kernel()
    assert got is None or (isinstance(got["synced"], bool) and got["maxerror"] >= 0)


# ---- the module and the action plugin ---------------------------------------------------------


@pytest.mark.parametrize("service", [True, False])
def test_module_reads_the_wall_clock(capsys, service):
    before = time.time()
    rc, out = run_module(clock_offset, capsys, {"service": service, "_ansible_check_mode": True})
    after = time.time()
    assert rc == 0 and out["changed"] is False
    assert before <= out["clock"]["node_time"] <= after
    assert 0 <= out["clock"]["elapsed"] < 3600
    if not service:
        assert out["clock"]["service"] is None and out["clock"]["kernel"] is None


def test_process_elapsed_is_a_lower_bound():
    elapsed = clock_offset.process_elapsed()
    assert 0 <= elapsed < 24 * 3600


class FakeTask(object):
    def __init__(self, args):
        self.args = args
        self.action = "ascend_verl.cluster.clock_offset"


def action(monkeypatch, args, answers):
    """The action plugin with ActionBase's run and the remote call replaced: each remote call
    advances a fake controller clock by 0.4 s and answers the next node time."""
    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    now = {"t": 1000.0}
    monkeypatch.setattr(clock_action.time, "time", lambda: now["t"])
    monkeypatch.setattr(clock_action.time, "monotonic", lambda: now["t"])
    calls = []

    def execute(module_name, module_args, task_vars):
        calls.append(dict(module_args))
        answer = answers[len(calls) - 1]
        now["t"] += 0.4
        return answer

    plugin = clock_action.ActionModule.__new__(clock_action.ActionModule)
    plugin._task = FakeTask(args)
    plugin._execute_module = execute
    return plugin.run(task_vars={}), calls


def answer(node_time, elapsed=0.0):
    return {"changed": False, "clock": {"node_time": node_time, "elapsed": elapsed,
                                        "service": {"kind": "chrony"}, "kernel": None}}


def test_action_one_sample(monkeypatch):
    out, calls = action(monkeypatch, {}, [answer(1005.2, 0.1)])
    assert calls == [{}]
    assert (out["offset"]["low"], out["offset"]["high"]) == pytest.approx((4.8, 5.1))
    assert out["controller"] == {"before": 1000.0, "after": pytest.approx(1000.4)}
    assert out["samples_disagree"] is False and out["controller_stepped"] is False and out["changed"] is False


def test_action_intersects_samples_and_asks_the_service_once(monkeypatch):
    out, calls = action(monkeypatch, {"samples": 2}, [answer(1005.2), answer(1005.7)])
    assert calls == [{}, {"service": False}]
    # first [4.8, 5.2], second (controller 1000.4-1000.8) [4.9, 5.3]
    assert (out["offset"]["low"], out["offset"]["high"]) == pytest.approx((4.9, 5.2))
    assert out["clock"]["service"] == {"kind": "chrony"}
    assert len(out["samples"]) == 2


def test_action_samples_that_disagree(monkeypatch):
    out, dummy = action(monkeypatch, {"samples": 2}, [answer(1005.2), answer(1000.5)])
    assert out["samples_disagree"] is True
    assert (out["offset"]["low"], out["offset"]["high"]) == pytest.approx((-0.3, 0.1))


def test_action_passes_a_failure_through(monkeypatch):
    out, dummy = action(monkeypatch, {}, [{"failed": True, "msg": "boom"}])
    assert out == {"failed": True, "msg": "boom"}
