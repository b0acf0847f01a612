"""hccn_tool stand-in for a simulated Atlas node (simcluster; not Huawei's tool).

Prints the lines of ascend_tools_formats.md section 2.  Each device's RoCE port is a real
veth ("eth<phy_id>") in a network namespace of its own, bound into the node at
/opt/simcluster/fabric/<phy_id>; addresses and the default route (gateway) are really
configured there and -ping sends real ICMP packets over the simulated fabric, so a port
that is down really loses them.  The setting commands change the port only, never
/etc/hccn.conf (what the driver re-applies at boot, and `-a -cfg recovery` by hand).
On A3, the two dies of one NPU with addresses in one subnet cannot ping (as on hardware).
Port health: -speed, -duplex, -lldp, -optical and -stat print the port's state (the degrading
faults of sim/faults.py change it: port-slow, optical-fail, errors-grow, hccs-bad); on A3
-vnic and -hccs_ping answer for the dies of this node.  -mac -g gives the veth's MAC;
-ip -inet6 -g says no IPv6 address is set (the sim's ports are IPv4 only).

    hccn_tool -i <phy_id> -<cmd> -g|-s [args]      hccn_tool -a -cfg recovery
"""

import ipaddress
import json
import os
import re
import subprocess
import sys

import hwstate

OK = "Cmd executed successfully!"
USAGE = ("Usage: hccn_tool -i <device_id> -<command> -g|-s [options]\n"
         "       hccn_tool -a -cfg recovery\n"
         "(simcluster stand-in: a simulated hccn_tool, not Huawei's)")
RECOVERY_FAILED = ("Command execute failed!\n"
                   "Recovery failed. Check '/var/log/hccn_tool/hccn_config.log' for details.")


class ToolError(Exception):
    pass


def _netns(phy_id):
    base = os.environ.get("SIMCLUSTER_FABRIC_DIR") or hwstate.path(hwstate.FABRIC_NETNS_DIR)
    return os.path.join(base, str(phy_id))


def _fabric(phy_id, argv, check=True):
    """Run argv inside the device's network namespace."""
    cmd = ["nsenter", "--net=" + _netns(phy_id)] + argv
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
                          universal_newlines=True)
    if check and proc.returncode != 0:
        raise ToolError(proc.stderr.strip() or "command failed")
    return proc


def _ifname(phy_id):
    return "eth%d" % phy_id


def link_up(phy_id):
    out = _fabric(phy_id, ["ip", "-o", "link", "show", "dev", _ifname(phy_id)]).stdout
    flags = re.search(r"<([^>]*)>", out)
    return bool(flags) and "LOWER_UP" in flags.group(1).split(",") and " state UP " in out


def _prefix(netmask):
    return ipaddress.IPv4Network("0.0.0.0/" + netmask).prefixlen


def _network(address, netmask):
    return ipaddress.IPv4Network("%s/%s" % (address, netmask), strict=False)


def _batch(phy_id, lines, check=True):
    """Several `ip` commands in the device's namespace in one process."""
    cmd = ["nsenter", "--net=" + _netns(phy_id), "ip", "-b", "-"]
    proc = subprocess.run(cmd, input="\n".join(lines) + "\n", stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False, universal_newlines=True)
    if check and proc.returncode != 0:
        raise ToolError(proc.stderr.strip() or "command failed")
    return proc


def _on_subnet(gateway, roce):
    """A next hop the port reaches directly: in its subnet, not its own address."""
    if not roce.get("address") or not roce.get("netmask"):
        return False
    net = _network(roce["address"], roce["netmask"])
    gw = ipaddress.IPv4Address(gateway)
    return gw in net and gw != ipaddress.IPv4Address(roce["address"]) and \
        (net.prefixlen >= 31 or gw not in (net.network_address, net.broadcast_address))


