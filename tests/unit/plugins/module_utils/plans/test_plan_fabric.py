"""The fabric planner: hccn_tool calls for what differs, /etc/hccn.conf, busy NPUs, health."""

from ansible_collections.ascend_verl.cluster.plugins.module_utils import fabric_plan
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans import fabric

PLAN = [{"cidr": "10.20.0.0/16", "gateway": "10.20.0.1"}]
GROUPS = {"npu_nodes": ["node1", "node2"]}


def ports(addressed=True, index=0, changes=None):
    want = fabric_plan.wanted("Atlas 900 A2 PODc", PLAN, index)[0]
    out = []
    for d in range(8):
        p = {"phy_id": d, "address": None, "netmask": None, "gateway": None, "netdetect": None, "link": "UP",
             "net_health": "Init", "errors": []}
        if addressed:
            p.update(address=want[d]["address"], netmask=want[d]["netmask"], gateway="10.20.0.1",
                     netdetect="10.20.0.1", net_health="Success")
        p.update((changes or {}).get(d, {}))
        out.append(p)
    return out


def facts(port_list, conf=None, error=None, busy=()):
    return {"fabric": {"tool": "/usr/local/Ascend/driver/tools/hccn_tool", "error": error, "conf": conf,
                       "ports": port_list}, "npu_smi": {"busy": list(busy)}}


def knobs(**more):
    out = {"ascend_product": "Atlas 900 A2 PODc", "fabric_plan": PLAN, "fabric_ports": {}, "fabric_force": False}
    out.update(more)
    return out


def run(f, k=None, host="node1", **inputs):
    inputs.update(host=host, groups=GROUPS)
    return fabric.fabric({}, f, k or knobs(), inputs)


def conf_of(host="node1"):
    return fabric_plan.conf_text(None, fabric.wanted_for(knobs(), {"host": host, "groups": GROUPS})[0])


def test_unaddressed_ports_get_three_calls_each_then_the_conf():
    out = run(facts(ports(False)))
    kinds = [s["kind"] for s in out["steps"]]
    assert kinds == ["ip", "gateway", "netdetect"] * 8 + ["conf"]
    assert out["steps"][0]["argv"] == ["-i", "0", "-ip", "-s", "address", "10.20.0.16", "netmask", "255.255.0.0"]
    assert out["steps"][1]["argv"] == ["-i", "0", "-gateway", "-s", "gateway", "10.20.0.1"]
    assert out["steps"][2]["argv"] == ["-i", "0", "-netdetect", "-s", "address", "10.20.0.1"]
    assert out["steps"][-1]["content"] == conf_of()
    assert out["changes"][0] == "device 0: address none, planned 10.20.0.16/255.255.0.0"


def test_the_second_host_gets_the_next_block():
    out = run(facts(ports(False, index=1)), host="node2")
    assert out["steps"][0]["argv"][5] == "10.20.0.32"


def test_converged_ports_plan_nothing_and_pass_the_health_check():
    out = run(facts(ports(), conf=conf_of()), health=True)
    assert out["done"], out


def test_one_readdressed_port_is_put_back_and_nothing_else():
    out = run(facts(ports(changes={3: {"address": "10.30.0.9"}}), conf=conf_of()))
    assert [s["why"] for s in out["steps"]] == ["device 3: address 10.30.0.9/255.255.0.0, planned 10.20.0.19/255.255.0.0"]


def test_a_busy_port_is_not_readdressed_unless_forced():
    f = facts(ports(changes={3: {"address": "10.30.0.9"}}), conf=conf_of(), busy=[3, 5])
    out = run(f)
    assert out["problems"] == ["device 3 runs a process: readdressing its port would break the job using it "
                               "(stop it, or set fabric_force: true)"]
    assert run(f, knobs(fabric_force=True))["problems"] == []
    assert run(facts(ports(), conf=conf_of(), busy=[3]))["done"]       # busy but right: nothing to do


def test_no_plan_changes_nothing_and_reports_the_ports():
    out = run(facts(ports(False)), knobs(fabric_plan=[]))
    assert out["done"] and not out["planned"]
    assert out["found"][0] == "none gw none"


def test_unreadable_ports_are_a_problem_except_in_check_mode_on_a_fresh_node():
    f = facts([], error="no /dev/davinciN on the node: the driver is not loaded")
    assert run(f)["problems"] == ["cannot read the RoCE ports: no /dev/davinciN on the node: the driver is not loaded"]
    out = run(f, check_mode=True)
    assert out["problems"] == [] and out["steps"][0]["kind"] == "later"


def test_health_names_the_bad_ports():
    out = run(facts(ports(changes={2: {"link": "DOWN", "net_health": "Fault"}, 6: {"net_health": "Init"}}), conf=conf_of()),
              health=True)
    assert out["problems"] == ["device 2 (10.20.0.18): link DOWN, net health Fault",
                               "device 6 (10.20.0.22): net health Init"]


def test_a_missing_device_is_named():
    out = run(facts(ports()[:6], conf=conf_of()))
    assert "devices 6, 7" in out["problems"][0]


def test_plan_problems_stop_the_plan():
    out = run(facts(ports()), knobs(ascend_product="Atlas 800T A3"))
    assert out["steps"] == [] and "two dies" in out["problems"][0]


def test_only_the_conf_differs():
    out = run(facts(ports(), conf="address_0=1.2.3.4\n"))
    assert [s["kind"] for s in out["steps"]] == ["conf"]


def test_a_node_waiting_for_its_reboot_is_deferred_not_failed():
    f = facts([], error="dcmi module initialize failed. ret is -8005: the device is not started: a driver or "
                        "firmware change waits for a reboot")
    out = run(f)
    assert out["done"] and "would address 8 ports once they can be read" in out["deferred"]
