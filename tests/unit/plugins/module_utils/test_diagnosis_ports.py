"""Port health in depth in the controller's diagnosis: every degraded port named once, with its
host, device and check, in the same failures list verify writes to JSON, Markdown and JUnit."""

import copy

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import diagnosis, hccn

from test_diagnosis import healthy, probe, where
from test_hccn_port_health import OPTICAL_PRESENT, STAT

GOOD_OPTICAL = hccn.parse_optical(OPTICAL_PRESENT.replace("81 C", "45 C").replace("0.0021", "0.9021"))
BEFORE = hccn.parse_stat(STAT)


def with_ports(hosts, speed=200000, a3=False):
    """The port-health fields as the verify role reads them, healthy, plus the read after the pings."""
    for data in hosts.values():
        devs = data["hccn"]["hccn"]["devices"]
        for dev in devs:
            dev.update(speed=speed, duplex="full", optical=copy.deepcopy(GOOD_OPTICAL), stat=dict(BEFORE))
            if a3:
                peer = hccn.sio_peer(dev["phy_id"])
                dev["hccs"] = {"peer": peer, "address": "192.168.1.%d" % (100 + peer), "ok": True, "sent": 3,
                               "received": 3, "loss_pct": 0.0, "message": None}
        data["connectivity"]["stat"] = [{"phy_id": d["phy_id"], "stat": dict(BEFORE, nic_tx_all_pkg_num=123000),
                                         "error": None} for d in devs]
    return hosts


def dev(hosts, host, phy):
    return hosts[host]["hccn"]["hccn"]["devices"][phy]


def after(hosts, host, phy):
    return hosts[host]["connectivity"]["stat"][phy]


PODC = diagnosis.port_expectations("Atlas 900 A2 PODc")


def test_port_expectations_come_from_the_products_data():
    assert (PODC["speed_mbps"], PODC["duplex"], PODC["speed_source"]) == (200000, "full", "Atlas 900 A2 PODc's")
    a3 = diagnosis.port_expectations("Atlas 800T A3")
    assert (a3["speed_mbps"], a3["duplex"], a3["speed_source"]) == (None, "full", None)
    forced = diagnosis.port_expectations("Atlas 800T A3", speed_mbps=400000, optical_temp_max_c=60.0)
    assert (forced["speed_mbps"], forced["speed_source"], forced["optical_temp_max_c"]) == (400000, "set", 60.0)
    assert diagnosis.port_expectations()["error_growth_max"] == 0


def test_healthy_ports_pass():
    result = diagnosis.diagnose(probe(with_ports(healthy())), ports=PODC)
    assert result["ok"], result["failures"]
    result = diagnosis.diagnose(probe(with_ports(healthy(n=1, devices=16), a3=True)),
                                ports=diagnosis.port_expectations("Atlas 800T A3"))
    assert result["ok"], result["failures"]


def slow(hosts):
    dev(hosts, "node2", 3)["speed"] = 25000


def half(hosts):
    dev(hosts, "node1", 5)["duplex"] = "half"


def hot(hosts):
    dev(hosts, "node3", 0)["optical"] = hccn.parse_optical(OPTICAL_PRESENT)


def weak_tx(hosts):
    dev(hosts, "node1", 7)["optical"]["tx_power_mw"][1] = 0.05


def dark(hosts):
    dev(hosts, "node2", 2)["optical"]["rx_power_mw"] = [0.0021, 0.9, 0.0019, 0.0020]


def errors_grow(hosts):
    after(hosts, "node2", 6)["stat"]["roce_qp_status_err_num"] = 12


def no_lldp(hosts):
    for d in hosts["node1"]["hccn"]["hccn"]["devices"]:
        d["lldp"] = "400GE1/1/%d:1" % d["phy_id"]
    dev(hosts, "node1", 4)["lldp"] = None


def after_unreadable(hosts):
    after(hosts, "node3", 2).update(stat=None, error="-stat -g: Cmd execute failed!")


CASES = [
    (slow, PODC, [("node2", 3, "speed", "speed 25000 Mb/s, expected 200000 Mb/s (Atlas 900 A2 PODc's)")]),
    (half, PODC, [("node1", 5, "duplex", "duplex half, expected full")]),
    (hot, PODC, [("node3", 0, "optical", "optical module temperature 81 C above 70 C; "
                                         "Rx power 0.0021 mW (lane 2) below 0.1 mW")]),
    (weak_tx, PODC, [("node1", 7, "optical", "optical module Tx power 0.0500 mW (lane 1) below 0.1 mW")]),
    (dark, PODC, [("node2", 2, "optical", "optical module Rx power below 0.1 mW on lanes 0, 2, 3 (lowest 0.0019 mW)")]),
    (errors_grow, PODC, [("node2", 6, "errors", "error counters grew during the ping stage (12, more than 0): "
                                                "roce_qp_status_err_num 0 -> 12")]),
    (errors_grow, dict(PODC, error_growth_max=20), []),
    (no_lldp, PODC, []),                                       # not required by default
    (no_lldp, dict(PODC, require_lldp=True),
     [("node1", 4, "lldp", "no LLDP neighbour (hccn_tool -lldp -g shows no Ifname): which switch port?")]),
    (after_unreadable, PODC, [("node3", 2, "hccn", "-stat -g: Cmd execute failed!")]),
    # A product without a figure: the port slower than the rest of the cluster is the odd one.
    (slow, diagnosis.port_expectations("Atlas 200T A2 Box16"),
     [("node2", 3, "speed", "speed 25000 Mb/s, expected 200000 Mb/s (most ports')")]),
    (slow, diagnosis.port_expectations("Atlas 900 A2 PODc", speed_mbps=25000),
     [(h, d, "speed", "speed 200000 Mb/s, expected 25000 Mb/s (set)") for h in ("node1", "node2", "node3")
      for d in range(8) if (h, d) != ("node2", 3)]),
]


@pytest.mark.parametrize("change, expect, failures", CASES, ids=lambda v: getattr(v, "__name__", None))
def test_a_degraded_port_is_named_with_host_device_and_check(change, expect, failures):
    hosts = with_ports(healthy())
    change(hosts)
    result = diagnosis.diagnose(probe(hosts), ports=expect)
    assert [(f["host"], f["device"], f["check"], f["message"]) for f in result["failures"]] == failures


def test_a_link_down_port_is_not_blamed_for_its_speed_again():
    hosts = with_ports(healthy())
    dev(hosts, "node2", 1).update(link="DOWN", net_health="Fault", speed=0)
    result = diagnosis.diagnose(probe(hosts), ports=PODC)
    assert [w for w in where(result) if w[:2] == ("node2", 1)] == [("node2", 1, "link")]


def test_a_bad_die_to_die_hccs_on_a3():
    hosts = with_ports(healthy(n=1, devices=16), a3=True)
    dev(hosts, "node1", 3)["hccs"].update(ok=False, received=0, loss_pct=100.0, message="0 of 3 packets answered")
    result = diagnosis.diagnose(probe(hosts), ports=diagnosis.port_expectations("Atlas 800T A3"))
    assert [(f["host"], f["device"], f["check"], f["message"]) for f in result["failures"]] == [
        ("node1", 3, "hccs", "HCCS ping to the other die of its NPU (device 2, 192.168.1.102) fails: "
                             "0 of 3 packets answered")]


def test_without_port_fields_nothing_changes():
    """Results of an older hccn_info (no port-health keys) are judged as before."""
    result = diagnosis.diagnose(probe(healthy()), ports=PODC)
    assert result["ok"]