def set_ip(phy_id, address, netmask, roce):
    """-ip -s: readdress the port; the default route stays if the gateway is reachable."""
    ipaddress.IPv4Address(address)
    prefix = _prefix(netmask)
    dev = _ifname(phy_id)
    lines = ["addr flush dev " + dev, "addr add %s/%d dev %s" % (address, prefix, dev)]
    new = {"address": address, "netmask": netmask}
    gateway = roce.get("gateway")
    keep = bool(gateway) and _on_subnet(gateway, new)
    if keep:
        lines.append("route replace default via %s dev %s" % (gateway, dev))
    _batch(phy_id, lines)
    roce["address"], roce["netmask"] = address, netmask
    if gateway and not keep:
        roce["gateway"] = None      # the kernel dropped the route with the old subnet


def set_gateway(phy_id, gateway, roce):
    """-gateway -s: the port's default route."""
    gateway = str(ipaddress.IPv4Address(gateway))
    if not _on_subnet(gateway, roce):
        where = ("%s/%s" % (roce["address"], roce["netmask"]) if roce.get("address")
                 else "no address")
        raise ToolError("gateway %s is not reachable from device %d (%s)"
                        % (gateway, phy_id, where))  # sim: wording not in our references
    _batch(phy_id, ["route replace default via %s dev %s" % (gateway, _ifname(phy_id))])
    roce["gateway"] = gateway


def reset_ports(state):
    """A power cycle: every port without address, route, gateway and netdetect address."""
    for dev in hwstate.devices(state):
        eth = _ifname(dev["phy_id"])
        if os.path.exists(_netns(dev["phy_id"])):
            _batch(dev["phy_id"], ["route flush dev " + eth, "addr flush dev " + eth], check=False)
        for key in ("address", "netmask", "gateway", "netdetect"):
            dev["roce"][key] = None


def net_health(phy_id, roce, ping_cfg=None):
    """Injected value, else the result of probing the netdetect address (# sim: the real
    port probes it continuously; one ping here): Init without address or detect address."""
    if roce.get("net_health"):
        return roce["net_health"]          # injected value
    if not roce.get("address") or not roce.get("netdetect"):
        return "Init"
    if not link_up(phy_id):
        return "Fault"
    timeout = str((ping_cfg or {}).get("timeout_s", 1))
    probe = _fabric(phy_id, ["ping", "-n", "-q", "-c", "1", "-W", timeout, roce["netdetect"]],
                    check=False)
    return "Success" if probe.returncode == 0 else "Fault"


def _die_conflict(state, dev):
    """On A3: the other die of this NPU has an address in this die's subnet (or the
    other way round)."""
    roce = dev["roce"]
    if not roce.get("address"):
        return False
    for other in hwstate.chips_of(state, dev["npu"]):
        theirs = other["roce"]
        if other is dev or not theirs.get("address"):
            continue
        if ipaddress.IPv4Address(theirs["address"]) in _network(roce["address"], roce["netmask"]) or \
                ipaddress.IPv4Address(roce["address"]) in _network(theirs["address"], theirs["netmask"]):
            return True
    return False


def ping(phy_id, roce, ping_cfg, address, size=None, state=None):
    if not roce.get("address"):
        raise ToolError("ping failed, because no ip was preset on device %d!" % phy_id)
    ipaddress.IPv4Address(address)
    count = int(ping_cfg.get("count", 3))
    lines = ["device %d PING %s" % (phy_id, address)]
    if state is not None and _die_conflict(state, hwstate.device(state, phy_id)):
        # Both dies of one NPU in one subnet: the port sends nothing (as on A3 hardware).
        lines.append("%d packets transmitted, 0 received, 100.00%% packet loss" % count)
        return "\n".join(lines), 1
    argv = ["ping", "-n", "-c", str(count), "-i", str(ping_cfg.get("interval_s", 0.2)),
            "-W", str(ping_cfg.get("timeout_s", 1))]
    if size:
        argv += ["-s", str(size)]
    proc = _fabric(phy_id, argv + [address], check=False)
    received = 0
    for match in re.finditer(r"icmp_seq=(\d+) .*?time=([\d.]+) ms", proc.stdout):
        received += 1
        lines.append("recv seq=%d,time=%.6fms" % (int(match.group(1)) - 1, float(match.group(2))))
    loss = 100.0 * (count - received) / count
    lines.append("%d packets transmitted, %d received, %.2f%% packet loss" % (count, received, loss))
    return "\n".join(lines), 0 if received else 1


