"""ray_cluster end to end as a module, the probe's run mocked: it runs with the env's Python, the
request as JSON on stdin, and the recorded answer comes back judged; it fails when the probe gives
no answer, and (fail_on_missing) when a node is missing, offers another NPU count or a slot fails."""

import json
import os

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.tests.unit.compat import run_module
from ansible_collections.ascend_verl.cluster.plugins.module_utils import ray_cluster as rc
from ansible_collections.ascend_verl.cluster.plugins.modules import ray_cluster

FIXTURES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures", "ray"))
PYTHON = "/opt/miniforge3/envs/verl-sglang/bin/python"
EXPECT = [{"name": "node1", "address": "198.18.0.11", "npus": 8}, {"name": "node2", "address": "198.18.0.12", "npus": 8}]
DEFAULT_KEYS = ["RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES", "ASCEND_RT_VISIBLE_DEVICES", "HCCL_SOCKET_IFNAME",
                "HCCL_HOST_SOCKET_PORT_RANGE", "ASCEND_TOOLKIT_HOME"]


def answer(name="probe_a2x2.json"):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


@pytest.fixture
def probe(monkeypatch):
    """Mocks AnsibleModule.run_command: answers (rc, stdout, stderr), records every call."""
    calls = []

    def make(rc=0, out="", err=""):
        def run_command(self, args, data=None, binary_data=False, **kw):
            calls.append({"args": args, "data": data, "binary_data": binary_data, "kw": kw})
            return rc, out, err
        monkeypatch.setattr(AnsibleModule, "run_command", run_command)
        return calls
    return make


def run(capsys, **args):
    base = {"python": PYTHON, "address": "198.18.0.11:6766", "node_ip": "198.18.0.11", "expect": EXPECT}
    return run_module(ray_cluster, capsys, dict(base, **args))


def stdout(a):
    """The probe's output: Ray's log lines on the way, its one JSON line last."""
    return "2026-12-02 06:25:05,850\tINFO worker.py:1660 -- Connected to Ray cluster.\n" + json.dumps(a) + "\n"


def test_the_probe_runs_in_the_envs_python_with_the_request_on_stdin(probe, capsys):
    calls = probe(out=stdout(answer()))
    code, out = run(capsys, smoke=True, expect=[dict(EXPECT[0], npus="8"), EXPECT[1]], timeout=60, smoke_timeout=30)
    assert code == 0 and out["changed"] is False
    assert len(calls) == 1 and calls[0]["args"] == [PYTHON, "-c", rc.PROBE] and calls[0]["binary_data"] is True
    assert json.loads(calls[0]["data"]) == {"address": "198.18.0.11:6766", "node_ip": "198.18.0.11", "expect": EXPECT,
                                            "timeout": 60, "smoke": True, "smoke_timeout": 30, "env_keys": DEFAULT_KEYS}
    assert out["summary"] == "Ray: 16/16 NPUs in the cluster; smoke job 16/16 NPU slots"
    assert (out["missing"], out["wrong"], out["npu_total"], out["expected_total"]) == ([], {}, 16, 16)
    assert out["by_name"] == {"node1": 8, "node2": 8}
    assert (out["ray_version"], out["error"], out["nodes"]) == ("2.46.0", None, answer()["nodes"])
    assert out["smoke"]["node2"] == {"slots": 8, "passed": 8, "expected": 8, "failures": [],
                                     "devices": [str(d) for d in range(8)]}
    assert out["slots"] == answer()["smoke"]["slots"]


def test_without_the_smoke_job(probe, capsys):
    a = answer()
    a["smoke"] = None
    calls = probe(out=json.dumps(a))
    code, out = run(capsys)
    request = json.loads(calls[0]["data"])
    asked = (request["smoke"], request["timeout"], request["smoke_timeout"], request["node_ip"])
    assert asked == (False, 300, 180, "198.18.0.11")
    assert code == 0 and out["smoke"] is None and out["slots"] == []
    assert out["summary"] == "Ray: 16/16 NPUs in the cluster"


def test_check_mode_asks_all_the_same(probe, capsys):
    calls = probe(out=stdout(answer()))
    code, out = run(capsys, smoke=True, _ansible_check_mode=True)
    assert code == 0 and len(calls) == 1 and out["summary"].endswith("smoke job 16/16 NPU slots")


