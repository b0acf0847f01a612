"""The address plan without a cluster: planes per product, the fabric_plan rule giving the
same addresses, hccn.conf per plane, what does not fit; and the node kernel files."""

import ipaddress
import sys

import pytest

import simkit

sys.path.insert(0, simkit.TOOL)
from sim import netplan, profiles  # noqa: E402
import nodekernel  # noqa: E402


def by_rule(entry, host_index, phy):
    """Role fabric's rule (contract): network + offset + host_index * stride + position."""
    net = ipaddress.IPv4Network(entry["cidr"])
    return str(net.network_address + entry["offset"] + host_index * entry["stride"]
               + entry["devices"].index(phy))


@pytest.mark.parametrize("profile,cidrs", [
    ("a2", ["198.19.48.0/20"]),
    ("a2-box16", ["198.19.48.0/20"]),
    ("a3", ["198.19.48.0/21", "198.19.56.0/21"]),
])
def test_planes_and_the_fabric_plan_rule(profile, cidrs):
    plan = netplan.build(3, 4, profiles.fabric_planes(profile))
    fabric_plan = netplan.fabric_plan(plan)
    assert [e["cidr"] for e in fabric_plan] == cidrs
    for e in fabric_plan:
        assert e["gateway"] == e["netdetect"] == str(ipaddress.IPv4Network(e["cidr"]).network_address + 1)
        assert (e["offset"], e["stride"]) == (16, 16)
    assert sorted(d for e in fabric_plan for d in e["devices"]) == list(range(profiles.device_count(profile)))
    for i, node in enumerate(plan["nodes"]):
        for phy, address in enumerate(node["device_ips"]):
            entry = next(e for e in fabric_plan if phy in e["devices"])
            assert address == by_rule(entry, i, phy)
    # device d of node i (1-based) at network + 16 i + (d on A2, npu on A3)
    assert plan["nodes"][1]["device_ips"][:4] == (
        ["198.19.48.32", "198.19.48.33", "198.19.48.34", "198.19.48.35"] if profile != "a3" else
        ["198.19.48.32", "198.19.56.32", "198.19.48.33", "198.19.56.33"])


def test_a3_dies_of_one_npu_are_in_different_subnets():
    plan = netplan.build(0, 2, profiles.fabric_planes("a3"))
    conf = dict(l.split("=", 1) for l in netplan.hccn_conf(plan, 1).splitlines())
    for npu in range(8):
        nets = {ipaddress.IPv4Network("%s/%s" % (conf["address_%d" % d], conf["netmask_%d" % d]), strict=False)
                for d in (2 * npu, 2 * npu + 1)}
        assert len(nets) == 2
        for d in (2 * npu, 2 * npu + 1):
            assert ipaddress.IPv4Address(conf["gateway_%d" % d]) in \
                ipaddress.IPv4Network("%s/%s" % (conf["address_%d" % d], conf["netmask_%d" % d]), strict=False)
            assert conf["netdetect_%d" % d] == conf["gateway_%d" % d]


def test_what_does_not_fit():
    a3 = profiles.fabric_planes("a3")
    assert len(netplan.build(0, 126, a3)["nodes"]) == 126
    with pytest.raises(netplan.PlanError, match="127 nodes x 16 devices do not fit the fabric"):
        netplan.build(0, 127, a3)
    assert len(netplan.build(0, 240, profiles.fabric_planes("a2-box16"))["nodes"]) == 240
    plan = netplan.build(0, 2, a3, fabric_cidr="10.0.0.0/16")
    assert [p["cidr"] for p in plan["planes"]] == ["10.0.0.0/17", "10.0.128.0/17"]


def test_node_kernel_tree_and_fstab(tmp_path, monkeypatch):
    nodekernel.write_tree(str(tmp_path / "kernel"))
    sysctl = tmp_path / "kernel" / "proc-sys"
    assert (sysctl / "net/ipv4/ip_local_reserved_ports").read_text() == "\n"     # as the kernel prints it
    assert (sysctl / "net/ipv4/neigh/default/gc_thresh3").read_text() == "1024\n"
    with open("/sys/devices/system/cpu/possible") as f:
        possible = f.read()
    assert (tmp_path / "kernel/cpu/possible").read_text() == possible
    for n in nodekernel.cpu_ids(possible):
        assert (tmp_path / ("kernel/cpu/cpu%d/cpufreq/scaling_governor" % n)).read_text() == "schedutil\n"
    assert nodekernel.cpu_ids("0-3,8,10-11") == [0, 1, 2, 3, 8, 10, 11]
    etc = tmp_path / "root" / "etc"
    etc.mkdir(parents=True)
    monkeypatch.setenv("SIMCLUSTER_SYSROOT", str(tmp_path / "root"))
    assert nodekernel.fstab_shm_options() is None
    (etc / "fstab").write_text("# UNCONFIGURED FSTAB FOR BASE SYSTEM\n"
                               "tmpfs  /dev/shm  tmpfs  defaults,nosuid,size=16g,nr_inodes=1m  0 0\n")
    assert nodekernel.fstab_shm_options() == "size=16g,nr_inodes=1m"
