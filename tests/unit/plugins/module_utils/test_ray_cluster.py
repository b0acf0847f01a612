"""The Ray cluster judged from the head: the probe's answer parsed, the nodes (missing, another
NPU count, extra, unplanned), the smoke job per node (slot errors, no device, missing env, one NPU
handed twice, slots that did not answer) and the summary line, on recorded answers; and the probe
itself, run against a stand-in `ray` package (the polling, the smoke job's bookkeeping)."""

import copy
import json
import os
import socket
import subprocess
import sys

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import ray_cluster as rc

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "ray")
EXPECT = [{"name": "node1", "address": "198.18.0.11", "npus": 8}, {"name": "node2", "address": "198.18.0.12", "npus": 8}]
ENV_KEYS = ["RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES", "ASCEND_RT_VISIBLE_DEVICES", "HCCL_SOCKET_IFNAME",
            "HCCL_HOST_SOCKET_PORT_RANGE", "ASCEND_TOOLKIT_HOME"]
ALL = [str(d) for d in range(8)]


def recorded(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def answer(name="probe_a2x2.json"):
    return json.loads(recorded(name))


def slots_of(a, address):
    return [s for s in a["smoke"]["slots"] if s["address"] == address]


def slot(a, address, npu):
    return next(s for s in slots_of(a, address) if s["npu_ids"] == [str(npu)])


# ---- the answer ---------------------------------------------------------------------------------------

LINE = recorded("probe_recorded_stub_torch.json").strip()
PARSE_CASES = [
    ("the one line", LINE + "\n", True),
    ("after Ray's log lines", "2026-12-02 06:25:05,850\tERROR npu.py:81 -- Failed to detect NPU type.\n"
                              "ModuleNotFoundError: No module named 'acl'\n" + LINE + "\n", True),
    ("before a line that is no JSON", LINE + "\n(raylet) [2026-12-02 06:25:09] worker exited\n", True),
    ("indented", "   " + LINE + "   \n", True),
    ("nothing", "", False),
    ("none", None, False),
    ("no JSON at all", "Traceback (most recent call last):\nKeyError: 'expect'\n", False),
    ("the last JSON line cut short", LINE + "\n" + LINE[:100] + "\n", False),
]


@pytest.mark.parametrize("case, stdout, found", PARSE_CASES, ids=[c[0] for c in PARSE_CASES])
def test_parse(case, stdout, found):
    assert rc.parse(stdout) == (json.loads(LINE) if found else None)


def test_the_recorded_answers_have_the_shape_the_judges_read():
    for name in ("probe_recorded_no_torch.json", "probe_recorded_stub_torch.json", "probe_a2x2.json"):
        a = rc.parse(recorded(name))
        assert sorted(a) == ["connected", "error", "nodes", "ray_version", "smoke"] and a["ray_version"] == "2.46.0"
        assert all(len(n["node_id"]) == 56 and isinstance(n["npus"], float) for n in a["nodes"])
        assert all(sorted(s) == ["address", "device_count", "env", "error", "hostname", "npu_ids", "torch_npu",
                                 "visible"] for s in a["smoke"]["slots"])


# ---- the nodes -----------------------------------------------------------------------------------

def nodes_without(*addresses):
    a = answer()
    a["nodes"] = [n for n in a["nodes"] if n["address"] not in addresses]
    return a


def with_npus(address, npus):
    a = answer()
    next(n for n in a["nodes"] if n["address"] == address)["npus"] = npus
    return a


def with_extra():
    a = answer()
    a["nodes"].append({"address": "198.18.0.13", "node_id": "0" * 56, "npus": 8.0})
    return a


NOT_CONNECTED = {"connected": False, "error": "ConnectionError: Could not find any running Ray instance. Please "
                                              "specify the one to connect to by setting `address`.",
                 "nodes": [], "smoke": None, "ray_version": "2.46.0"}
NODE_CASES = [
    # case, answer, unplanned, missing, wrong, extra, NPUs by name, npu_total, expected_total, summary
    ("every node with its NPUs", answer(), [], [], {}, [], (8, 8), 16, 16, "Ray: 16/16 NPUs in the cluster"),
    ("a worker missing", nodes_without("198.18.0.12"), [], ["node2"], {}, [], (8, None), 8, 16,
     "Ray: 8/16 NPUs in the cluster; missing: node2"),
    ("another NPU count", with_npus("198.18.0.12", 4.0), [], [], {"node2": "offers 4 NPUs, expected 8"}, [], (8, 4),
     12, 16, "Ray: 12/16 NPUs in the cluster; node2 offers 4 NPUs, expected 8"),
    ("a worker without NPUs", with_npus("198.18.0.12", 0), [], [], {"node2": "offers 0 NPUs, expected 8"}, [], (8, 0),
     8, 16, "Ray: 8/16 NPUs in the cluster; node2 offers 0 NPUs, expected 8"),
    ("a node nobody planned", with_extra(), [], [], {}, ["198.18.0.13"], (8, 8), 16, 16,
     "Ray: 16/16 NPUs in the cluster; also in Ray: 198.18.0.13"),
    ("unplanned names are named, not missing", nodes_without("198.18.0.12"), ["node4", "node3"], ["node2"], {},
     [], (8, None), 8, 16,
     "Ray: 8/16 NPUs in the cluster; missing: node2; not asked (failed or unreachable earlier): node3, node4"),
    ("not connected", NOT_CONNECTED, [], ["node1", "node2"], {}, [], (None, None), 0, 16,
     "Ray: 0/16 NPUs in the cluster; missing: node1, node2"),
]


@pytest.mark.parametrize("case, a, unplanned, missing, wrong, extra, by_name, total, expected, line", NODE_CASES,
                         ids=[c[0] for c in NODE_CASES])
def test_judge_nodes(case, a, unplanned, missing, wrong, extra, by_name, total, expected, line):
    got = rc.judge_nodes(a, EXPECT, unplanned)
    assert got == {"missing": missing, "unplanned": sorted(unplanned), "wrong": wrong, "extra": extra,
                   "by_name": dict(zip(("node1", "node2"), by_name)), "npu_total": total, "expected_total": expected}
    assert rc.summary(got) == line


# ---- the smoke job -------------------------------------------------------------------------------

def smoke_with(change):
    a = answer()
    change(a)
    return a["smoke"]


def _error(a):
    slot(a, "198.18.0.12", 2)["error"] = "RuntimeError: call aclrtSetDevice failed, error code is 507033"


def _no_device(a):
    slot(a, "198.18.0.12", 3)["device_count"] = 0


def _env(a):
    slot(a, "198.18.0.11", 5)["env"]["HCCL_SOCKET_IFNAME"] = None
    slot(a, "198.18.0.11", 5)["env"]["ASCEND_TOOLKIT_HOME"] = ""


def _error_and_env(a):
    s = slot(a, "198.18.0.11", 0)
    s.update(error="ModuleNotFoundError: No module named 'torch_npu'", torch_npu=None, device_count=None)
    del s["env"]["HCCL_HOST_SOCKET_PORT_RANGE"]


def _twice(a):
    slot(a, "198.18.0.12", 6)["npu_ids"] = ["3"]


def _late(a):
    late = [s for s in slots_of(a, "198.18.0.12") if s["npu_ids"][0] in ("5", "6", "7")]
    a["smoke"]["slots"] = [s for s in a["smoke"]["slots"] if s not in late]
    a["smoke"]["error"] = "13 of 16 slots answered within 60 s"


def _late_quietly(a):
    a["smoke"]["slots"] = [s for s in a["smoke"]["slots"] if s["npu_ids"] != ["7"] or s["address"] != "198.18.0.11"]


def _failed(a):
    error = "RayActorError: The actor died unexpectedly before finishing this task."
    a["smoke"] = {"slots": [], "asked": 16, "error": error}


def _stranger(a):
    a["smoke"]["slots"].append(dict(slot(a, "198.18.0.11", 0), address="198.18.0.13", error="boom"))


def _no_ids(a):
    slot(a, "198.18.0.11", 4).update(npu_ids=[], error="IndexError: list index out of range")


def _none(a):
    a["smoke"] = None


SMOKE_CASES = [
    # case, change, failures per node, devices of node2 (None: all eight), summary's smoke part
    ("every slot passes", lambda a: None, {}, None, "smoke job 16/16 NPU slots"),
    ("a slot's error", _error, {"node2": ["NPU 2: RuntimeError: call aclrtSetDevice failed, error code is 507033"]},
     None, "smoke job 15/16 NPU slots, failing on node2"),
    ("torch.npu sees no device", _no_device, {"node2": ["NPU 3: torch.npu sees no device"]}, None,
     "smoke job 15/16 NPU slots, failing on node2"),
    ("env keys unset or empty", _env,
     {"node1": ["NPU 5: not in the worker's environment: HCCL_SOCKET_IFNAME, ASCEND_TOOLKIT_HOME"]}, None,
     "smoke job 15/16 NPU slots, failing on node1"),
    ("an error and a key missing", _error_and_env,
     {"node1": ["NPU 0: ModuleNotFoundError: No module named 'torch_npu'",
                "NPU 0: not in the worker's environment: HCCL_HOST_SOCKET_PORT_RANGE"]}, None,
     "smoke job 15/16 NPU slots, failing on node1"),
    ("one NPU handed to two slots", _twice, {"node2": ["NPU 3 handed to more than one slot"]},
     ["0", "1", "2", "3", "4", "5", "7"], "smoke job 14/16 NPU slots, failing on node2"),
    ("slots that did not answer in time", _late,
     {"node2": ["5 of 8 NPU slots answered (13 of 16 slots answered within 60 s)"]}, ["0", "1", "2", "3", "4"],
     "smoke job 13/16 NPU slots, failing on node2"),
    ("a slot missing without an error", _late_quietly, {"node1": ["7 of 8 NPU slots answered"]}, None,
     "smoke job 15/16 NPU slots, failing on node1"),
    ("the job failed", _failed,
     dict((n, ["0 of 8 NPU slots answered (RayActorError: The actor died unexpectedly before finishing this task.)"])
          for n in ("node1", "node2")), [], "smoke job 0/16 NPU slots, failing on node1, node2"),
    ("a slot of a node nobody planned", _stranger, {}, None, "smoke job 16/16 NPU slots"),
    ("a slot Ray gave no NPU", _no_ids, {"node1": ["NPU ?: IndexError: list index out of range"]}, None,
     "smoke job 15/16 NPU slots, failing on node1"),
    ("no smoke answer (not connected)", _none,
     dict((n, ["0 of 8 NPU slots answered"]) for n in ("node1", "node2")), [],
     "smoke job 0/16 NPU slots, failing on node1, node2"),
]


@pytest.mark.parametrize("case, change, failures, devices, line", SMOKE_CASES, ids=[c[0] for c in SMOKE_CASES])
def test_judge_smoke(case, change, failures, devices, line):
    got = rc.judge_smoke(smoke_with(change), EXPECT, ENV_KEYS)
    assert sorted(got) == ["node1", "node2"]
    assert dict((n, v["failures"]) for n, v in got.items() if v["failures"]) == failures
    assert got["node2"]["devices"] == (ALL if devices is None else devices)
    assert all(v["expected"] == 8 for v in got.values())
    nodes = rc.judge_nodes(answer(), EXPECT)
    assert rc.summary(nodes, got) == "Ray: 16/16 NPUs in the cluster; " + line


def test_slot_counts_and_devices_in_numeric_order():
    expect = [{"name": "a3-1", "address": "198.18.0.11", "npus": 16}]
    slots = [{"address": "198.18.0.11", "npu_ids": [str(d)], "env": dict((k, "x") for k in ENV_KEYS),
              "device_count": 16, "error": None} for d in (10, 2, 15, 0, 9, 1, 11, 3, 12, 4, 13, 5, 14, 6, 7, 8)]
    got = rc.judge_smoke({"slots": slots, "asked": 16, "error": None}, expect, ENV_KEYS)
    assert got == {"a3-1": {"slots": 16, "passed": 16, "expected": 16, "failures": [],
                            "devices": [str(d) for d in range(16)]}}


def test_the_recorded_answers():
    """The real probe's answers: without torch every slot fails (and Ray set the visible list
    itself, the seed's NOSET variable not being in the raylet's environment); with the raylet
    started as npu_env's file starts it, Ray leaves ASCEND_RT_VISIBLE_DEVICES alone, so the env
    file must set it for the worker to have it."""
    expect = [{"name": "node1", "address": "198.18.0.11", "npus": 2}]
    keys = ["RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES", "ASCEND_RT_VISIBLE_DEVICES", "HCCL_SOCKET_IFNAME"]
    bare = answer("probe_recorded_no_torch.json")
    smoke = rc.judge_smoke(bare["smoke"], expect, keys)
    assert smoke == {"node1": {"slots": 2, "passed": 0, "expected": 2, "devices": ["0", "1"], "failures": [
        "NPU 0: ModuleNotFoundError: No module named 'torch'",
        "NPU 0: not in the worker's environment: RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES, HCCL_SOCKET_IFNAME",
        "NPU 1: ModuleNotFoundError: No module named 'torch'",
        "NPU 1: not in the worker's environment: RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES, HCCL_SOCKET_IFNAME"]}}
    assert [s["visible"] for s in bare["smoke"]["slots"]] == ["0", "1"]
    nodes = rc.judge_nodes(bare, expect)
    assert rc.summary(nodes, smoke) == "Ray: 2/2 NPUs in the cluster; smoke job 0/2 NPU slots, failing on node1"
    noset = answer("probe_recorded_stub_torch.json")
    smoke = rc.judge_smoke(noset["smoke"], expect, keys)
    assert smoke["node1"]["failures"] == ["NPU %d: not in the worker's environment: ASCEND_RT_VISIBLE_DEVICES" % d
                                          for d in (0, 1)]
    smoke = rc.judge_smoke(noset["smoke"], expect, [k for k in keys if k != "ASCEND_RT_VISIBLE_DEVICES"])
    assert smoke["node1"] == {"slots": 2, "passed": 2, "expected": 2, "devices": ["0", "1"], "failures": []}


def test_the_smoke_summary_counts_the_slots_that_passed():
    """One failing slot is one slot out of the count (the report's figure is the same one); the line
    says which nodes to look at."""
    got = rc.judge_smoke(smoke_with(_error), EXPECT, ENV_KEYS)
    assert (got["node2"]["slots"], got["node2"]["passed"], got["node1"]["passed"]) == (8, 7, 8)
    assert rc.summary({"npu_total": 16, "expected_total": 16, "missing": [], "wrong": {}}, got).endswith(
        "smoke job 15/16 NPU slots, failing on node2")


# ---- the probe, against a stand-in ray ---------------------------------------------------------

FAKE_RAY = '''
import json, os
__version__ = "2.46.0"
_S = json.load(open(os.environ["FAKE_RAY"]))
if _S.get("import_error"):
    raise ImportError(_S["import_error"])
_state = {"init": 0, "poll": 0, "killed": 0, "actors": {}}


def _log(**kw):
    with open(os.environ["FAKE_RAY"] + ".log", "a") as f:
        f.write(json.dumps(kw) + "\\n")


def is_initialized():
    return _state["init"] > 0


def init(address=None, **kw):
    _log(call="init", address=address, node_ip=kw.get("_node_ip_address"))
    if _S.get("init_error"):
        raise ConnectionError(_S["init_error"])
    _state["init"] += 1


def nodes():
    polls = _S["polls"]
    seen = polls[min(_state["poll"], len(polls) - 1)]
    _state["poll"] += 1
    _log(call="nodes")
    return [{"NodeManagerAddress": n["address"], "NodeID": n["node_id"], "Alive": n.get("alive", True),
             "Resources": {"NPU": n["npus"], "CPU": 192.0}} for n in seen]


class _Ref(object):
    def __init__(self, value):
        self.value = value


class _Method(object):
    def __init__(self, report):
        self._report = report

    def remote(self, keys):
        return _Ref(dict(self._report, env=dict((k, self._report["env"].get(k)) for k in keys)))


class _Actor(object):
    def __init__(self, node_id):
        index = _state["actors"].get(node_id, 0)
        _state["actors"][node_id] = index + 1
        self.report = _Method(_S["reports"][node_id][index])


class _Options(object):
    def __init__(self, kw):
        _log(call="options", resources=kw["resources"], node_id=kw["scheduling_strategy"].node_id,
             soft=kw["scheduling_strategy"].soft)
        self._node = kw["scheduling_strategy"].node_id

    def remote(self):
        return _Actor(self._node)


class _Class(object):
    def options(self, **kw):
        return _Options(kw)


def remote(**kw):
    assert kw == {"num_cpus": 0}
    return lambda cls: _Class()


def wait(refs, num_returns, timeout):
    _log(call="wait", num_returns=num_returns, timeout=timeout)
    n = _S.get("answer", len(refs))
    return refs[:n], refs[n:]


def get(ref):
    return ref.value


def kill(actor):
    _log(call="kill")
'''
FAKE_STRATEGIES = '''
class NodeAffinitySchedulingStrategy(object):
    def __init__(self, node_id, soft):
        self.node_id, self.soft = node_id, soft
'''


def probe(tmp_path, state, request):
    """Run PROBE as the module does (a Python, the request on stdin) with the stand-in ray first on
    its path.  -> (the parsed answer, the stand-in's calls)."""
    pkg = tmp_path / "site" / "ray"
    (pkg / "util").mkdir(parents=True)
    (pkg / "__init__.py").write_text(FAKE_RAY)
    (pkg / "util" / "__init__.py").write_text("")
    (pkg / "util" / "scheduling_strategies.py").write_text(FAKE_STRATEGIES)
    spec = tmp_path / "state.json"
    spec.write_text(json.dumps(state))
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"), FAKE_RAY=str(spec))
    done = subprocess.run([sys.executable, "-c", rc.PROBE], input=json.dumps(request), capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    log = tmp_path / "state.json.log"
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return rc.parse(done.stdout), calls


@pytest.fixture
def gcs():
    """A port that answers the probe's knock, standing in for the head's GCS (the stand-in ray
    does the rest): its address as the probe is given it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        yield "127.0.0.1:%d" % s.getsockname()[1]


def silent_port():
    """A local port nothing listens on (bound for a moment, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "127.0.0.1:%d" % s.getsockname()[1]


def request(gcs, **changes):
    out = {"address": gcs, "node_ip": "198.18.0.11", "expect": EXPECT, "timeout": 30, "smoke": False,
           "smoke_timeout": 60, "env_keys": ENV_KEYS}
    out.update(changes)
    return out


def reports(a):
    """{node_id: [slot report, ...]} of a recorded answer, for the stand-in's actors."""
    ids = dict((n["address"], n["node_id"]) for n in a["nodes"])
    out = {}
    for s in sorted(a["smoke"]["slots"], key=lambda s: (s["address"], s["npu_ids"])):
        out.setdefault(ids[s["address"]], []).append(s)
    return out


def test_the_probe_waits_for_the_nodes_and_runs_the_smoke_job(tmp_path, gcs):
    a = answer()
    state = {"polls": [a["nodes"][:1], a["nodes"]], "reports": reports(a)}
    got, calls = probe(tmp_path, state, request(gcs, smoke=True))
    assert (got["connected"], got["error"], got["ray_version"], got["nodes"]) == (True, None, "2.46.0", a["nodes"])
    assert [c["call"] for c in calls].count("nodes") == 2          # polled until node2 joined, then no more
    assert calls[0] == {"call": "init", "address": gcs, "node_ip": "198.18.0.11"}
    options = [c for c in calls if c["call"] == "options"]
    assert len(options) == 16 and all(c["resources"] == {"NPU": 1} and c["soft"] is False for c in options)
    assert [c["node_id"] for c in options] == [a["nodes"][0]["node_id"]] * 8 + [a["nodes"][1]["node_id"]] * 8
    assert [c for c in calls if c["call"] == "wait"] == [{"call": "wait", "num_returns": 16, "timeout": 60}]
    assert [c["call"] for c in calls].count("kill") == 16
    assert got["smoke"]["asked"] == 16 and got["smoke"]["error"] is None
    assert rc.judge_smoke(got["smoke"], EXPECT, ENV_KEYS) == rc.judge_smoke(a["smoke"], EXPECT, ENV_KEYS)


def test_the_probe_gives_up_at_the_deadline_and_reports_who_is_there(tmp_path, gcs):
    a = answer()
    got, calls = probe(tmp_path, {"polls": [a["nodes"][:1]], "reports": {}}, request(gcs, timeout=0))
    assert got["connected"] is True and got["nodes"] == a["nodes"][:1] and got["smoke"] is None
    assert rc.judge_nodes(got, EXPECT)["missing"] == ["node2"]


def test_the_probe_counts_slots_that_did_not_answer(tmp_path, gcs):
    a = answer()
    got, calls = probe(tmp_path, {"polls": [a["nodes"]], "reports": reports(a), "answer": 13},
                       request(gcs, smoke=True, smoke_timeout=5))
    assert len(got["smoke"]["slots"]) == 13 and got["smoke"]["error"] == "13 of 16 slots answered within 5 s"
    assert rc.judge_smoke(got["smoke"], EXPECT, ENV_KEYS)["node2"]["failures"] == [
        "5 of 8 NPU slots answered (13 of 16 slots answered within 5 s)"]


def test_the_probe_when_ray_cannot_connect(tmp_path, gcs):
    error = "Could not find any running Ray instance. Please specify the one to connect to by setting `address`."
    got, calls = probe(tmp_path, {"polls": [[]], "init_error": error}, request(gcs, smoke=True, timeout=0))
    assert got == {"connected": False, "error": "ConnectionError: " + error, "nodes": [], "smoke": None,
                   "ray_version": "2.46.0"}
    assert [c["call"] for c in calls] == ["init"]


def test_the_probe_when_ray_does_not_import(tmp_path, gcs):
    got, calls = probe(tmp_path, {"import_error": "libgcc_s.so.1: cannot open shared object file"}, request(gcs))
    assert got == {"connected": False, "error": "import ray: libgcc_s.so.1: cannot open shared object file", "nodes": [],
                   "smoke": None, "ray_version": None}


def test_a_dead_node_is_not_in_the_cluster(tmp_path, gcs):
    a = answer()
    dead = copy.deepcopy(a["nodes"])
    dead[1]["alive"] = False
    got, calls = probe(tmp_path, {"polls": [dead]}, request(gcs, timeout=0))
    assert [n["address"] for n in got["nodes"]] == ["198.18.0.11"]


def test_the_probe_gives_up_on_a_silent_head_without_asking_ray(tmp_path):
    """Nothing listens at the head's address: ray.init is never called (it would wait minutes),
    and the probe stops once the GCS has been silent for its grace, before the join deadline."""
    got, calls = probe(tmp_path, {"polls": [[]]}, request(silent_port(), smoke=True, timeout=600, gcs_grace=0))
    assert got["connected"] is False and got["smoke"] is None
    assert got["error"].startswith("ConnectionError: nothing answers at 127.0.0.1:")
    assert got["error"].endswith("(the Ray head is not running?)")
    assert calls == []
