"""Port health in depth: hccn_tool's -speed, -duplex, -lldp, -optical, -stat, -vnic and -hccs_ping
answers (ascend_tools_formats.md section 2), healthy, degraded and failing."""

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import hccn

# -optical -g [real, S4] (its head, as the reference quotes it; no module present).
OPTICAL_S4 = """optical info:
present              : not present
temperature          : 47 C
Tx Power0            : 4.4035 mW
Rx Power0            : 1.0189 mW
Tx Los Flag          : 0x0
Rx Los Flag          : 0xff
Tx LoL Flag          : 0x0
Rx LoL Flag          : 0xff
"""
# The same lines for a module that is there, four lanes, one of them dark and running hot.
OPTICAL_PRESENT = """optical info:
present              : present
temperature          : 81 C
Tx Power0            : 1.1021 mW
Tx Power1            : 1.0875 mW
Tx Power2            : 1.0990 mW
Tx Power3            : 1.1003 mW
Rx Power0            : 0.9012 mW
Rx Power1            : 0.8876 mW
Rx Power2            : 0.0021 mW
Rx Power3            : 0.9104 mW
Tx Los Flag          : 0x0
Rx Los Flag          : 0x4
Tx LoL Flag          : 0x0
Rx LoL Flag          : 0x0
"""
# -stat -g [real, S3/S4] (the reference's lines, its "..." elision left out).
STAT = """packet statistics:
mac_tx_mac_pause_num:0
mac_rx_mac_pause_num:0
mac_tx_pfc_pkt_num:0
roce_qp_status_err_num:0
nic_tx_all_pkg_num:122404
nic_tx_all_oct_num:16921741
nic_rx_all_pkg_num:6414803
nic_rx_all_oct_num:482237805
"""
# -lldp -g full [real, S6] (its "..." lines left out).
LLDP = """Chassis ID TLV
        MAC: ...
Port ID TLV
        Ifname: 400GE1/1/20:2
System Description TLV
        Versatile Routing Platform Software
Maximum Frame Size TLV
        9216
End of LLDPDU TLV
"""
NOT_STARTED = "dcmi module initialize failed. ret is -8005"


@pytest.mark.parametrize("text, value", [
    ("Speed: 100000 Mb/s", 100000),                     # S5's comment
    ("Speed: 200000 Mb/s\n", 200000),
    ("Speed: 25000 Mb/s", 25000),
    (NOT_STARTED, None),
])
def test_speed(text, value):
    assert hccn.parse_speed(text) == value


@pytest.mark.parametrize("text, value", [
    ("Duplex: Full", "full"),        # [assumed] shape, see ascend_tools_formats.md section 2
    ("Duplex: Half\n", "half"),
    ("Cmd execute failed!", None),
])
def test_duplex(text, value):
    assert hccn.parse_duplex(text) == value


@pytest.mark.parametrize("text, value", [
    (LLDP, "400GE1/1/20:2"),
    ("\tIfname: 400GE1/1/5:1", "400GE1/1/5:1"),          # S7's `| grep Ifname`
    ("", None),
    ("Chassis ID TLV\nEnd of LLDPDU TLV\n", None),
])
def test_lldp(text, value):
    assert hccn.parse_lldp(text) == value


def test_optical():
    assert hccn.parse_optical(OPTICAL_S4) == {"present": False, "temperature_c": 47.0,
                                              "tx_power_mw": [4.4035], "rx_power_mw": [1.0189]}
    hot = hccn.parse_optical(OPTICAL_PRESENT)
    assert hot["present"] is True and hot["temperature_c"] == 81.0
    assert hot["rx_power_mw"] == [0.9012, 0.8876, 0.0021, 0.9104] and len(hot["tx_power_mw"]) == 4
    assert hccn.parse_optical(NOT_STARTED) is None


def test_stat_and_its_error_counters():
    counters = hccn.parse_stat(STAT)
    assert counters["nic_rx_all_oct_num"] == 482237805 and len(counters) == 8
    assert hccn.error_counters(counters) == {"roce_qp_status_err_num": 0}
    assert hccn.error_counters({"mac_rx_bad_pkt_num": 1, "mac_rx_fcs_err_pkt_num": 2, "nic_tx_all_pkg_num": 3,
                                "mac_tx_pfc_pkt_num": 4, "roce_rx_drop_pkt_num": 5}) == \
        {"mac_rx_bad_pkt_num": 1, "mac_rx_fcs_err_pkt_num": 2, "roce_rx_drop_pkt_num": 5}
    assert hccn.parse_stat(NOT_STARTED) is None


