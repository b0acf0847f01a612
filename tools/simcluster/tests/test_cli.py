"""The CLI's contract: bad input gets one clear line and leaves nothing half-made, `down`
always leaves nothing behind, and each profile boots the hardware it describes."""

import json
import os

import pytest
import yaml

import simkit


@pytest.mark.parametrize("args,message", [
    (["up", "x1", "--profile", "a9"], "invalid choice: 'a9'"),
    (["up", "x1", "--nodes", "241"], "241 nodes do not fit the address plan"),
    (["up", "x1", "--nodes", "0"], "--nodes must be at least 1"),
    (["up", "Bad_Name"], "cluster name 'Bad_Name'"),
    (["up", "x1", "--mgmt-cidr", "198.18.9.0/28", "--nodes", "8"], "do not fit the management network"),
    (["up", "x1", "--mgmt-cidr", "198.19.0.0/24"], "overlap"),
    (["status", "nosuch"], "no simulated cluster named 'nosuch' is up"),
    (["artifacts", "--stack", "nosuch", "--out", "/tmp/x"], "nosuch"),
], ids=["profile", "too-many", "zero", "name", "small-net", "overlap", "status", "stack"])
def test_bad_input_is_one_clear_line(args, message):
    result = simkit.sim(*args, check=False)
    assert result.returncode != 0
    assert message in result.stderr
    errors = [l for l in result.stderr.splitlines() if "error" in l or l.startswith("simcluster:")]
    assert len(errors) == 1                         # argparse adds usage lines around it
    assert simkit.leftovers("x1") == {}


def test_needs_root():
    result = simkit.subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", simkit.SIM, "up", "x2"],
        stdout=simkit.subprocess.PIPE, stderr=simkit.subprocess.PIPE, universal_newlines=True,
        check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "simcluster: simcluster needs root (namespaces, bridges, mounts)"


@pytest.fixture
def one_node():
    c = simkit.Cluster("clitest", "a2", 1).up()
    yield c
    c.down()


def test_second_up_and_unknown_host_or_fault(one_node):
    again = simkit.sim("up", "clitest", check=False)
    assert again.returncode == 1 and "already up" in again.stderr
    assert one_node.ssh("node1", "hostname").stdout.strip() == "node1"   # untouched
    host = simkit.sim("fault", "clitest", "node7", "reboot", check=False)
    assert host.returncode == 1 and "unknown host 'node7'" in host.stderr
    kind = simkit.sim("fault", "clitest", "node1", "melt", check=False)
    assert kind.returncode == 1 and "unknown fault 'melt'" in kind.stderr
    idx = simkit.sim("fault", "clitest", "node1", "link-down", "8", check=False)
    assert idx.returncode == 1 and "device index 0..7" in idx.stderr


def test_down_leaves_nothing_and_is_idempotent(one_node):
    with open("/run/simcluster/clitest/cluster.json") as f:
        reg = json.load(f)
    pids = [reg["nodes"]["node1"]["unshare_pid"], reg["nodes"]["node1"]["init_pid"]]
    made = [ns.split()[0] for ns in simkit.leftovers("clitest")["netns"]]
    assert "simc-clitest-gw" in made and "simc-clitest-node1" in made   # the cluster really exists
    simkit.sim("down", "clitest")
    assert simkit.leftovers("clitest") == {}
    assert not any(simkit.running(p) for p in pids)
    assert simkit.sim("down", "clitest").returncode == 0


def test_failed_up_leaves_nothing():
    result = simkit.sim("up", "x3", "--nodes", "2", "--disk", "nonsense", check=False)
    assert result.returncode == 1
    assert "failed to boot" in result.stderr
    assert simkit.leftovers("x3") == {}


@pytest.mark.parametrize("profile,devices,pci_id,name", [
    ("a2-box16", 16, "d802", "910B3"),
    ("a3", 16, "d803", "Ascend910"),
])
def test_profiles_boot_their_hardware(profile, devices, pci_id, name):
    c = simkit.Cluster("prof", profile, 1).up()
    try:
        out = c.ssh("node1", "lspci -n -d 19e5:%s | wc -l; ls /opt/simcluster/fabric | wc -l; "
                             "grep -c ^address_ /etc/hccn.conf" % pci_id).stdout.split()
        assert out == [str(devices)] * 3
        with open(os.path.join(c.build, "hosts.yml")) as f:
            inv = f.read()
        assert "ascend_npu_device: %s" % ("A3" if profile == "a3" else "A2") in inv
        state = json.loads(c.ssh("node1", "cat /opt/simcluster/hw/state.json").stdout)
        assert state["chip_name"] == name and len(state["devices"]) == devices
        # configured ports: the plan's address and default route in each device's namespace
        planes = yaml.safe_load(inv)["all"]["children"]["npu_nodes"]["vars"]["fabric_plan"]
        assert len(planes) == (2 if profile == "a3" else 1)
        for phy in (0, 1):
            plane = c.plane(phy)
            port = ["ip", "netns", "exec", "simc-prof-node1-d%d" % phy, "ip", "-o", "-4"]
            addr = simkit.subprocess.run(port + ["addr", "show", "dev", "eth%d" % phy], check=True,
                                         stdout=simkit.subprocess.PIPE, universal_newlines=True).stdout
            route = simkit.subprocess.run(port + ["route", "show"], check=True,
                                          stdout=simkit.subprocess.PIPE, universal_newlines=True).stdout
            assert "inet %s/%d " % (c.device_ip("node1", phy), plane["prefix"]) in addr
            assert "default via %s dev eth%d" % (plane["gateway"], phy) in route
        assert (c.plane(0) == c.plane(1)) == (profile != "a3")   # A3: the dies of NPU 0 apart
        assert "RoCE ports configured" in simkit.sim("status", "prof").stdout
    finally:
        c.down()
