"""The controller's diagnosis: each fault named once, on the right host and device."""

import copy
import json
import os

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import connectivity as conn
from ansible_collections.ascend_verl.cluster.plugins.module_utils import diagnosis
from ansible_collections.ascend_verl.cluster.plugins.module_utils import ray_cluster


def healthy(n=3, devices=8):
    hosts = {}
    for i in range(1, n + 1):
        devs = [{"phy_id": d, "address": "198.19.0.%d" % (16 * i + d), "netmask": "255.255.240.0", "link": "UP",
                 "net_health": "Success", "tls_switch": 0, "netdetect": "198.19.0.1", "gateway": "198.19.0.1",
                 "errors": []} for d in range(devices)]
        hosts["node%d" % i] = {
            "unreachable": False,
            "health": {"ok": True, "failures": [], "npu_smi": {"devices": [{}] * devices}},
            "hccn": {"hccn": {"devices": devs}},
            "connectivity": {"probes": [], "tcp": []},
            "env": {"ASCEND_RT_VISIBLE_DEVICES": ",".join(str(d) for d in range(devices))},
        }
    return hosts


def probe(hosts, topology="same_index", bad=lambda src, p: False):
    """Fill every host's probes as hccl_connectivity would, `bad` deciding which fail."""
    peers = [{"host": h, "address": "x", "devices": hosts[h]["hccn"]["hccn"]["devices"]} for h in sorted(hosts)
             if not hosts[h]["unreachable"] and hosts[h]["hccn"].get("hccn")]
    for peer in peers:
        probes = conn.plan(peers, peer["host"], topology)
        hosts[peer["host"]]["connectivity"]["probes"] = [
            dict(p, src_host=peer["host"], ok=not bad(peer["host"], p),
                 message="" if not bad(peer["host"], p) else "3 packets transmitted, 0 received, 100.00% packet loss")
            for p in probes]
    return hosts


def where(result):
    return [(f["host"], f["device"], f["check"]) for f in result["failures"]]


def touches(host, device):
    return lambda src, p: (src, p["src_device"]) == (host, device) or (p["dst_host"], p["dst_device"]) == (host, device)


def test_healthy_cluster():
    result = diagnosis.diagnose(probe(healthy()))
    assert result["ok"] and result["failures"] == []
    assert result["summary"] == {"hosts": 3, "unreachable": 0, "failed_hosts": 0, "failures": 0, "probes": 24,
                                 "probes_failed": 0, "clock_spread_s": None, "ray_npus": None, "ray_smoke_slots": None}
    assert result["ray"] is None            # no host carried a Ray result
    assert result["matrix"]["node1"]["node3"] == [8, 8] and result["matrix"]["node3"]["node1"] == [8, 8]


def test_link_down_blames_only_that_port():
    hosts = healthy()
    dev = hosts["node2"]["hccn"]["hccn"]["devices"][3]
    dev["link"], dev["net_health"] = "DOWN", "Fault"
    result = diagnosis.diagnose(probe(hosts, bad=touches("node2", 3)))
    assert where(result) == [("node2", 3, "link")]
    assert result["failures"][0]["message"] == "link DOWN, net health Fault; no peer reaches it (0 of 2 probes)"


def test_silent_port_without_local_evidence():
    result = diagnosis.diagnose(probe(healthy(), bad=touches("node3", 6)))
    assert where(result) == [("node3", 6, "connectivity")]


def test_two_hosts_failing_with_each_other_is_a_path_problem():
    def bad(src, p):
        return {src, p["dst_host"]} == {"node1", "node3"}
    result = diagnosis.diagnose(probe(healthy(), bad=bad))
    assert where(result) == [("node1", None, "path")]
    assert "between node1 and node3 fails (8 of 8)" in result["failures"][0]["message"]


def test_two_node_cluster_single_failure_is_a_ping_not_a_dead_port():
    result = diagnosis.diagnose(probe(healthy(2), bad=touches("node1", 2)))
    assert where(result) == [("node1", 2, "ping")]


def test_host_down_is_not_blamed_on_its_peers():
    hosts = healthy()
    hosts["node2"] = {"unreachable": True, "msg": "Failed to connect to the host via ssh"}
    result = diagnosis.diagnose(probe(hosts))
    assert where(result) == [("node2", None, "reachable")]
    assert set(result["matrix"]) == {"node1", "node3"}


def test_tls_flip_names_the_odd_port():
    hosts = healthy()
    hosts["node3"]["hccn"]["hccn"]["devices"][5]["tls_switch"] = 1
    result = diagnosis.diagnose(probe(hosts))
    assert where(result) == [("node3", 5, "tls")]
    assert "TLS switch 1 while 23 other ports have 0" in result["failures"][0]["message"]


