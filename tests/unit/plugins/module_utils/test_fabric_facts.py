"""Reading the RoCE ports: hccn_tool answers (reference formats), /etc/hccn.conf, errors, settling."""

from ansible_collections.ascend_verl.cluster.plugins.module_utils import fabric_facts
from ansible_collections.ascend_verl.cluster.plugins.module_utils.node_facts import Node

NOT_STARTED = "dcmi module initialize failed. ret is -8005"


def sysroot(tmp_path, devices=2, conf=None):
    (tmp_path / "dev").mkdir()
    for d in range(devices):
        (tmp_path / "dev" / ("davinci%d" % d)).write_text("")
    (tmp_path / "dev" / "davinci_manager").write_text("")
    if conf is not None:
        (tmp_path / "etc").mkdir()
        (tmp_path / "etc" / "hccn.conf").write_text(conf)
    return Node(str(tmp_path))


def tool(answers):
    """A fake hccn_tool: answers[(phy_id, cmd)] -> (rc, text), or a default healthy, addressed port."""
    asked = []

    def runner(args):
        asked.append(args)
        d, cmd = int(args[1]), args[2][1:]
        if (d, cmd) in answers:
            out = answers[(d, cmd)]
            return out.pop(0) if isinstance(out, list) else out
        return {"ip": (0, "ipaddr:10.20.0.%d\nnetmask:255.255.0.0" % (16 + d)),
                "link": (0, "link status: UP"),
                "net_health": (0, "net health status: Success"),
                "netdetect": (0, "netdetect address: 10.20.0.1"),
                "gateway": (0, "default gateway:10.20.0.1, Iface:eth%d" % d)}[cmd]
    runner.asked = asked
    return runner


def test_addressed_ports(tmp_path):
    node = sysroot(tmp_path, conf="address_0=10.20.0.16\n")
    out = fabric_facts.gather(None, node, "/usr/local/Ascend", runner=tool({}))
    assert out["error"] is None and out["conf"] == "address_0=10.20.0.16\n"
    assert out["ports"][1] == {"phy_id": 1, "address": "10.20.0.17", "netmask": "255.255.0.0", "gateway": "10.20.0.1",
                               "netdetect": "10.20.0.1", "link": "UP", "net_health": "Success", "errors": []}


def test_unaddressed_ports(tmp_path):
    runner = tool({(0, "ip"): (1, "Get ipconf failed, because no ip was preset there!"),
                   (0, "gateway"): (0, "default gateway:, Iface:eth0"), (0, "netdetect"): (0, "netdetect address: "),
                   (0, "net_health"): (0, "net health status: Init")})
    port = fabric_facts.gather(None, sysroot(tmp_path), "/x", runner=runner)["ports"][0]
    assert (port["address"], port["gateway"], port["netdetect"], port["net_health"], port["errors"]) == \
        (None, None, None, "Init", [])


def test_no_driver_and_not_started(tmp_path):
    out = fabric_facts.gather(None, Node(str(tmp_path)), "/x", runner=tool({}))
    assert "driver is not loaded" in out["error"] and out["conf"] is None
    out = fabric_facts.gather(None, sysroot(tmp_path), "/x", runner=tool({(0, "link"): (1, NOT_STARTED)}))
    assert "-8005" in out["error"] and "waits for a reboot" in out["error"] and out["ports"] == []


def test_missing_tool(tmp_path):
    out = fabric_facts.gather(None, sysroot(tmp_path), str(tmp_path / "nowhere"), tool="")
    assert "hccn_tool not found" in out["error"]


def test_settle_asks_again_until_success(tmp_path):
    runner = tool({(1, "net_health"): [(0, "net health status: Init"), (0, "net health status: Init"),
                                       (0, "net health status: Success")]})
    now = [0.0]
    out = fabric_facts.gather(None, sysroot(tmp_path), "/x", runner=runner, settle=10, clock=lambda: now[0],
                              sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert out["ports"][1]["net_health"] == "Success" and now[0] == 2.0


def test_settle_gives_up_at_the_deadline(tmp_path):
    runner = tool({(0, "net_health"): (0, "net health status: Init")})
    now = [0.0]
    out = fabric_facts.gather(None, sysroot(tmp_path), "/x", runner=runner, settle=5, clock=lambda: now[0],
                              sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert out["ports"][0]["net_health"] == "Init" and now[0] == 5.0