@pytest.mark.parametrize("text, value", [
    ("This pkt ping success\nThis pkt ping success\nThis pkt ping success\n",
     {"sent": 3, "received": 3, "loss_pct": 0.0}),
    ("This pkt ping success\nThis pkt ping failed\nThis pkt ping failed\n",
     {"sent": 3, "received": 1, "loss_pct": 66.67}),
    (NOT_STARTED, None),
])
def test_hccs_ping(text, value):
    assert hccn.parse_hccs_ping(text) == value


def a3_tool(answers=None):
    """An A3 node's hccn_tool answering the port-health questions: healthy unless `answers`
    (by (phy, command) or command) says otherwise; records what was asked."""
    answers = answers or {}
    asked = []

    def runner(args):
        asked.append(tuple(args))
        phy, cmd = int(args[1]), args[2][1:]
        for key in ((phy, cmd), cmd):
            if key in answers:
                return answers[key]
        return {
            "ip": (0, "ipaddr:10.%d.0.%d\nnetmask:255.255.255.0" % (phy % 2, 10 + phy)),
            "link": (0, "link status: UP"),
            "speed": (0, "Speed: 200000 Mb/s"),
            "duplex": (0, "Duplex: Full"),
            "optical": (0, OPTICAL_PRESENT.replace("81 C", "45 C").replace("0.0021", "0.9021")),
            "stat": (0, STAT),
            "lldp": (0, LLDP),
            "vnic": (0, "ipaddr:192.168.1.%d" % (100 + phy)),
            "hccs_ping": (0, "This pkt ping success\n" * 3),
        }[cmd]
    runner.asked = asked
    return runner


def test_collect_port_health_reads_only_what_is_asked():
    runner = a3_tool()
    devices, error = hccn.collect(runner, [0, 1], fields=("link", "speed", "duplex", "optical", "stat"))
    assert error is None
    dev = devices[0]
    assert (dev["speed"], dev["duplex"], dev["optical"]["temperature_c"], dev["stat"]["roce_qp_status_err_num"]) == \
        (200000, "full", 45.0, 0)
    assert "lldp" not in dev and "hccs" not in dev and "vnic" not in dev and dev["errors"] == []
    assert not [a for a in runner.asked if a[2] in ("-lldp", "-vnic", "-hccs_ping")]


def test_collect_hccs_pings_the_other_die_at_its_vnic():
    runner = a3_tool({(3, "hccs_ping"): (1, "This pkt ping failed\n" * 3),
                      (5, "vnic"): (1, "Cmd execute failed!")})
    devices, error = hccn.collect(runner, [2, 3, 4, 5], fields=("link", "hccs"))
    assert error is None
    by_id = dict((d["phy_id"], d) for d in devices)
    assert by_id[2]["hccs"] == {"peer": 3, "address": "192.168.1.103", "ok": True, "sent": 3, "received": 3,
                                "loss_pct": 0.0, "message": None}
    assert by_id[3]["hccs"]["ok"] is False and by_id[3]["hccs"]["message"] == "0 of 3 packets answered"
    assert by_id[4]["hccs"]["ok"] is False and "device 5 has no vnic address" in by_id[4]["hccs"]["message"]
    assert by_id[5]["errors"] == ["-vnic -g: Cmd execute failed!"] and by_id[5]["hccs"]["ok"] is True
    assert ("-i", "2", "-hccs_ping", "-g", "address", "192.168.1.103") in runner.asked


def test_collect_a_lone_die_has_no_hccs_entry():
    devices, dummy = hccn.collect(a3_tool(), [0], fields=("hccs",))
    assert devices[0]["hccs"] is None


def test_collect_port_health_errors_and_a_silent_lldp():
    runner = a3_tool({(1, "speed"): (1, "Cmd execute failed!"), (1, "lldp"): (1, ""),
                      (0, "optical"): (0, OPTICAL_S4)})
    devices, dummy = hccn.collect(runner, [0, 1], fields=("speed", "lldp", "optical"))
    assert devices[1]["speed"] is None and devices[1]["lldp"] is None
    assert devices[1]["errors"] == ["-speed -g: Cmd execute failed!"]
    assert devices[0]["optical"]["present"] is False and devices[0]["lldp"] == "400GE1/1/20:2"


def test_stat_all_reads_after_the_pings():
    runner = a3_tool({(1, "stat"): (1, NOT_STARTED)})
    assert hccn.stat_all(runner, [0, 1]) == [
        {"phy_id": 0, "stat": hccn.parse_stat(STAT), "error": None},
        {"phy_id": 1, "stat": None, "error": "-stat -g: " + NOT_STARTED}]
    assert hccn.stat_all(runner, []) == []