def test_health_busy_and_driver_failures():
    hosts = healthy()
    hosts["node1"]["health"]["failures"] = [
        {"device": "npu 4 chip 0 (phy 4)", "phy_id": 4, "check": "health", "found": "Alarm", "expected": "OK"},
        {"device": "npu 6 chip 0 (phy 6)", "phy_id": 6, "check": "processes", "found": "pid 7 python (2048 MB)",
         "expected": "no process"}]
    hosts["node2"]["health"] = {"ok": False, "npu_smi": None, "failures": [
        {"device": None, "phy_id": None, "check": "driver", "expected": "npu-smi answers",
         "found": "dcmi module initialize failed. ret is -8005"}]}
    hosts["node2"]["hccn"] = {"failed": True, "msg": "hccn_tool: dcmi module initialize failed. ret is -8005"}
    result = diagnosis.diagnose(probe(hosts))
    assert where(result) == [("node1", 4, "health"), ("node1", 6, "processes"),
                             ("node2", None, "driver"), ("node2", None, "hccn")]


def test_no_address_net_health_and_tcp_and_env():
    hosts = healthy()
    hosts["node1"]["hccn"]["hccn"]["devices"][0]["address"] = None
    hosts["node3"]["hccn"]["hccn"]["devices"][7]["net_health"] = "Socket failed"
    hosts["node2"]["env"] = None
    hosts["node3"]["env"] = {"ASCEND_RT_VISIBLE_DEVICES": "0,1,2,3"}
    hosts = probe(hosts)
    hosts["node1"]["connectivity"]["tcp"] = [
        {"src_host": "node1", "dst_host": "node2", "address": "198.18.0.12", "port": 6766, "state": "refused"},
        {"src_host": "node1", "dst_host": "node3", "address": "198.18.0.13", "port": 60001, "state": "timeout"}]
    result = diagnosis.diagnose(hosts)
    assert where(result) == [("node1", None, "tcp"), ("node1", 0, "address"), ("node2", None, "env"),
                             ("node3", None, "env"), ("node3", 7, "net_health")]
    assert "ASCEND_RT_VISIBLE_DEVICES lists 4 devices, npu-smi shows 8" in result["failures"][3]["message"]
    assert diagnosis.diagnose(copy.deepcopy(hosts), check_env=False)["summary"]["failures"] == 3


def test_natural_order():
    assert sorted(["node10", "node2", "node1"], key=diagnosis.natural_key) == ["node1", "node2", "node10"]


def test_a_port_off_the_address_plan_is_named():
    from ansible_collections.ascend_verl.cluster.plugins.module_utils.diagnosis import diagnose
    fabric = {"planned": True, "problems": [],
              "steps": [{"kind": "ip", "phy_id": 3,
                         "why": "device 3: address 10.30.0.9/255.255.0.0, planned 10.20.0.19/255.255.0.0"}]}
    out = diagnose({"node1": {"fabric": fabric}, "node2": {"fabric": {}}}, check_env=False)
    assert out["failures"] == [{"host": "node1", "device": 3, "check": "fabric_plan",
                                "message": "differs from the address plan: device 3: address 10.30.0.9/255.255.0.0, "
                                           "planned 10.20.0.19/255.255.0.0"}]
    assert out["bad_hosts"] == ["node1"]


def test_a_clock_certainly_off_is_named_and_the_spread_reported():
    from ansible_collections.ascend_verl.cluster.plugins.module_utils.diagnosis import diagnose
    hosts = {"node1": {"clock": {"low": -0.1, "high": 0.1}}, "node2": {"clock": {"low": 0.0, "high": 0.2}},
             "node3": {"clock": {"low": 4.9, "high": 5.1}}}
    out = diagnose(hosts, check_env=False, clock_threshold=1.0)
    assert [(f["host"], f["check"]) for f in out["failures"]] == [("node3", "clock")]
    assert out["failures"][0]["message"].startswith("clock +4.900 s from the others' median")
    assert out["summary"]["clock_spread_s"] == 5.0
    # Intervals too wide to be sure: nobody is blamed.
    hosts["node3"]["clock"] = {"low": 0.0, "high": 2.0}
    assert diagnose(hosts, check_env=False, clock_threshold=1.0)["failures"] == []
    assert diagnose(hosts, check_env=False)["summary"]["clock_spread_s"] is None


# ---- Ray, as the head's ray_cluster result says (recorded probe answers) --------------------------

