"""What the fabric role leaves on a node: every port addressed as planned, persisted, healthy."""

import ipaddress

TOOL = "/usr/local/Ascend/driver/tools/hccn_tool"


def plan(host):
    """Addresses the inventory's plan gives this host: {phy_id: (address, netmask, gateway)}."""
    hostvars = host.ansible.get_variables()
    index = hostvars["groups"]["npu_nodes"].index(hostvars["inventory_hostname"])
    out = {}
    for entry in hostvars["fabric_plan"]:
        net = ipaddress.IPv4Network(entry["cidr"])
        for pos, d in enumerate(entry["devices"]):
            address = net.network_address + entry["offset"] + index * entry["stride"] + pos
            out[d] = (str(address), str(net.netmask), entry["gateway"])
    return out


def test_every_port_has_its_planned_address_gateway_and_netdetect(host):
    planned = plan(host)
    assert sorted(planned) == list(range(16))
    # One remote command for all 16 ports: four answers per port, one per line.
    script = ";".join("for q in ip gateway netdetect net_health; do %s -i %d -$q -g | tr '\\n' ' '; echo; done"
                      % (TOOL, d) for d in sorted(planned))
    lines = host.check_output(script).splitlines()
    for d, (address, netmask, gateway) in planned.items():
        ip, gw, detect, health = [line.strip() for line in lines[4 * d:4 * d + 4]]
        assert ip == "ipaddr:%s netmask:%s" % (address, netmask)
        assert gw == "default gateway:%s, Iface:eth%d" % (gateway, d)
        assert detect == "netdetect address: " + gateway
        assert health == "net health status: Success"


def test_hccn_conf_holds_the_plan_for_the_next_boot(host):
    conf = host.file("/etc/hccn.conf")
    assert conf.mode == 0o644 and conf.user == "root"
    lines = set(conf.content_string.splitlines())
    for d, (address, netmask, gateway) in plan(host).items():
        assert {"address_%d=%s" % (d, address), "netmask_%d=%s" % (d, netmask), "gateway_%d=%s" % (d, gateway),
                "netdetect_%d=%s" % (d, gateway), "send_arp_status_%d=1" % d} <= lines


def test_the_two_rings_reach_each_other(host):
    planned = plan(host)
    out = host.check_output("%s -i 0 -ping -g address %s" % (TOOL, planned[15][0]))
    assert "3 packets transmitted, 3 received, 0.00% packet loss" in out
