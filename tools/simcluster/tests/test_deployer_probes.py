"""What Huawei's deployer (ascend-deployer 26.0 --check/--test) and its system report ask a
node, answered by the stand-ins in the reference's formats (ascend_tools_formats.md 1.7, 1.8,
2): upgrade-tool's system and component versions, npu-smi's MCU version query and upgrade,
`info -t usages|memory|common|topo`, hccn_tool -mac -g and -ip -inet6 -g; healthy and error
cases.  Temp tree only; the port's namespace is stubbed."""

import os
import re
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "standins"), os.path.join(HERE, "..")]
import hccn_tool  # noqa: E402
import hwstate  # noqa: E402
import npu_smi  # noqa: E402
import upgrade_tool  # noqa: E402

FIXTURES = os.path.join(HERE, "fixtures", "deployer")
DRIVER = "25.3.rc1"      # the seed line's, as in the fixtures


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read().splitlines()


def call(capsys, main, *args):
    rc = main(list(args))
    return rc, capsys.readouterr().out


# ------------------------------------------------------------------------ upgrade-tool

def test_system_version_is_the_real_shape_per_device(node, capsys):
    node("a2", DRIVER)
    rc, out = call(capsys, upgrade_tool.main, "--device_index", "-1", "--system_version")
    assert rc == 0 and "succeed" in out             # what the deployer's --test requires
    assert out.splitlines() == fixture("upgrade_tool_system_version_a2.txt")
    rc, out = call(capsys, upgrade_tool.main, "--device_index", "3", "--system_version")
    assert out.splitlines()[1:3] == ["Get system version(25.3.rc1) succeed, deviceId(3)",
                                     '        {"device_id":3, "version":25.3.rc1}']


def test_a3_answers_for_all_16_dies(node, capsys):
    node("a3", DRIVER)
    rc, out = call(capsys, upgrade_tool.main, "--device_index", "-1", "--system_version")
    assert rc == 0 and out.count(" succeed, deviceId(") == 16 and "deviceId(15)" in out


def test_component_versions_are_the_active_firmware(node, capsys):
    node("a2", DRIVER, edit=lambda s: s.update(firmware_active="7.8.0.1.211"))
    rc, out = call(capsys, upgrade_tool.main, "--device_index", "0", "--component", "-1", "--version")
    lines = out.splitlines()
    assert rc == 0 and lines[0] == "{" and lines[-1] == "}" and len(lines) == 2 + 2 * 5
    assert lines[1] == "Get component version(7.8.0.1.211) succeed for deviceId(0), componentType(0)."
    assert lines[2] == '        {"device_id":0, "component":nve, "version":7.8.0.1.211}'


@pytest.mark.parametrize("edit", [lambda s: s["faults"].update(dcmi_error=True),
                                  lambda s: s.update(firmware_flashed="7.8.0.1.211")])
def test_no_succeed_while_the_device_is_not_started(node, capsys, edit):
    node("a2", DRIVER, edit=edit)
    rc, out = call(capsys, upgrade_tool.main, "--device_index", "-1", "--system_version")
    assert rc == 1 and "succeed" not in out and "-8005" in out


@pytest.mark.parametrize("args", [[], ["--device_index", "-1"], ["--device_index", "9", "--system_version"],
                                  ["--system_version", "--bogus"]])
def test_bad_arguments(node, capsys, args):
    node("a2", DRIVER)
    rc, out = call(capsys, upgrade_tool.main, *args)
    assert rc == 1 and "succeed" not in out


# ---------------------------------------------------------------------- npu-smi MCU

def test_mcu_version_query_is_the_real_line(node, capsys):
    node("a2", DRIVER)
    rc, out = call(capsys, npu_smi.main, "upgrade", "-b", "mcu", "-i", "7")
    assert rc == 0 and out == "        Version                        : 23.3.13\n"     # S8
    assert out.split(":")[-1].strip() == "23.3.13"          # the deployer's split


def test_mcu_upgrade_then_activate_changes_the_version(node, capsys):
    node("a3", DRIVER)
    image = node.root / "root/Ascend-hdk-910_93-mcu_24.2.7.hpm"
    image.parent.mkdir(parents=True)
    image.write_text("image")
    rc, out = call(capsys, npu_smi.main, "upgrade", "-t", "mcu", "-i", "2", "-f", "/root/" + image.name)
    assert rc == 0
    assert call(capsys, npu_smi.main, "upgrade", "-b", "mcu", "-i", "2")[1].endswith(": 23.3.13\n")
    assert call(capsys, npu_smi.main, "upgrade", "-a", "mcu", "-i", "2")[0] == 0
    assert call(capsys, npu_smi.main, "upgrade", "-b", "mcu", "-i", "2")[1].endswith(": 24.2.7\n")
    assert call(capsys, npu_smi.main, "upgrade", "-a", "mcu", "-i", "2")[0] == 1     # nothing staged


@pytest.mark.parametrize("args,text", [
    (["upgrade", "-b", "mcu", "-i", "8"], "Invalid card id."),
    (["upgrade", "-b", "mcu"], "Usage: npu-smi upgrade"),
    (["upgrade", "-t", "mcu", "-i", "0", "-f", "/nonexistent_1.2.3.hpm"], "is invalid"),
])
def test_mcu_errors(node, capsys, args, text):
    node("a2", DRIVER)
    rc, out = call(capsys, npu_smi.main, *args)
    assert rc == 1 and text in out and "Version" not in out


def test_mcu_query_fails_like_npu_smi_when_not_started(node, capsys):
    node("a2", DRIVER, edit=lambda s: s["faults"].update(dcmi_error=True))
    rc, out = call(capsys, npu_smi.main, "upgrade", "-b", "mcu", "-i", "0")
    assert rc == 1 and out.strip() == hwstate.DCMI_NOT_STARTED