RAY_FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "ray")
RAY_EXPECT = [{"name": "node%d" % i, "address": "198.18.0.1%d" % i, "npus": 8} for i in (1, 2)]
RAY_KEYS = ["RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES", "ASCEND_RT_VISIBLE_DEVICES", "HCCL_SOCKET_IFNAME",
            "HCCL_HOST_SOCKET_PORT_RANGE", "ASCEND_TOOLKIT_HOME"]


def probe_answer(name="probe_a2x2.json"):
    with open(os.path.join(RAY_FIXTURES, name)) as f:
        return json.load(f)


def ray_result(answer, expect=None, unplanned=(), keys=None):
    """What ray_cluster (smoke: true, fail_on_missing: false) registers on the head."""
    expect, keys = expect or RAY_EXPECT, keys or RAY_KEYS
    nodes = ray_cluster.judge_nodes(answer, expect, unplanned)
    smoke = ray_cluster.judge_smoke(answer["smoke"], expect, keys)
    return dict(changed=False, nodes=answer["nodes"], by_name=nodes["by_name"], missing=nodes["missing"],
                unplanned=nodes["unplanned"], wrong=nodes["wrong"], npu_total=nodes["npu_total"], expected_total=nodes["expected_total"],
                ray_version=answer["ray_version"], error=answer["error"], smoke=smoke,
                slots=(answer["smoke"] or {}).get("slots") or [], summary=ray_cluster.summary(nodes, smoke))


def with_ray(result, n=2):
    """A healthy cluster where only the head (node1) carries the Ray result, as role verify hands it over."""
    hosts = probe(healthy(n))
    for name in hosts:
        hosts[name]["ray"] = result if name == "node1" else None
    return hosts


def ray_slot(answer, address, npu):
    return next(s for s in answer["smoke"]["slots"] if s["address"] == address and s["npu_ids"] == [str(npu)])


def test_ray_all_in_and_every_slot_passing():
    result = diagnosis.diagnose(with_ray(ray_result(probe_answer())))
    assert result["ok"] and result["failures"] == []
    assert (result["summary"]["ray_npus"], result["summary"]["ray_smoke_slots"]) == ("16/16", "16/16")
    assert result["ray"]["ray_version"] == "2.46.0" and (result["ray"]["npus"], result["ray"]["smoke_slots"]) == (
        "16/16", "16/16")
    assert result["ray"]["nodes"]["node2"] == {"slots": 8, "passed": 8, "expected": 8, "failures": [],
                                               "devices": [str(d) for d in range(8)]}


def _missing(answer):
    answer["nodes"] = answer["nodes"][:1]
    answer["smoke"]["slots"] = [s for s in answer["smoke"]["slots"] if s["address"] == "198.18.0.11"]
    answer["error"] = None


def _wrong(answer):
    answer["nodes"][1]["npus"] = 4.0
    answer["smoke"]["slots"] = [s for s in answer["smoke"]["slots"]
                                if s["address"] == "198.18.0.11" or int(s["npu_ids"][0]) < 4]


def _slot_errors(answer):
    ray_slot(answer, "198.18.0.12", 2)["error"] = "RuntimeError: call aclrtSetDevice failed, error code is 507033"
    ray_slot(answer, "198.18.0.11", 6)["env"]["HCCL_SOCKET_IFNAME"] = None


def _twice_on_one_slot(answer):
    """One slot both fails to import torch_npu and lacks a variable: one slot, two lines."""
    s = ray_slot(answer, "198.18.0.12", 5)
    s.update(error="ModuleNotFoundError: No module named 'torch_npu'", device_count=None, torch_npu=None)
    s["env"]["ASCEND_TOOLKIT_HOME"] = ""


RAY_CASES = [
    # case, change to the answer, failures (host, device, check, message), npus, smoke slots
    ("a node not in the cluster", _missing,
     [("node2", None, "ray", "not in the Ray cluster"), ("node2", None, "ray_smoke", "0 of 8 NPU slots answered")],
     "8/16", "8/16"),
    ("a node with another NPU count", _wrong,
     [("node2", None, "ray", "Ray: offers 4 NPUs, expected 8"), ("node2", None, "ray_smoke", "4 of 8 NPU slots answered")],
     "12/16", "12/16"),
    ("slots failing", _slot_errors,
     [("node1", 6, "ray_smoke", "NPU 6: not in the worker's environment: HCCL_SOCKET_IFNAME"),
      ("node2", 2, "ray_smoke", "NPU 2: RuntimeError: call aclrtSetDevice failed, error code is 507033")],
     "16/16", "14/16"),
    ("one slot failing twice", _twice_on_one_slot,
     [("node2", 5, "ray_smoke", "NPU 5: ModuleNotFoundError: No module named 'torch_npu'"),
      ("node2", 5, "ray_smoke", "NPU 5: not in the worker's environment: ASCEND_TOOLKIT_HOME")],
     "16/16", "15/16"),
]