# What a healthy port shows (sim values; the line shapes are the reference's, section 2).
PORT_SPEED_MBPS = 200000          # the profile's figure is in state["port_speed_mbps"]
OPTICAL_OK = {"temperature": 45, "tx": 1.1021, "rx": 0.9012}
OPTICAL_FAILING = {"temperature": 85, "tx": 1.1021, "rx": 0.0021}   # hot, receiving almost nothing
OPTICAL_LANES = 4
ERRORS_PER_READ = 5               # errors-grow: roce_qp_status_err_num gains this much per read


def _speed(state, roce, up):
    if not up:
        return 0
    return roce.get("speed_mbps") or state.get("port_speed_mbps") or PORT_SPEED_MBPS


def optical(roce):
    """-optical -g in the lines of the reference's S4 sample, for a module that is present."""
    v = OPTICAL_FAILING if roce.get("optical_fail") else OPTICAL_OK
    lines = ["optical info:", "%-21s: present" % "present", "%-21s: %d C" % ("temperature", v["temperature"])]
    lines += ["%-21s: %.4f mW" % ("Tx Power%d" % i, v["tx"]) for i in range(OPTICAL_LANES)]
    lines += ["%-21s: %.4f mW" % ("Rx Power%d" % i, v["rx"]) for i in range(OPTICAL_LANES)]
    los = "0xf" if roce.get("optical_fail") else "0x0"
    lines += ["%-21s: 0x0" % "Tx Los Flag", "%-21s: %s" % ("Rx Los Flag", los),
              "%-21s: 0x0" % "Tx LoL Flag", "%-21s: 0x0" % "Rx LoL Flag"]
    return "\n".join(lines)


