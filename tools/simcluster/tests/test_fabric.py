"""RoCE addressing on a two-node Atlas 800T A3 cluster that comes up unaddressed: the
inventory's fabric_plan, hccn_tool's setting commands changing the real ports (addresses,
default route), the gateway router, the A3 rule that the two dies of an NPU must not share
a subnet, and a reboot re-applying /etc/hccn.conf."""

import ipaddress
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

import simkit

sys.path.insert(0, simkit.TOOL)
from sim import artifacts, netplan  # noqa: E402

NAME = "simfab"
HCCN = "/usr/local/Ascend/driver/tools/hccn_tool"
NODES = ("node1", "node2")
FAILED_PING = "3 packets transmitted, 0 received, 100.00% packet loss"


@pytest.fixture(scope="module")
def fab(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("artifacts"))
    artifacts.generate("seed", out, python=False)
    c = simkit.Cluster(NAME, "a3", 2, unaddressed=True).up().fast_pings()
    try:
        for node in NODES:
            result = c.install_driver(node, simkit.run_file(out, "driver-a3"))
            assert result.returncode == 0, result.stdout + result.stderr
        yield c
    finally:
        c.down()


def hccn(c, node, args, check=True):
    return c.ssh(node, "%s %s" % (HCCN, args), check=check)


def in_port(c, node, phy, command):
    """A command inside the namespace of a device's port (from the host); ETH is its port."""
    argv = ["ip", "netns", "exec", "simc-%s-%s-d%d" % (NAME, node, phy)]
    return subprocess.run(argv + command.replace("ETH", "eth%d" % phy).split(), stdout=subprocess.PIPE,
                          universal_newlines=True, check=True).stdout


def port_packets_sent(c, node, phy):
    """ICMP echo requests the port has sent (its namespace's Icmp OutEchos)."""
    snmp = [l.split() for l in in_port(c, node, phy, "cat /proc/net/snmp").splitlines() if l.startswith("Icmp:")]
    return int(dict(zip(snmp[0], snmp[1]))["OutEchos"])


def address_by_plan(c, node, phy):
    """Role fabric's rule over hosts.yml's fabric_plan: network + offset + index*stride + position."""
    with open(c.inventory) as f:
        inv = yaml.safe_load(f)
    group = inv["all"]["children"]["npu_nodes"]
    index = list(group["hosts"]).index(node)
    for entry in group["vars"]["fabric_plan"]:
        if phy in entry["devices"]:
            net = ipaddress.IPv4Network(entry["cidr"])
            return str(net.network_address + entry["offset"] + index * entry["stride"]
                       + entry["devices"].index(phy)), str(net.netmask), entry["gateway"]
    raise KeyError(phy)


def configure(c, node, phys=range(16)):
    script = []
    for phy in phys:
        address, netmask, gateway = address_by_plan(c, node, phy)
        script += ["{0} -i {1} -ip -s address {2} netmask {3}".format(HCCN, phy, address, netmask),
                   "{0} -i {1} -gateway -s gateway {2}".format(HCCN, phy, gateway),
                   "{0} -i {1} -netdetect -s address {2}".format(HCCN, phy, gateway)]
    c.ssh(node, " && ".join(script))


def test_ports_come_up_unaddressed(fab):
    out = hccn(fab, "node1", "-i 0 -ip -g", check=False)
    assert out.returncode == 1
    assert out.stdout.strip() == "Get ipconf failed, because no ip was preset there!"
    reads = fab.ssh("node1", "{0} -i 3 -gateway -g; {0} -i 3 -netdetect -g; {0} -i 3 -net_health -g; "
                             "test -e /etc/hccn.conf || echo no-hccn-conf".format(HCCN)).stdout
    assert reads.splitlines() == ["default gateway:, Iface:eth3", "netdetect address: ",
                                  "net health status: Init", "no-hccn-conf"]
    for node in NODES:
        for phy in (0, 15):
            assert "inet " not in in_port(fab, node, phy, "ip -o -4 addr show dev ETH")
            assert in_port(fab, node, phy, "ip -4 route show") == ""
    state = simkit.json.loads(fab.ssh("node2", "cat /opt/simcluster/hw/state.json").stdout)
    assert {(d["roce"]["address"], d["roce"]["netmask"], d["roce"]["gateway"], d["roce"]["netdetect"])
            for d in state["devices"]} == {(None, None, None, None)}
    status = simkit.sim("status", NAME).stdout
    assert "RoCE ports unaddressed" in status
    assert status.count("0/16 addressed") == 2


