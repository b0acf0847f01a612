"""hccn_tool stand-in's port-health answers (ascend_tools_formats.md section 2) and the faults
that degrade one port without taking it down (port-slow, optical-fail, errors-grow, hccs-bad),
each undone; the collection's parsers read every answer.  Runs in a temp tree: the port's
namespace (link state, veth counters) is stubbed, no cluster is brought up."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "standins"), os.path.join(HERE, "..")]
import hccn_tool  # noqa: E402
import hwstate  # noqa: E402
from sim import cluster, faults, profiles  # noqa: E402
from sim.cluster import SimError  # noqa: E402

# The collection's parsers, from the link the unit tests' conftest (or `make deps`) makes.
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "build", "collections"))
hccn = pytest.importorskip("ansible_collections.ascend_verl.cluster.plugins.module_utils.hccn",
                           reason="build/collections not linked: run the unit tests or make deps once")


@pytest.fixture
def node(tmp_path, monkeypatch):
    """A node with a loaded driver and a registry entry, so that faults.inject finds it;
    returns a function profile -> the hw directory."""
    root, hw = tmp_path / "root", tmp_path / "node1" / "hw"
    (root / "usr/local/Ascend/driver").mkdir(parents=True)
    (root / "usr/local/Ascend/driver/version.info").write_text("Version=25.2.0\n")
    hw.mkdir(parents=True)
    monkeypatch.setenv("SIMCLUSTER_SYSROOT", str(root))
    monkeypatch.setenv("SIMCLUSTER_HW", str(hw))
    down = set()
    monkeypatch.setattr(hccn_tool, "link_up", lambda phy: phy not in down)
    monkeypatch.setattr(hccn_tool, "_veth_counters", lambda phy: {"tx": {"packets": 12, "bytes": 1200},
                                                                  "rx": {"packets": 10, "bytes": 1000}})
    # what port-slow and packet-loss do to the port's traffic (tc, nft: test_hccl_test.py, on a cluster)
    shaped = []
    monkeypatch.setattr(faults, "_shape", lambda reg, node, phy, mbps: shaped.append(("shape", phy, mbps)))
    monkeypatch.setattr(faults, "_lose", lambda reg, node, phy, percent: shaped.append(("lose", phy, percent)))

    def make(profile="a2"):
        state = profiles.initial_state(profile, "t", "node1")
        state["driver_loaded"] = "25.2.0"
        hwstate.save(state, str(hw))
        reg = {"nodes": {"node1": {"index": 1, "dir": str(tmp_path / "node1")}},
               "devices_per_node": len(state["devices"])}
        monkeypatch.setattr(cluster, "load", lambda name: reg)
        return str(hw)
    make.down = down
    make.shaped = shaped
    return make


def tool(capsys, *args):
    rc = hccn_tool.main(list(args))
    return rc, capsys.readouterr().out


def test_healthy_port_answers_in_the_reference_shapes(node, capsys):
    node("a2")
    assert tool(capsys, "-i", "0", "-speed", "-g") == (0, "Speed: 200000 Mb/s\n")
    assert tool(capsys, "-i", "0", "-duplex", "-g") == (0, "Duplex: Full\n")
    rc, out = tool(capsys, "-i", "3", "-lldp", "-g")
    assert rc == 0 and out.splitlines()[0] == "Chassis ID TLV" and out.splitlines()[-1] == "End of LLDPDU TLV"
    assert hccn.parse_lldp(out) == "400GE1/1/2:2"
    rc, out = tool(capsys, "-i", "0", "-optical", "-g")
    assert out.splitlines()[:3] == ["optical info:", "present              : present", "temperature          : 45 C"]
    assert "Tx Power0            : 1.1021 mW" in out and "Rx LoL Flag          : 0x0" in out
    assert hccn.parse_optical(out) == {"present": True, "temperature_c": 45.0, "tx_power_mw": [1.1021] * 4,
                                       "rx_power_mw": [0.9012] * 4}
    rc, out = tool(capsys, "-i", "0", "-stat", "-g")
    assert out.splitlines()[0] == "packet statistics:"
    assert hccn.parse_stat(out) == {"mac_tx_mac_pause_num": 0, "mac_rx_mac_pause_num": 0, "mac_tx_pfc_pkt_num": 0,
                                    "roce_qp_status_err_num": 0, "nic_tx_all_pkg_num": 12, "nic_tx_all_oct_num": 1200,
                                    "nic_rx_all_pkg_num": 10, "nic_rx_all_oct_num": 1000}


def test_a_down_port_has_no_speed_and_no_neighbour(node, capsys):
    node("a2")
    node.down.add(2)
    assert tool(capsys, "-i", "2", "-speed", "-g") == (0, "Speed: 0 Mb/s\n")
    assert tool(capsys, "-i", "2", "-lldp", "-g") == (0, "\n")


def test_port_slow_and_back(node, capsys):
    node("a2")
    assert faults.inject("t", "node1", "port-slow", ["3"]) == "node1: port-slow 3"
    assert tool(capsys, "-i", "3", "-speed", "-g") == (0, "Speed: 25000 Mb/s\n")
    assert tool(capsys, "-i", "2", "-speed", "-g") == (0, "Speed: 200000 Mb/s\n")
    faults.inject("t", "node1", "port-slow", ["3", "100000"])
    assert hccn.parse_speed(tool(capsys, "-i", "3", "-speed", "-g")[1]) == 100000
    faults.inject("t", "node1", "port-fast", ["3"])
    assert tool(capsys, "-i", "3", "-speed", "-g") == (0, "Speed: 200000 Mb/s\n")
    assert node.shaped == [("shape", 3, 25000), ("shape", 3, 100000), ("shape", 3, None)]
    with pytest.raises(SimError):
        faults.inject("t", "node1", "port-slow", ["3", "fast"])


def test_packet_loss_and_back(node):
    hw = node("a2")
    faults.inject("t", "node1", "packet-loss", ["4", "5"])
    assert hwstate.device(hwstate.load(hw), 4)["roce"]["loss_percent"] == 5
    faults.inject("t", "node1", "packet-loss-off", ["4"])
    assert hwstate.device(hwstate.load(hw), 4)["roce"]["loss_percent"] is None
    assert node.shaped == [("lose", 4, 5), ("lose", 4, None)]
    for bad in (["4"], ["4", "0"], ["4", "101"], ["4", "5%"]):
        with pytest.raises(SimError):
            faults.inject("t", "node1", "packet-loss", bad)


def test_optical_fail_and_back(node, capsys):
    node("a2")
    faults.inject("t", "node1", "optical-fail", ["5"])
    bad = hccn.parse_optical(tool(capsys, "-i", "5", "-optical", "-g")[1])
    assert bad["temperature_c"] == 85.0 and bad["rx_power_mw"] == [0.0021] * 4
    assert hccn.parse_optical(tool(capsys, "-i", "4", "-optical", "-g")[1])["temperature_c"] == 45.0
    faults.inject("t", "node1", "optical-ok", ["5"])
    assert hccn.parse_optical(tool(capsys, "-i", "5", "-optical", "-g")[1])["temperature_c"] == 45.0


def test_errors_grow_on_every_read_and_stop(node, capsys):
    node("a2")
    faults.inject("t", "node1", "errors-grow", ["6"])

    def errors(phy):
        return hccn.error_counters(hccn.parse_stat(tool(capsys, "-i", str(phy), "-stat", "-g")[1]))

    assert [errors(6), errors(6), errors(5)] == [{"roce_qp_status_err_num": 5}, {"roce_qp_status_err_num": 10},
                                                 {"roce_qp_status_err_num": 0}]
    faults.inject("t", "node1", "errors-stop", ["6"])
    assert errors(6) == errors(6) == {"roce_qp_status_err_num": 10}     # counters do not go back


def test_a3_vnic_and_hccs_ping_between_the_dies(node, capsys):
    node("a3")
    rc, out = tool(capsys, "-i", "3", "-vnic", "-g")
    assert rc == 0 and hccn.parse_ip(out)[0] == "192.168.100.13"
    ok = tool(capsys, "-i", "2", "-hccs_ping", "-g", "address", "192.168.100.13")
    assert ok == (0, "This pkt ping success\n" * 3)
    faults.inject("t", "node1", "hccs-bad", ["3"])
    rc, out = tool(capsys, "-i", "3", "-hccs_ping", "-g", "address", "192.168.100.12")
    assert rc == 1 and hccn.parse_hccs_ping(out) == {"sent": 3, "received": 0, "loss_pct": 100.0}
    assert tool(capsys, "-i", "2", "-hccs_ping", "-g", "address", "192.168.100.13")[0] == 0
    assert tool(capsys, "-i", "2", "-hccs_ping", "-g", "address", "192.168.100.99")[0] == 1   # nobody there
    faults.inject("t", "node1", "hccs-ok", ["3"])
    assert tool(capsys, "-i", "3", "-hccs_ping", "-g", "address", "192.168.100.12")[0] == 0


def test_hccs_is_a3_only(node, capsys):
    node("a2")
    with pytest.raises(SimError, match="only A3"):
        faults.inject("t", "node1", "hccs-bad", ["1"])
    rc, out = tool(capsys, "-i", "1", "-vnic", "-g")
    assert rc == 1 and out.startswith("Cmd execute failed!")
    assert tool(capsys, "-i", "1", "-hccs_ping", "-g", "address", "192.168.100.10")[0] == 1


def test_collect_reads_a_degraded_node_end_to_end(node, capsys):
    """hccn.collect over the stand-in, as hccn_info runs it on an A3 node."""
    node("a3")
    for kind, args in (("port-slow", ["1"]), ("optical-fail", ["4"]), ("hccs-bad", ["7"])):
        faults.inject("t", "node1", kind, args)

    def runner(args):
        rc = hccn_tool.main(list(args))
        return rc, capsys.readouterr().out

    devices, error = hccn.collect(runner, list(range(16)), workers=1,
                                  fields=("link", "speed", "duplex", "optical", "stat", "hccs"))
    assert error is None and all(d["errors"] == [] for d in devices)
    assert [d["phy_id"] for d in devices if d["speed"] != 200000] == [1]
    assert [d["phy_id"] for d in devices if d["optical"]["temperature_c"] > 70] == [4]
    assert [d["phy_id"] for d in devices if not d["hccs"]["ok"]] == [7]
    assert devices[6]["hccs"]["peer"] == 7 and devices[7]["hccs"]["address"] == "192.168.100.16"