def lldp(phy_id, state, up):
    """-lldp -g (S6's TLVs): the leaf's port, one 400GE split in two 200GE halves as in S7.
    # sim: a port without carrier shows no neighbour: no output, rc 0 (not in our references)."""
    if not up:
        return ""
    npu = phy_id // 2 if state.get("npu_device") == "A3" else phy_id
    return "\n".join([
        "Chassis ID TLV", "        MAC: 70:c7:f2:%02x:00:01" % (sum(map(ord, state.get("node", ""))) % 256),
        "Port ID TLV", "        Ifname: 400GE1/1/%d:%d" % (npu // 2 + 1, npu % 2 + 1),
        "System Description TLV", "        Versatile Routing Platform Software",
        "Maximum Frame Size TLV", "        9216", "End of LLDPDU TLV"])


def mac_address(phy_id):
    """The port's MAC: its veth's real address."""
    out = _fabric(phy_id, ["ip", "-j", "link", "show", "dev", _ifname(phy_id)]).stdout
    try:
        return json.loads(out)[0]["address"]
    except (ValueError, LookupError):
        raise ToolError("get mac address failed")   # sim wording


def _veth_counters(phy_id):
    """Packets and octets the port's veth really moved (ip -s)."""
    out = _fabric(phy_id, ["ip", "-j", "-s", "link", "show", "dev", _ifname(phy_id)], check=False).stdout
    try:
        stats = json.loads(out)[0]["stats64"]
    except (ValueError, LookupError):
        return {"tx": {}, "rx": {}}
    return stats


def stat(phy_id, roce):
    """-stat -g: the reference's counters; the nic_* ones from the veth, the error counter from
    the errors-grow fault (which raises it on every read: the caller holds the state's lock)."""
    if roce.get("errors_grow"):
        roce["err_count"] = roce.get("err_count", 0) + ERRORS_PER_READ
    real = _veth_counters(phy_id)
    return "\n".join([
        "packet statistics:", "mac_tx_mac_pause_num:0", "mac_rx_mac_pause_num:0", "mac_tx_pfc_pkt_num:0",
        "roce_qp_status_err_num:%d" % roce.get("err_count", 0),
        "nic_tx_all_pkg_num:%d" % real["tx"].get("packets", 0),
        "nic_tx_all_oct_num:%d" % real["tx"].get("bytes", 0),
        "nic_rx_all_pkg_num:%d" % real["rx"].get("packets", 0),
        "nic_rx_all_oct_num:%d" % real["rx"].get("bytes", 0)])


def vnic_address(dev):
    """# sim: an A3 die's virtual NIC address, node-local (HCCS inside one node only)."""
    return "192.168.100.%d" % (10 + dev["phy_id"])


def hccs_ping(state, dev, address, count):
    """-hccs_ping -g address A (A3): `This pkt ping success` per answered packet (the reference's
    success text); # sim: `This pkt ping failed` per lost one and rc 1 (no public sample).  Only the
    dies of this node answer; hccs-bad makes every ping from that die fail."""
    if state.get("npu_device") != "A3":
        raise ToolError("hccs_ping is not supported on this device")   # sim wording
    ipaddress.IPv4Address(address)
    target = [d for d in hwstate.devices(state) if vnic_address(d) == address]
    ok = bool(target) and not dev["roce"].get("hccs_bad") and link_up(dev["phy_id"])
    line = "This pkt ping success" if ok else "This pkt ping failed"
    return "\n".join([line] * count), 0 if ok else 1


def _opts(args):
    """['address', '1.2.3.4', 'netmask', 'x'] -> dict."""
    return dict(zip(args[0::2], args[1::2]))


def device_command(state, dev, cmd, mode, args):
    """Return (text, rc) for `-i N -cmd -g|-s args`; may update dev in place."""
    phy_id, roce = dev["phy_id"], dev["roce"]
    opts = _opts(args)
    if cmd == "ip" and mode == "g":
        if not roce.get("address"):
            return "Get ipconf failed, because no ip was preset there!", 1
        return "ipaddr:%s\nnetmask:%s" % (roce["address"], roce["netmask"]), 0
    if cmd == "ip6" and mode == "g":
        # The sim's ports are IPv4 only: the IPv4 query's "none set" answer (wording assumed
        # for IPv6, section 2 of the reference).
        return "Get ipconf failed, because no ip was preset there!", 1
    if cmd == "mac" and mode == "g":
        return "mac addr: %s" % mac_address(phy_id), 0
    if cmd == "ip" and mode == "s":
        set_ip(phy_id, opts["address"], opts["netmask"], roce)
        return OK, 0
    if cmd == "link" and mode == "g":
        return "link status: %s" % ("UP" if link_up(phy_id) else "DOWN"), 0
    if cmd == "net_health" and mode == "g":
        return "net health status: %s" % net_health(phy_id, roce, state.get("ping")), 0
    if cmd == "netdetect" and mode == "g":
        return "netdetect address: %s" % (roce.get("netdetect") or ""), 0
    if cmd == "netdetect" and mode == "s":
        roce["netdetect"] = str(ipaddress.IPv4Address(opts["address"]))
        return OK, 0
    if cmd == "gateway" and mode == "g":
        return "default gateway:%s, Iface:%s" % (roce.get("gateway") or "", _ifname(phy_id)), 0
    if cmd == "gateway" and mode == "s":
        set_gateway(phy_id, opts["gateway"], roce)
        return OK, 0
    if cmd == "tls" and mode == "g":
        return ("dev_id:%d, tls switch[%d](0:disable, 1:enable), tls preconfigured[%d]"
                "(0:non-preset, 1:preset), tls alarm time threshold[%d]days"
                % (phy_id, roce["tls_switch"], roce["tls_preconfigured"], roce["tls_alarm_days"])), 0
    if cmd == "tls" and mode == "s":
        value = opts.get("enable")
        if value not in ("0", "1"):
            raise ToolError("tls enable must be 0 or 1")
        roce["tls_switch"] = int(value)
        return OK, 0
    if cmd == "speed" and mode == "g":
        return "Speed: %d Mb/s" % _speed(state, roce, link_up(phy_id)), 0
    if cmd == "duplex" and mode == "g":
        return "Duplex: Full", 0      # [assumed] shape: ascend_tools_formats.md section 2
    if cmd == "lldp" and mode == "g":
        return lldp(phy_id, state, link_up(phy_id)), 0
    if cmd == "optical" and mode == "g":
        return optical(roce), 0
    if cmd == "stat" and mode == "g":
        return stat(phy_id, roce), 0
    if cmd == "vnic" and mode == "g":
        if state.get("npu_device") != "A3":
            raise ToolError("vnic is not supported on this device")   # sim wording
        return "ipaddr:%s" % vnic_address(dev), 0
    if cmd == "hccs_ping" and mode == "g":
        return hccs_ping(state, dev, opts.get("address", ""), int(state.get("ping", {}).get("count", 3)))
    if cmd == "ping" and mode == "g":
        return ping(phy_id, roce, state.get("ping", {}), opts.get("address", ""), opts.get("pkt"),
                    state)
    raise ToolError("unsupported command -%s -%s" % (cmd, mode))


def recovery(state):
    """hccn_tool -a -cfg recovery: re-apply /etc/hccn.conf to every device (also what the
    driver does when it loads at boot: simctl.py)."""
    conf = hwstate.read_kv(hwstate.HCCN_CONF) or {}
    lines, failed = [], False
    for dev in hwstate.devices(state):
        i, roce = dev["phy_id"], dev["roce"]
        try:
            if "address_%d" % i in conf:
                set_ip(i, conf["address_%d" % i], conf.get("netmask_%d" % i, "255.255.255.0"), roce)
            if "netdetect_%d" % i in conf:
                roce["netdetect"] = str(ipaddress.IPv4Address(conf["netdetect_%d" % i]))
            if "gateway_%d" % i in conf:
                set_gateway(i, conf["gateway_%d" % i], roce)
            if "tls_enable_%d" % i in conf:
                roce["tls_switch"] = int(conf["tls_enable_%d" % i])
            lines.append("dev:%d recovery success" % i)
        except (ToolError, ValueError) as err:
            failed = True
            lines.append("dev:%d recovery fail" % i)
            sys.stderr.write("dev:%d: %s\n" % (i, err))
    if failed:
        lines.append(RECOVERY_FAILED)
    return "\n".join(lines), 1 if failed else 0


def parse(argv):
    """-> ('recovery', None, ...) or ('device', phy_id, cmd, mode, args); `-ip -inet6 -g` is
    cmd 'ip6'."""
    if argv[:3] == ["-a", "-cfg", "recovery"]:
        return ("recovery",)
    if len(argv) >= 5 and argv[2:4] == ["-ip", "-inet6"]:
        argv = argv[:2] + ["-ip6"] + argv[4:]
    if len(argv) < 4 or argv[0] != "-i" or not argv[1].isdigit():
        raise ValueError
    cmd, mode = argv[2], argv[3]
    if not cmd.startswith("-") or mode not in ("-g", "-s"):
        raise ValueError
    return ("device", int(argv[1]), cmd[1:], mode[1:], argv[4:])


def run(state, parsed):
    if not hwstate.device_started(state):
        return hwstate.DCMI_NOT_STARTED, 1
    if parsed[0] == "recovery":
        return recovery(state)
    dev = hwstate.device(state, parsed[1])
    if dev is None:
        return "Invalid device id %d." % parsed[1], 1  # modelled; not in the reference
    return device_command(state, dev, *parsed[2:])


def _counts_reads(parsed):
    """-stat -g on a port whose error counters grow with every read (errors-grow) writes."""
    if parsed[0] != "device" or parsed[2:4] != ("stat", "g"):
        return False
    try:
        dev = hwstate.device(hwstate.load(), parsed[1])
    except (IOError, OSError, ValueError):
        return False
    return bool(dev and dev["roce"].get("errors_grow"))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        parsed = parse(argv)
    except ValueError:
        print(USAGE)
        return 1
    writes = parsed[0] == "recovery" or parsed[3] == "s" or _counts_reads(parsed)
    try:
        if writes:
            with hwstate.locked() as state:
                text, rc = run(state, parsed)
        else:
            # Reads take no lock: a node pings many peers in parallel.
            text, rc = run(hwstate.load(), parsed)
    except (ToolError, KeyError, ValueError) as err:
        text, rc = "Cmd execute failed! %s" % err, 1
    print(text)
    return rc


if __name__ == "__main__":
    sys.exit(main())