def test_inventory_carries_the_two_plane_plan(fab):
    with open(fab.inventory) as f:
        group = yaml.safe_load(f)["all"]["children"]["npu_nodes"]
    planes = fab.registry["plan"]["planes"]
    assert group["vars"]["fabric_plan"] == [
        {"cidr": planes[0]["cidr"], "gateway": planes[0]["gateway"], "netdetect": planes[0]["gateway"],
         "devices": [0, 2, 4, 6, 8, 10, 12, 14], "offset": 16, "stride": 16},
        {"cidr": planes[1]["cidr"], "gateway": planes[1]["gateway"], "netdetect": planes[1]["gateway"],
         "devices": [1, 3, 5, 7, 9, 11, 13, 15], "offset": 16, "stride": 16},
    ]
    p0, p1 = (ipaddress.IPv4Network(p["cidr"]) for p in planes)
    assert p0.prefixlen == p1.prefixlen == 21 and not p0.overlaps(p1)
    assert str(p0.supernet()) == fab.registry["plan"]["fabric_cidr"]
    for node in NODES:   # the plan's rule gives the simulator's own addresses
        assert [address_by_plan(fab, node, d)[0] for d in range(16)] == \
            [fab.device_ip(node, d) for d in range(16)]


def test_setting_commands_address_the_real_ports(fab):
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda n: configure(fab, n), NODES))
    for node in NODES:
        for phy in (0, 1, 14, 15):
            address, netmask, gateway = address_by_plan(fab, node, phy)
            prefix = ipaddress.IPv4Network("0.0.0.0/" + netmask).prefixlen
            assert "inet %s/%d " % (address, prefix) in in_port(fab, node, phy, "ip -o -4 addr show dev ETH")
            assert "default via %s dev eth%d" % (gateway, phy) in in_port(fab, node, phy, "ip -4 route show")
    address, netmask, gateway = address_by_plan(fab, "node1", 1)
    reads = fab.ssh("node1", "{0} -i 1 -ip -g; {0} -i 1 -gateway -g; {0} -i 1 -netdetect -g; "
                             "{0} -i 1 -net_health -g; test -e /etc/hccn.conf || echo no-hccn-conf"
                    .format(HCCN)).stdout
    assert reads.splitlines() == ["ipaddr:%s" % address, "netmask:%s" % netmask,
                                  "default gateway:%s, Iface:eth1" % gateway,
                                  "netdetect address: %s" % gateway, "net health status: Success",
                                  "no-hccn-conf"]      # the tool never writes the file
    assert simkit.sim("status", NAME).stdout.count("16/16 addressed") == 2


@pytest.mark.parametrize("src,dst", [(0, 0), (1, 1), (0, 1)], ids=["plane0", "plane1", "routed"])
def test_pings_within_and_across_planes(fab, src, dst):
    """Same plane: one subnet; die 0 to die 1 of another node: through the gateway router."""
    out = hccn(fab, "node1", "-i %d -ping -g address %s" % (src, fab.device_ip("node2", dst)))
    assert out.stdout.splitlines()[-1] == "3 packets transmitted, 3 received, 0.00% packet loss"


def test_gateway_router_answers_and_forwards_only_in_its_namespace(fab):
    gw = ["ip", "netns", "exec", "simc-%s-gw" % NAME]
    addrs = subprocess.run(gw + ["ip", "-o", "-4", "addr", "show"], stdout=subprocess.PIPE,
                           universal_newlines=True, check=True).stdout
    for plane in fab.registry["plan"]["planes"]:
        assert "inet %s/%d " % (plane["gateway"], plane["prefix"]) in addrs
        phy = plane["devices"][0]
        ping = hccn(fab, "node2", "-i %d -ping -g address %s" % (phy, plane["gateway"]))
        assert ping.stdout.endswith(" 0.00% packet loss\n")
    forward = subprocess.run(gw + ["cat", "/proc/sys/net/ipv4/ip_forward"], stdout=subprocess.PIPE,
                             universal_newlines=True, check=True).stdout
    assert forward == "1\n"          # the host's own value is checked by conftest


def test_gateway_off_the_subnet_is_refused(fab):
    gateway = address_by_plan(fab, "node1", 0)[2]
    other = fab.registry["plan"]["planes"][1]["gateway"]
    out = hccn(fab, "node1", "-i 0 -gateway -s gateway %s" % other, check=False)
    assert out.returncode == 1
    assert out.stdout.startswith("Cmd execute failed!") and other in out.stdout
    assert hccn(fab, "node1", "-i 0 -gateway -g").stdout.strip() == "default gateway:%s, Iface:eth0" % gateway
    assert "default via %s " % gateway in in_port(fab, "node1", 0, "ip -4 route show")