@pytest.mark.parametrize("rc_, out_, err, msg", [
    (1, "", "Traceback (most recent call last):\n  File \"<string>\", line 3, in <module>\n"
     "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)\n",
     "the Ray probe gave no answer (rc 1): Traceback (most recent call last):\n  File \"<string>\", line 3, in <module>\n"
     "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)"),
    (2, "", "[Errno 2] No such file or directory: b'%s'" % PYTHON,
     "the Ray probe gave no answer (rc 2): [Errno 2] No such file or directory: b'%s'" % PYTHON),
    (-9, "2026-12-02 06:25:05,850\tINFO worker.py:1660 -- Connecting to existing Ray cluster\n", "",
     "the Ray probe gave no answer (rc -9): 2026-12-02 06:25:05,850\tINFO worker.py:1660 -- Connecting to existing "
     "Ray cluster"),
])
def test_no_answer_fails(probe, capsys, rc_, out_, err, msg):
    probe(rc_, out_, err)
    code, out = run(capsys, smoke=True, fail_on_missing=False)
    assert code == 1 and out["failed"] is True and out["msg"] == msg
    assert "summary" not in out                 # what the verify report takes for a failed module


def test_a_long_error_keeps_its_end(probe, capsys):
    probe(1, "", "x" * 5000 + "RuntimeError: the end\n")
    code, out = run(capsys)
    assert code == 1 and out["msg"].endswith("xxxRuntimeError: the end") and len(out["msg"]) < 2100


def missing_node2():
    a = answer()
    a["nodes"] = a["nodes"][:1]
    a["smoke"]["slots"] = [s for s in a["smoke"]["slots"] if s["address"] == "198.18.0.11"]
    a["error"] = None
    return a


def failing_slot():
    a = answer()
    next(s for s in a["smoke"]["slots"] if s["address"] == "198.18.0.12")["device_count"] = 0
    return a


def other_count():
    a = answer()
    a["nodes"][1]["npus"] = 4.0
    return a


FAIL_CASES = [
    # case, answer, module args, failed, summary (+ the driver's last error when there is one)
    ("every node in", answer(), {}, False, "Ray: 16/16 NPUs in the cluster"),
    ("a node missing", missing_node2(), {}, True, "Ray: 8/16 NPUs in the cluster; missing: node2"),
    ("a node missing, the driver's last error", dict(missing_node2(), error="GetTimeoutError: timed out"), {}, True,
     "Ray: 8/16 NPUs in the cluster; missing: node2 (last error: GetTimeoutError: timed out)"),
    ("a node missing, recorded only", missing_node2(), {"fail_on_missing": False}, False,
     "Ray: 8/16 NPUs in the cluster; missing: node2"),
    ("a node unplanned fails alone", answer(), {"unplanned": ["node3"]}, False,
     "Ray: 16/16 NPUs in the cluster; not asked (failed or unreachable earlier): node3"),
    ("another NPU count", other_count(), {}, True, "Ray: 12/16 NPUs in the cluster; node2 offers 4 NPUs, expected 8"),
    ("a slot failing", failing_slot(), {"smoke": True}, True,
     "Ray: 16/16 NPUs in the cluster; smoke job 15/16 NPU slots, failing on node2"),
    ("a slot failing, no smoke asked", failing_slot(), {}, False, "Ray: 16/16 NPUs in the cluster"),
    ("a slot failing, recorded only", failing_slot(), {"smoke": True, "fail_on_missing": False}, False,
     "Ray: 16/16 NPUs in the cluster; smoke job 15/16 NPU slots, failing on node2"),
]


@pytest.mark.parametrize("case, a, args, failed, line", FAIL_CASES, ids=[c[0] for c in FAIL_CASES])
def test_fail_on_missing(probe, capsys, case, a, args, failed, line):
    probe(out=stdout(a))
    code, out = run(capsys, **args)
    assert (code, out.get("failed", False)) == ((1, True) if failed else (0, False))
    if failed:
        assert out["msg"] == line                       # the summary, with the result for the report
        assert out["summary"] == line.split(" (last error")[0]
    else:
        assert out["summary"] == line
    for key in ("nodes", "by_name", "missing", "wrong", "npu_total", "expected_total", "ray_version", "error", "smoke",
                "slots", "summary"):
        assert key in out, key


def test_the_expected_nodes_are_checked_by_the_argument_spec(probe, capsys):
    calls = probe(out=stdout(answer()))
    code, out = run(capsys, expect=[{"name": "node1", "address": "198.18.0.11"}])
    assert code == 1 and "npus" in out["msg"] and calls == []
