"""hccn_tool parsing with the lines of ascend_tools_formats.md section 2, healthy and not."""

import subprocess

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import hccn

PING_OK = """device 0 PING 11.12.165.80
recv seq=0,time=0.114000ms
recv seq=1,time=0.067000ms
recv seq=2,time=0.063000ms
3 packets transmitted, 3 received, 0.00% packet loss
"""
PING_LOST = "device 3 PING 198.19.0.35\n3 packets transmitted, 0 received, 100.00% packet loss\n"
PING_PARTIAL = "device 1 PING 10.0.0.2\nrecv seq=2,time=0.070000ms\n3 packets transmitted, 1 received, 66.67% packet loss\n"
TLS = ("dev_id:0, tls switch[0](0:disable, 1:enable), tls preconfigured[1](0:non-preset, 1:preset), "
       "tls alarm time threshold[60]days")


@pytest.mark.parametrize("field, text, value", [
    ("link", "link status: UP", "UP"),
    ("link", "link status: DOWN\n", "DOWN"),
    ("net_health", "net health status: Success", "Success"),
    ("net_health", "net health status: Socket failed\n", "Socket failed"),
    ("net_health", "net health status: Init", "Init"),
    ("tls_switch", TLS, 0),
    ("tls_switch", TLS.replace("switch[0]", "switch[1]").replace("dev_id:0", "dev_id:5"), 1),
    ("netdetect", "netdetect address: 11.12.165.1", "11.12.165.1"),
    ("netdetect", "netdetect address: ", None),
    ("gateway", "default gateway:11.12.165.1, Iface:eth0", "11.12.165.1"),
    ("gateway", "default gateway:, Iface:eth3", None),
    ("link", "garbage", None),
])
def test_fields(field, text, value):
    assert hccn.parse_field(field, text) == value


@pytest.mark.parametrize("text, expected", [
    ("ipaddr:192.161.200.10\nnetmask:255.255.255.0\n", ("192.161.200.10", "255.255.255.0")),
    ("Get ipconf failed, because no ip was preset there!", (None, None)),
])
def test_ip(text, expected):
    assert hccn.parse_ip(text) == expected


@pytest.mark.parametrize("text, expected", [
    (PING_OK, {"sent": 3, "received": 3, "loss_pct": 0.0}),
    (PING_LOST, {"sent": 3, "received": 0, "loss_pct": 100.0}),
    (PING_PARTIAL, {"sent": 3, "received": 1, "loss_pct": 66.67}),
    ("dcmi module initialize failed. ret is -8005", None),
])
def test_ping(text, expected):
    assert hccn.parse_ping(text) == expected


def fake_tool(answers):
    """runner answering by (phy_id, command) from a table; default = a healthy port."""
    def runner(args):
        phy, cmd = int(args[1]), args[2][1:]
        key = (phy, cmd)
        if key in answers:
            return answers[key]
        if cmd in answers:
            return answers[cmd]
        return {
            "ip": (0, "ipaddr:10.0.0.%d\nnetmask:255.255.255.0" % (10 + phy)),
            "link": (0, "link status: UP"),
            "net_health": (0, "net health status: Success"),
            "tls": (0, TLS.replace("dev_id:0", "dev_id:%d" % phy)),
            "netdetect": (0, "netdetect address: 10.0.0.1"),
            "gateway": (0, "default gateway:10.0.0.1, Iface:eth%d" % phy),
        }[cmd]
    return runner


def test_collect_healthy_and_broken_ports():
    runner = fake_tool({
        (2, "link"): (0, "link status: DOWN"),
        (2, "net_health"): (0, "net health status: Fault"),
        (5, "ip"): (1, "Get ipconf failed, because no ip was preset there!"),
        (6, "netdetect"): (1, "Cmd execute failed!"),
    })
    devices, error = hccn.collect(runner, list(range(8)))
    assert error is None and [d["phy_id"] for d in devices] == list(range(8))
    assert devices[0] == {"phy_id": 0, "address": "10.0.0.10", "netmask": "255.255.255.0", "link": "UP",
                          "net_health": "Success", "tls_switch": 0, "netdetect": "10.0.0.1",
                          "gateway": "10.0.0.1", "errors": []}
    assert (devices[2]["link"], devices[2]["net_health"]) == ("DOWN", "Fault")
    assert devices[5]["address"] is None and devices[5]["errors"] == []
    assert devices[6]["netdetect"] is None and devices[6]["errors"] == ["-netdetect -g: Cmd execute failed!"]


def test_collect_asks_only_the_fields_wanted_and_the_first_link_once():
    asked = []
    answer = fake_tool({})

    def runner(args):
        asked.append(tuple(args))
        return answer(args)

    devices, error = hccn.collect(runner, [0, 1], fields=("link", "tls_switch"))
    assert error is None
    assert devices[1] == {"phy_id": 1, "address": "10.0.0.11", "netmask": "255.255.255.0", "link": "UP",
                          "net_health": None, "tls_switch": 0, "netdetect": None, "gateway": None, "errors": []}
    assert sorted(asked) == sorted([("-i", "0", "-link", "-g"), ("-i", "0", "-ip", "-g"), ("-i", "0", "-tls", "-g"),
                                    ("-i", "1", "-ip", "-g"), ("-i", "1", "-link", "-g"), ("-i", "1", "-tls", "-g")])


def test_collect_node_not_started():
    runner = fake_tool({"link": (1, "dcmi module initialize failed. ret is -8005")})
    devices, error = hccn.collect(runner, [0, 1])
    assert devices == [] and error.startswith("dcmi module initialize failed. ret is -8005: the device is not started")


def test_device_ids(tmp_path):
    for name in ("davinci0", "davinci1", "davinci10", "davinci_manager", "davinci2"):
        (tmp_path / name).write_text("")
    assert hccn.device_ids(str(tmp_path)) == [0, 1, 2, 10]


def run_command(argv):
    """AnsibleModule.run_command's contract: (rc, stdout, stderr)."""
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    return done.returncode, done.stdout, done.stderr


def test_run_timeout_and_missing(tmp_path):
    slow = tmp_path / "hccn_tool"
    slow.write_text("#!/bin/sh\nexec sleep 5\n")
    slow.chmod(0o755)
    assert hccn.run(run_command, str(slow), ["-i", "0", "-ping", "-g"], timeout=0.2) == \
        (124, "hccn_tool -i 0 -ping -g: no answer in 0.2 s")
    assert hccn.run(run_command, str(tmp_path / "absent"), [])[0] == 127
    loud = tmp_path / "loud"
    loud.write_text("#!/bin/sh\necho out; echo err >&2; exit 3\n")
    loud.chmod(0o755)
    assert hccn.run(run_command, str(loud), ["-x"]) == (3, "out\nerr\n")
    assert hccn.find_tool(str(tmp_path / "absent")) is None and hccn.find_tool(str(slow)) == str(slow)