@pytest.mark.parametrize("case, change, failures, npus, slots", RAY_CASES, ids=[c[0] for c in RAY_CASES])
def test_ray_faults_are_named_on_their_node(case, change, failures, npus, slots):
    answer = probe_answer()
    change(answer)
    result = diagnosis.diagnose(with_ray(ray_result(answer)))
    assert [(f["host"], f["device"], f["check"], f["message"]) for f in result["failures"]] == failures
    assert (result["summary"]["ray_npus"], result["summary"]["ray_smoke_slots"]) == (npus, slots)
    assert not result["ok"] and result["bad_hosts"] == sorted(set(f[0] for f in failures))


def test_ray_the_recorded_answer_without_torch():
    """The real probe's answer on a node whose env has no torch and whose raylet lacks the seed's
    variables: every slot fails twice, none passes (and the count does not go below zero)."""
    expect = [{"name": "node1", "address": "198.18.0.11", "npus": 2}]
    hosts = {"node1": {"ray": ray_result(probe_answer("probe_recorded_no_torch.json"), expect, keys=RAY_KEYS[:3])}}
    result = diagnosis.diagnose(hosts, check_env=False)
    assert [(f["device"], f["check"]) for f in result["failures"]] == [(0, "ray_smoke")] * 2 + [(1, "ray_smoke")] * 2
    assert (result["summary"]["ray_npus"], result["summary"]["ray_smoke_slots"]) == ("2/2", "0/2")


def test_ray_a_node_down_is_reported_once_as_unreachable():
    """Role verify lists a node that did not answer as unplanned: missing from Ray, but down is the fault."""
    answer = probe_answer()
    _missing(answer)
    answer["error"] = "GetTimeoutError: Get timed out: some object(s) not ready."
    hosts = with_ray(ray_result(answer, RAY_EXPECT[:1], unplanned=["node2"]))
    hosts["node2"] = {"unreachable": True, "msg": "Failed to connect to the host via ssh: No route to host"}
    result = diagnosis.diagnose(probe(hosts))
    assert where(result) == [("node2", None, "reachable")]
    assert result["ray"]["npus"] == "8/8" and result["summary"]["ray_smoke_slots"] == "8/8"


def test_ray_missing_names_the_drivers_last_error():
    answer = probe_answer()
    _missing(answer)
    answer["error"] = "RpcError: failed to connect to all addresses"
    result = diagnosis.diagnose(with_ray(ray_result(answer, RAY_EXPECT[:1], unplanned=["node2"])))
    assert [(f["host"], f["check"], f["message"]) for f in result["failures"]] == [
        ("node2", "ray", "not in the Ray cluster (the head's driver: RpcError: failed to connect to all addresses)")]


@pytest.mark.parametrize("failed, message", [
    ({"failed": True, "changed": False, "msg": "the Ray probe gave no answer (rc 1): /opt/miniforge3/envs/"
                                               "verl-sglang/bin/python: No such file or directory"},
     "the Ray probe gave no answer (rc 1): /opt/miniforge3/envs/verl-sglang/bin/python: No such file or directory"),
    ({"failed": True}, "ray_cluster failed"),
])
def test_ray_a_failed_module_result_is_the_heads_fault(failed, message):
    result = diagnosis.diagnose(with_ray(failed, 3))
    assert [(f["host"], f["device"], f["check"], f["message"]) for f in result["failures"]] == [
        ("node1", None, "ray", message)]
    assert result["ray"] is None and (result["summary"]["ray_npus"], result["summary"]["ray_smoke_slots"]) == (None, None)


def test_ray_carried_by_another_host_than_the_first():
    """The head need not sort first: whichever host carries the result is asked."""
    hosts = probe(healthy(3))
    hosts["node3"]["ray"] = ray_result(probe_answer(), [dict(RAY_EXPECT[0], name="node3"),
                                                        dict(RAY_EXPECT[1], name="node1")])
    hosts["node3"]["ray"]["smoke"]["node1"].update(failures=["NPU 7: torch.npu sees no device"], passed=7)
    result = diagnosis.diagnose(hosts)
    assert where(result) == [("node1", 7, "ray_smoke")]
    assert result["summary"]["ray_smoke_slots"] == "15/16"
