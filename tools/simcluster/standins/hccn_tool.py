"""hccn_tool stand-in for a simulated Atlas node (simcluster; not Huawei's tool).

Prints the lines of ascend_tools_formats.md section 2.  Each device's RoCE port is a real
veth ("eth<phy_id>") in a network namespace of its own, bound into the node at
/opt/simcluster/fabric/<phy_id>; addresses are really configured there and -ping sends
real ICMP packets over the simulated fabric, so a port that is down really loses them.

    hccn_tool -i <phy_id> -<cmd> -g|-s [args]      hccn_tool -a -cfg recovery
"""

import ipaddress
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


def set_ip(phy_id, address, netmask, roce):
    ipaddress.IPv4Address(address)
    prefix = _prefix(netmask)
    dev = _ifname(phy_id)
    _fabric(phy_id, ["ip", "addr", "flush", "dev", dev])
    _fabric(phy_id, ["ip", "addr", "add", "%s/%d" % (address, prefix), "dev", dev])
    roce["address"], roce["netmask"] = address, netmask


def net_health(phy_id, roce):
    if roce.get("net_health"):
        return roce["net_health"]          # injected value
    if not roce.get("address"):
        return "Init"
    return "Success" if link_up(phy_id) else "Fault"


def ping(phy_id, roce, ping_cfg, address, size=None):
    if not roce.get("address"):
        raise ToolError("ping failed, because no ip was preset on device %d!" % phy_id)
    ipaddress.IPv4Address(address)
    count = int(ping_cfg.get("count", 3))
    argv = ["ping", "-n", "-c", str(count), "-i", str(ping_cfg.get("interval_s", 0.2)),
            "-W", str(ping_cfg.get("timeout_s", 1))]
    if size:
        argv += ["-s", str(size)]
    proc = _fabric(phy_id, argv + [address], check=False)
    lines = ["device %d PING %s" % (phy_id, address)]
    received = 0
    for match in re.finditer(r"icmp_seq=(\d+) .*?time=([\d.]+) ms", proc.stdout):
        received += 1
        lines.append("recv seq=%d,time=%.6fms" % (int(match.group(1)) - 1, float(match.group(2))))
    loss = 100.0 * (count - received) / count
    lines.append("%d packets transmitted, %d received, %.2f%% packet loss" % (count, received, loss))
    return "\n".join(lines), 0 if received else 1


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
    if cmd == "ip" and mode == "s":
        set_ip(phy_id, opts["address"], opts["netmask"], roce)
        return OK, 0
    if cmd == "link" and mode == "g":
        return "link status: %s" % ("UP" if link_up(phy_id) else "DOWN"), 0
    if cmd == "net_health" and mode == "g":
        return "net health status: %s" % net_health(phy_id, roce), 0
    if cmd == "netdetect" and mode == "g":
        return "netdetect address: %s" % (roce.get("netdetect") or ""), 0
    if cmd == "netdetect" and mode == "s":
        roce["netdetect"] = str(ipaddress.IPv4Address(opts["address"]))
        return OK, 0
    if cmd == "gateway" and mode == "g":
        return "default gateway:%s, Iface:%s" % (roce.get("gateway") or "", _ifname(phy_id)), 0
    if cmd == "gateway" and mode == "s":
        roce["gateway"] = str(ipaddress.IPv4Address(opts["gateway"]))
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
        return "Speed: %d Mb/s" % (200000 if link_up(phy_id) else 0), 0
    if cmd == "ping" and mode == "g":
        return ping(phy_id, roce, state.get("ping", {}), opts.get("address", ""), opts.get("pkt"))
    raise ToolError("unsupported command -%s -%s" % (cmd, mode))


def recovery(state):
    """hccn_tool -a -cfg recovery: re-apply /etc/hccn.conf to every device."""
    conf = hwstate.read_kv(hwstate.HCCN_CONF) or {}
    lines, failed = [], False
    for dev in hwstate.devices(state):
        i, roce = dev["phy_id"], dev["roce"]
        try:
            if "address_%d" % i in conf:
                set_ip(i, conf["address_%d" % i], conf.get("netmask_%d" % i, "255.255.255.0"), roce)
            for key in ("netdetect", "gateway"):
                if "%s_%d" % (key, i) in conf:
                    roce[key] = str(ipaddress.IPv4Address(conf["%s_%d" % (key, i)]))
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
    """-> ('recovery', None, ...) or ('device', phy_id, cmd, mode, args)."""
    if argv[:3] == ["-a", "-cfg", "recovery"]:
        return ("recovery",)
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


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        parsed = parse(argv)
    except ValueError:
        print(USAGE)
        return 1
    writes = parsed[0] == "recovery" or parsed[3] == "s"
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
