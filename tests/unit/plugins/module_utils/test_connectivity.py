"""Which pairs a node probes, and how probe outcomes are read."""

import itertools

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import connectivity as conn
from test_hccn import PING_LOST, PING_OK


def cluster(n, devices=8):
    return [{"host": "node%d" % i, "address": "198.18.0.%d" % (10 + i),
             "devices": [{"phy_id": d, "address": "198.19.0.%d" % (16 * i + d)} for d in range(devices)]}
            for i in range(1, n + 1)]


@pytest.mark.parametrize("n", [2, 3, 4, 8, 9, 32])
def test_each_pair_owned_once_and_load_balanced(n):
    names = ["node%d" % i for i in range(1, n + 1)]
    for a, b in itertools.combinations(names, 2):
        assert conn.owns(names, a, b) != conn.owns(names, b, a)
    loads = [sum(conn.owns(names, a, b) for b in names if b != a) for a in names]
    assert max(loads) - min(loads) <= 1 and sum(loads) == n * (n - 1) // 2


@pytest.mark.parametrize("topology, n, per_node, total", [
    ("same_index", 3, None, 3 * 8),
    ("same_index", 32, None, 32 * 31 // 2 * 8),
    ("full_mesh", 3, None, 3 * 64),
    ("ring", 4, 8, 4 * 8),
    ("ring", 2, None, 8),
])
def test_probe_counts(topology, n, per_node, total):
    hosts = cluster(n)
    plans = [conn.plan(hosts, h["host"], topology) for h in hosts]
    assert sum(len(p) for p in plans) == total
    if per_node:
        assert all(len(p) == per_node for p in plans)
    pairs = set()
    for h, probes in zip(hosts, plans):
        for p in probes:
            pairs.add(frozenset([(h["host"], p["src_device"]), (p["dst_host"], p["dst_device"])]))
    assert len(pairs) == total          # nothing probed twice


def test_same_index_pairs_device_i_with_device_i():
    probes = conn.plan(cluster(3), "node1", "same_index")
    assert all(p["src_device"] == p["dst_device"] for p in probes)
    assert probes[0] == {"src_device": 0, "dst_host": "node2", "dst_device": 0, "dst_address": "198.19.0.32"}


def test_both_directions_and_unaddressed_devices():
    hosts = cluster(3)
    hosts[1]["devices"][4]["address"] = None             # node2 device 4 has no address
    probes = [p for h in hosts for p in conn.plan(hosts, h["host"], "same_index", both_directions=True)]
    assert len(probes) == 3 * 2 * 8 - 4                  # 4 probes would touch node2 device 4
    assert not [p for p in probes if p["dst_host"] == "node2" and p["dst_device"] == 4]


def test_unknown_host_or_topology():
    assert conn.plan(cluster(2), "node9") == []
    with pytest.raises(ValueError):
        conn.plan(cluster(2), "node1", "star")


@pytest.mark.parametrize("ports, expected", [
    (["6766", "60000-60003"], [6766, 60000, 60001, 60002, 60003]),
    ([6379, "6379"], [6379]),
])
def test_expand_ports(ports, expected):
    assert conn.expand_ports(ports) == expected


def test_expand_ports_out_of_range():
    with pytest.raises(ValueError):
        conn.expand_ports(["0-3"])


def test_run_all_reads_outcomes():
    answers = {"198.19.0.32": (0, PING_OK), "198.19.0.33": (1, PING_LOST),
               "198.19.0.34": (1, "dcmi module initialize failed. ret is -8005")}

    def runner(args):
        return answers[args[-1]]

    probes = [{"src_device": d, "dst_host": "node2", "dst_device": d, "dst_address": "198.19.0.%d" % (32 + d)}
              for d in range(3)]
    targets = [{"src_host": "node1", "dst_host": "node2", "address": "198.18.0.12", "port": 6766}]
    pings, tcp = conn.run_all(runner, probes, targets, 4, 1.0, tcp_check=lambda a, p, t: "refused")
    assert [(p["ok"], p["received"], p["rc"]) for p in pings] == [(True, 3, 0), (False, 0, 1), (False, 0, 1)]
    assert pings[1]["message"] == "3 packets transmitted, 0 received, 100.00% packet loss"
    assert pings[2]["message"] == "dcmi module initialize failed. ret is -8005"
    assert tcp == [dict(targets[0], state="refused")]