def test_readdressing_keeps_the_default_route(fab):
    address, netmask, gateway = address_by_plan(fab, "node1", 2)
    moved = str(ipaddress.IPv4Address(address) + 1000)
    try:
        hccn(fab, "node1", "-i 2 -ip -s address %s netmask %s" % (moved, netmask))
        assert "inet %s/" % moved in in_port(fab, "node1", 2, "ip -o -4 addr show dev ETH")
        assert "inet %s/" % address not in in_port(fab, "node1", 2, "ip -o -4 addr show dev ETH")
        assert "default via %s dev eth2" % gateway in in_port(fab, "node1", 2, "ip -4 route show")
        assert hccn(fab, "node1", "-i 2 -ping -g address %s" % fab.device_ip("node2", 3)).returncode == 0
    finally:
        hccn(fab, "node1", "-i 2 -ip -s address %s netmask %s" % (address, netmask))


def test_two_dies_of_one_npu_in_one_subnet_cannot_ping(fab):
    """NPU 0 of node1: die 1 (phy 1) moved into die 0's subnet; both dies fail at once."""
    address0, netmask0, gateway0 = address_by_plan(fab, "node1", 0)
    address1, netmask1 = address_by_plan(fab, "node1", 1)[:2]
    wrong = str(ipaddress.IPv4Address(address0) + 1000)
    hccn(fab, "node1", "-i 1 -ip -s address %s netmask %s" % (wrong, netmask0))
    try:
        for phy, target in ((0, gateway0), (1, gateway0), (0, fab.device_ip("node2", 0))):
            sent = port_packets_sent(fab, "node1", phy)
            out = hccn(fab, "node1", "-i %d -ping -g address %s" % (phy, target), check=False)
            assert out.returncode == 1
            assert out.stdout.splitlines() == ["device %d PING %s" % (phy, target), FAILED_PING]
            assert port_packets_sent(fab, "node1", phy) == sent       # nothing left the port
        sent = port_packets_sent(fab, "node1", 2)
        other = hccn(fab, "node1", "-i 2 -ping -g address %s" % gateway0)   # NPU 1 is fine
        assert other.stdout.endswith(" 0.00% packet loss\n")
        assert port_packets_sent(fab, "node1", 2) == sent + 3
    finally:
        hccn(fab, "node1", "-i 1 -ip -s address %s netmask %s" % (address1, netmask1))
    assert hccn(fab, "node1", "-i 0 -ping -g address %s" % gateway0).returncode == 0


def test_reboot_clears_the_ports_and_the_driver_reapplies_hccn_conf(fab):
    """node2 gets /etc/hccn.conf (as the collection writes it) for all ports but 15 and one
    port readdressed by hand; node1 has no hccn.conf.  After a reboot node2 has exactly
    the file's settings, node1 none."""
    conf = netplan.hccn_conf(fab.registry["plan"], 1)
    conf = "".join(l + "\n" for l in conf.splitlines() if not l.split("=")[0].endswith("_15"))
    fab.ssh("node2", "cat > /etc/hccn.conf", stdin=conf)
    netmask = address_by_plan(fab, "node2", 4)[1]
    hccn(fab, "node2", "-i 4 -ip -s address %s netmask %s"
         % (ipaddress.IPv4Address(fab.device_ip("node2", 4)) + 1000, netmask))
    fab.reboot(*NODES)
    for phy in (0, 1, 4, 14):
        address, netmask, gateway = address_by_plan(fab, "node2", phy)
        reads = fab.ssh("node2", "{0} -i {1} -ip -g; {0} -i {1} -gateway -g; {0} -i {1} -netdetect -g"
                        .format(HCCN, phy)).stdout
        assert reads.splitlines() == ["ipaddr:%s" % address, "netmask:%s" % netmask,
                                      "default gateway:%s, Iface:eth%d" % (gateway, phy),
                                      "netdetect address: %s" % gateway]
        assert "default via %s " % gateway in in_port(fab, "node2", phy, "ip -4 route show")
    assert hccn(fab, "node2", "-i 15 -ip -g", check=False).returncode == 1
    assert "inet " not in in_port(fab, "node2", 15, "ip -o -4 addr show dev ETH")
    for phy in (0, 1):
        assert hccn(fab, "node1", "-i %d -ip -g" % phy, check=False).returncode == 1
        assert "inet " not in in_port(fab, "node1", phy, "ip -o -4 addr show dev ETH")
        assert in_port(fab, "node1", phy, "ip -4 route show") == ""
    assert "0/16 addressed" in simkit.sim("status", NAME).stdout
    recovery = fab.ssh("node1", "cat > /etc/hccn.conf && %s -a -cfg recovery" % HCCN,
                       stdin=netplan.hccn_conf(fab.registry["plan"], 0)).stdout
    assert recovery.splitlines() == ["dev:%d recovery success" % d for d in range(16)]
    assert hccn(fab, "node1", "-i 0 -ping -g address %s" % fab.device_ip("node2", 0)).returncode == 0