# ------------------------------------------------------ npu-smi -t usages/memory/common

@pytest.mark.parametrize("args,name", [
    (["-t", "usages", "-i", "0"], "usages_a2.txt"),
    (["-t", "common", "-i", "1"], "common_a2.txt"),
    (["-t", "memory", "-i", "0", "-c", "0"], "memory_a2.txt"),
])
def test_a2_queries_in_the_reference_layout(node, capsys, args, name):
    node("a2", DRIVER)
    rc, out = call(capsys, npu_smi.main, "info", *args)
    assert rc == 0 and out.splitlines() == fixture(name)


def test_usage_rates_follow_a_process(node, capsys):
    def busy(state):
        state["processes"].append({"phy_id": 0, "pid": os.getpid(), "name": "python", "memory_mb": 30000})
    (node.root / "proc" / str(os.getpid())).mkdir()     # a live process of the node
    node("a2", DRIVER, edit=busy)
    out = call(capsys, npu_smi.main, "info", "-t", "usages", "-i", "0")[1]
    assert "        HBM Usage Rate(%)              : 51" in out.splitlines()     # (3445+30000)/65536


def test_a3_common_lists_both_dies_and_die_1_has_no_power(node, capsys):
    node("a3", DRIVER)
    out = call(capsys, npu_smi.main, "info", "-t", "common", "-i", "0")[1].splitlines()
    assert out[:2] == ["        NPU ID                         : 0", "        Chip Count                     : 2"]
    assert [l for l in out if "Chip ID" in l] == ["        Chip ID                        : 0",
                                                  "        Chip ID                        : 1"]
    assert [l.split(":")[1].strip() for l in out if "Power" in l] == ["165.4", "NA"]
    one = call(capsys, npu_smi.main, "info", "-t", "usages", "-i", "0", "-c", "1")[1]
    assert one.count("Chip ID") == 1 and one.rstrip().endswith(": 1")


@pytest.mark.parametrize("args,first", [
    (["-t", "usages"], "Error parameter of -i"),
    (["-t", "memory", "-i", "9"], "Invalid card id."),
    (["-t", "common", "-i", "0", "-c", "1"], "Invalid chip id."),
])
def test_query_errors(node, capsys, args, first):
    node("a2", DRIVER)
    rc, out = call(capsys, npu_smi.main, "info", *args)
    assert rc == 1 and out.splitlines()[0] == first


# --------------------------------------------------------------------- npu-smi topo

def test_topo_a2_is_the_s6_matrix(node, capsys):
    node("a2", DRIVER)
    rc, out = call(capsys, npu_smi.main, "info", "-t", "topo")
    assert rc == 0 and out.splitlines() == fixture("topo_a2.txt")
    node("a2", DRIVER, edit=lambda s: s.update(cpu_affinity=["0-1"] * 8))       # a node's own column
    assert call(capsys, npu_smi.main, "info", "-t", "topo")[1].splitlines()[1].split()[-1] == "0-1"


def test_topo_box16_rings_meet_over_sys_and_a3_is_one_hccs_domain(node, capsys):
    node("a2-box16", DRIVER)
    rows = call(capsys, npu_smi.main, "info", "-t", "topo")[1].splitlines()
    assert rows[1].split()[:3] == ["NPU0", "X", "HCCS"] and rows[1].split()[9] == "SYS"
    node("a3", DRIVER)
    rows = call(capsys, npu_smi.main, "info", "-t", "topo")[1].splitlines()
    assert len(rows[0].split()) == 16 + 2 and rows[16].split()[:2] == ["NPU15", "HCCS"]
    assert all(re.match(r"^\d+-\d+$", r.split()[-1]) for r in rows[1:17])


def test_topo_is_not_a_per_card_query(node, capsys):
    node("a2", DRIVER)
    rc, out = call(capsys, npu_smi.main, "info", "-t", "topo", "-i", "0")
    assert rc == 1 and out.strip() == "This device does not support querying topo."


# ---------------------------------------------------------------------------- hccn_tool

def test_mac_is_the_ports_address(node, capsys, monkeypatch):
    node("a2", DRIVER)
    monkeypatch.setattr(hccn_tool, "mac_address", lambda phy: "06:0c:b4:96:bc:8%d" % phy)
    rc, out = call(capsys, hccn_tool.main, "-i", "5", "-mac", "-g")
    assert rc == 0 and out == "mac addr: 06:0c:b4:96:bc:85\n"
    assert out.replace("mac addr:", "").strip() == "06:0c:b4:96:bc:85"   # the deployer's strip


def test_mac_of_a_port_without_its_namespace_fails(node, capsys, monkeypatch):
    node("a2", DRIVER)
    monkeypatch.setenv("SIMCLUSTER_FABRIC_DIR", "/nonexistent")
    rc, out = call(capsys, hccn_tool.main, "-i", "0", "-mac", "-g")
    assert rc == 1 and out.startswith("Cmd execute failed!")


def test_ipv6_query_says_none_is_set(node, capsys):
    node("a2", DRIVER)
    rc, out = call(capsys, hccn_tool.main, "-i", "0", "-ip", "-inet6", "-g")
    assert rc == 1 and out == "Get ipconf failed, because no ip was preset there!\n"
    assert call(capsys, hccn_tool.main, "-i", "0", "-ip", "-inet6")[0] == 1     # usage


def test_ipv6_query_on_a_stopped_device(node, capsys):
    node("a2", DRIVER, edit=lambda s: s["faults"].update(dcmi_error=True))
    rc, out = call(capsys, hccn_tool.main, "-i", "0", "-ip", "-inet6", "-g")
    assert rc == 1 and out.strip() == hwstate.DCMI_NOT_STARTED
