"""The address plan: addresses per host and device, product rules, collisions, /etc/hccn.conf."""

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import fabric_plan

A2, BOX16, A3 = "Atlas 900 A2 PODc", "Atlas 200T A2 Box16", "Atlas 800T A3"
FLAT = [{"cidr": "10.20.0.0/16", "gateway": "10.20.0.1"}]
DIES = [{"cidr": "10.20.0.0/21", "gateway": "10.20.0.1", "devices": list(range(0, 16, 2))},
        {"cidr": "10.20.8.0/21", "gateway": "10.20.8.1", "devices": list(range(1, 16, 2))}]


def addresses(product, plan, index, ports=None):
    out, problems = fabric_plan.wanted(product, plan, index, ports)
    return dict((d, p["address"]) for d, p in out.items()), problems


ADDRESSES = [
    # product, plan, host index, device -> address
    (A2, FLAT, 0, {0: "10.20.0.16", 7: "10.20.0.23"}),
    (A2, FLAT, 3, {0: "10.20.0.64", 7: "10.20.0.71"}),
    (A2, [dict(FLAT[0], offset=256, stride=256)], 2, {0: "10.20.3.0", 5: "10.20.3.5"}),
    (BOX16, FLAT, 1, {0: "10.20.0.32", 15: "10.20.0.47"}),
    (A3, DIES, 0, {0: "10.20.0.16", 1: "10.20.8.16", 14: "10.20.0.23", 15: "10.20.8.23"}),
    (A3, DIES, 5, {2: "10.20.0.97", 3: "10.20.8.97"}),
]


@pytest.mark.parametrize("product, plan, index, expected", ADDRESSES)
def test_addresses(product, plan, index, expected):
    found, problems = addresses(product, plan, index)
    assert problems == []
    assert dict((d, found[d]) for d in expected) == expected


def test_a_port_carries_netmask_gateway_and_netdetect():
    out, dummy = fabric_plan.wanted(A2, [dict(FLAT[0], netdetect="10.20.0.2")], 0)
    assert out[0] == {"address": "10.20.0.16", "netmask": "255.255.0.0", "prefix": 16, "subnet": "10.20.0.0/16",
                      "gateway": "10.20.0.1", "netdetect": "10.20.0.2", "source": "fabric_plan"}
    assert fabric_plan.wanted(A2, FLAT, 0)[0][0]["netdetect"] == "10.20.0.1"     # the gateway by default


def test_no_plan_plans_nothing():
    assert fabric_plan.wanted(A2, [], None) == ({}, [])


def test_explicit_ports_win_over_the_plan():
    found, problems = addresses(A2, FLAT, 0, {"3": {"address": "10.20.9.9/16", "gateway": "10.20.0.1"}})
    assert problems == [] and found[3] == "10.20.9.9" and found[2] == "10.20.0.18"


BAD = [
    # product, plan, index, ports, variable, words in expected
    (A3, FLAT, 0, None, "fabric_plan (device 1)", "two dies of NPU 0"),
    (A2, [{"cidr": "10.20.0.0/16", "gateway": "10.21.0.1"}], 0, None, "fabric_plan[0].gateway", "inside 10.20.0.0/16"),
    (A2, [{"cidr": "10.20.0.5/16", "gateway": "10.20.0.1"}], 0, None, "fabric_plan[0].cidr", "no host bits"),
    (A2, [{"cidr": "10.20.0.0/28", "gateway": "10.20.0.1"}], 0, None, "fabric_plan (device 0)", "does not fit"),
    (A2, [{"cidr": "10.20.0.0/16", "gateway": "10.20.0.1", "stride": 4}], 0, None, "fabric_plan[0].stride", "at least"),
    (A2, [{"cidr": "10.20.0.0/16", "gateway": "10.20.0.1", "devices": [0, 9]}], 0, None, "fabric_plan[0].devices",
     "phy id of this product"),
    (A2, [{"cidr": "10.20.0.0/16", "gateway": "10.20.0.1", "devices": [0, 1, 2, 3]},
          {"cidr": "10.21.0.0/16", "gateway": "10.21.0.1", "devices": [4, 5, 6, 7]}], 0, None,
     "fabric_plan (device 4)", "ports of this node share one subnet"),
    (BOX16, [{"cidr": "10.20.0.0/16", "gateway": "10.20.0.1", "devices": [0, 1, 2, 3, 4, 5, 6, 8]},
             {"cidr": "10.21.0.0/16", "gateway": "10.21.0.1", "devices": [7, 9, 10, 11, 12, 13, 14, 15]}], 0, None,
     "fabric_plan (device 7)", "ring 0-7"),
    (A2, [dict(FLAT[0], offset=0)], 0, None, "fabric_plan (device 0)", "inside 10.20.0.0/16"),       # the network address
    (A2, [dict(FLAT[0], offset=1)], 0, None, "fabric_plan (device 0)", "other than the gateway"),
    (A2, FLAT, None, None, "fabric_host_index", "not in group npu_nodes"),
    (A2, FLAT, 0, {"2": {"address": "10.20.0.16/16", "gateway": "10.20.0.1"}}, "fabric_ports (device 2)",
     "device 0 has it too"),
    (A2, [], 0, {"x": {"address": "10.20.0.16/16", "gateway": "10.20.0.1"}}, "fabric_ports[x]", "phy id"),
    (A2, [], 0, {"1": {"address": "10.20.0.16", "gateway": "10.20.0.1"}}, "fabric_ports[1].address", "prefix"),
    (A2, [], 0, {"1": {"address": "10.20.0.16/24", "gateway": "10.20.1.1"}}, "fabric_ports[1].gateway", "inside"),
]


@pytest.mark.parametrize("product, plan, index, ports, variable, words", BAD)
def test_bad_plans_are_named(product, plan, index, ports, variable, words):
    dummy, problems = fabric_plan.wanted(product, plan, index, ports)
    assert any(p["variable"] == variable and words in p["expected"] for p in problems), problems


def test_a3_dies_in_different_subnets_pass():
    assert fabric_plan.wanted(A3, DIES, 0)[1] == []


def test_an_address_of_two_hosts_is_named_with_the_other_host():
    mine = fabric_plan.wanted(A2, FLAT, 0)[0]
    other = fabric_plan.wanted(A2, [dict(FLAT[0], offset=20)], 0)[0]      # starts at .20: overlaps 4 of mine
    problems = fabric_plan.duplicates("node1", mine, {"node2": other, "node1": mine})
    assert [p["found"] for p in problems] == ["10.20.0.20", "10.20.0.21", "10.20.0.22", "10.20.0.23"]
    assert "node2 device 0 has it too" in problems[0]["expected"]
    assert fabric_plan.duplicates("node1", mine, {"node2": fabric_plan.wanted(A2, FLAT, 1)[0]}) == []


def test_host_index():
    groups = {"npu_nodes": ["a", "b", "c"]}
    assert [fabric_plan.host_index(None, h, groups) for h in "abc"] == [0, 1, 2]
    assert fabric_plan.host_index(7, "a", groups) == 7
    assert fabric_plan.host_index("", "z", groups) is None


CONF_A2 = "".join("address_%d=29.1.0.%d\nnetmask_%d=255.255.0.0\nnetdetect_%d=29.1.0.1\ngateway_%d=29.1.0.1\n"
                  "send_arp_status_%d=1\ntls_enable_%d=0\n" % (d, 10 + d, d, d, d, d, d) for d in range(8))


def test_conf_keeps_other_keys_and_order_and_rewrites_the_planned_ones():
    ports = fabric_plan.wanted(A2, [{"cidr": "29.1.0.0/16", "gateway": "29.1.0.1", "offset": 10}], 0)[0]
    assert fabric_plan.conf_text(CONF_A2, ports) == CONF_A2           # already as planned: same text
    moved = fabric_plan.wanted(A2, [{"cidr": "29.1.0.0/16", "gateway": "29.1.0.1", "offset": 100}], 0)[0]
    text = fabric_plan.conf_text(CONF_A2, moved)
    assert text.count("tls_enable_") == 8 and "address_3=29.1.0.103\n" in text
    assert text.splitlines()[5] == "tls_enable_0=0"


def test_conf_from_nothing():
    ports = fabric_plan.wanted(A2, FLAT, 0)[0]
    text = fabric_plan.conf_text(None, ports)
    assert text.splitlines()[:5] == ["address_0=10.20.0.16", "netmask_0=255.255.0.0", "netdetect_0=10.20.0.1",
                                     "gateway_0=10.20.0.1", "send_arp_status_0=1"]
    assert len(text.splitlines()) == 40


SUMMARIES = [
    (A2, FLAT, "10.20.0.16-10.20.0.23/16"),
    (A3, DIES, "10.20.0.16-10.20.0.23/21; 10.20.8.16-10.20.8.23/21"),
]


@pytest.mark.parametrize("product, plan, expected", SUMMARIES)
def test_summary(product, plan, expected):
    out = fabric_plan.wanted(product, plan, 0)[0]
    ports = [dict(p, phy_id=d) for d, p in out.items()]
    assert fabric_plan.summary(ports) == expected


def test_summary_of_odd_ports():
    ports = [{"phy_id": 0, "address": "10.20.0.16", "netmask": "255.255.0.0"},
             {"phy_id": 1, "address": None},
             {"phy_id": 2, "address": "10.20.0.30", "netmask": "255.255.0.0"}]
    assert fabric_plan.summary(ports) == "10.20.0.16,10.20.0.30/16"
    assert fabric_plan.summary([]) == "none"
