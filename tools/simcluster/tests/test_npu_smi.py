"""npu-smi stand-in against the reference's real outputs (ascend_tools_formats.md §1)."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "standins"), os.path.join(HERE, "..")]
import hwstate  # noqa: E402
import npu_smi  # noqa: E402

# The reference samples live with the collection's unit tests, which ship them.
FIXTURES = os.path.join(HERE, "..", "..", "..", "tests", "unit", "plugins", "module_utils", "fixtures", "npu_smi")


def run(capsys, *args):
    rc = npu_smi.main(list(args))
    return rc, capsys.readouterr().out


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


@pytest.mark.parametrize("profile,version,name", [
    ("a2", "25.2.0", "a2_info_25.2.0.txt"),
    ("a3", "25.3.rc1", "a3_info_25.3.rc1.txt"),
])
def test_info_reproduces_the_real_samples(node, capsys, profile, version, name):
    node(profile, version)
    rc, out = run(capsys, "info")
    assert rc == 0
    assert out.splitlines() == fixture(name).splitlines()


def test_a2_process_rows_as_the_reference_quotes_them(node, capsys):
    node("a2", processes=[{"phy_id": 0, "pid": 582939, "name": "", "memory_mb": 19502},
                          {"phy_id": 3, "pid": 139667, "name": "python", "memory_mb": 30780}])
    out = run(capsys, "info")[1].splitlines()
    empty_name = "| 0       0                 | 582939        |                          | 19502                   |"
    named = "| 3       0                 | 139667        | python                   | 30780                   |"
    assert empty_name in out and named in out          # §1.1 fixture row, §1.1 [S3] row shape
    assert out[out.index(empty_name) + 1].startswith("+====")
    assert "No running processes found in NPU 0" not in "\n".join(out)
    # HBM used grows by what the processes hold: 3445 + 19502 = 22947.
    assert "| 0                         | 0000:C1:00.0  | 0           0    / 0          22947/ 65536         |" in out


def test_a3_process_rows_of_both_dies_share_one_separator(node, capsys):
    node("a3", "25.3.rc1", processes=[
        {"phy_id": 8, "pid": 957687, "name": "pt_main_thread", "memory_mb": 49207},
        {"phy_id": 9, "pid": 957770, "name": "pt_main_thread", "memory_mb": 49207}])
    out = run(capsys, "info")[1].splitlines()
    first = "| 4       0                 | 957687        | pt_main_thread           | 49207                   |"
    i = out.index(first)
    assert out[i + 1] == "| 4       1                 | 957770        | pt_main_thread           | 49207                   |"
    assert out[i + 2].startswith("+====")


def test_five_digit_usage_squeezes_the_separator(node, capsys):
    def edit(state):
        state["devices"][2]["hbm_base_mb"] = 56363
    node("a2", edit=edit)
    assert "56363/ 65536" in run(capsys, "info")[1]


def test_26x_layout_is_wider_and_has_a_container_column(node, capsys):
    node("a2", "26.0.rc2", processes=[{"phy_id": 1, "pid": 4242, "name": "python", "memory_mb": 100}])
    out = run(capsys, "info")[1].splitlines()
    assert {len(l) for l in out} == {117}          # one width, wider than the 98 of 25.x
    assert "Process id in container" in out[out.index(next(l for l in out if "Process name" in l))]
    devices = [l for l in out if l.startswith("| ") and "910B3" in l]
    assert len(devices) == 8
    assert any(l.rstrip("|").rstrip().endswith("| NA") and "4242" in l for l in out)


@pytest.mark.parametrize("level,codes,info", [
    ("Warning", ["80E01801"], ["node type=SOC, sensor type=Temperature"]),
    ("Critical", ["80E18005", "80C98009"], ["first problem", "second problem"]),
])
def test_unhealthy_device(node, capsys, level, codes, info):
    def edit(state):
        dev = state["devices"][5]
        dev["health"], dev["error_codes"], dev["error_info"] = level, codes, info
    node("a2", edit=edit)
    table = run(capsys, "info")[1]
    assert "| 5     910B3               | %-14s|" % level in table
    rc, out = run(capsys, "info", "-t", "health", "-i", "5", "-c", "0")
    lines = out.splitlines()
    assert rc == 0
    assert lines[0] == "\tHealth Status                  : %s" % level
    assert lines[1] == "\tError Code                     : %s" % " ".join(codes)
    assert lines[2] == "\tError Information              : %s" % info[0]
    assert lines[3:] == ["\t                               : %s" % more for more in info[1:]]


def test_healthy_health_is_the_real_three_lines(node, capsys):
    node("a2")
    assert run(capsys, "info", "-t", "health", "-i", "0", "-c", "0")[1] == (
        "\tHealth Status                  : OK\n"
        "\tError Code                     : NA\n"
        "\tError Information              : NA\n")        # §1.3 [real, S3/S4]


def test_list(node, capsys):
    node("a2")
    out = run(capsys, "info", "-l")[1].splitlines()
    assert out[:5] == ["        Total Count                    : 8", "",
                       "        NPU ID                         : 0",
                       "        Chip Count                     : 1", ""]            # §1.4
    node("a3", "25.3.rc1")
    out = run(capsys, "info", "-l")[1].splitlines()
    assert out[0].endswith(": 8") and out[3] == "        Chip Count                     : 2"


def test_mapping(node, capsys):
    node("a2")
    out = run(capsys, "info", "-m")[1].splitlines()
    # §1.5 [real, S8] with the chip name of a 910B3 board
    assert out[:3] == [
        "        NPU ID                         Chip ID                        Chip Logic ID                  Chip Name                     ",
        "        0                              0                              0                              Ascend 910B3",
        "        0                              1                              -                              Mcu                           ",
    ]
    node("a3", "25.3.rc1")
    out = [l.split() for l in run(capsys, "info", "-m")[1].splitlines()]
    assert out[0] == ["NPU", "ID", "Chip", "ID", "Chip", "Logic", "ID", "Chip", "Phy-ID", "Chip", "Name"]
    assert out[1:4] == [["0", "0", "0", "0", "Ascend910"], ["0", "1", "1", "1", "Ascend910"],
                        ["0", "2", "-", "-", "Mcu"]]                                    # §1.5 A3


def test_board(node, capsys):
    state = node("a2")
    state["firmware_active"] = "7.8.0.6.201"
    hwstate.save(state, os.environ["SIMCLUSTER_HW"])
    out = run(capsys, "info", "-t", "board", "-i", "0")[1].splitlines()
    keys = [l.split(":", 1)[0].strip() for l in out]
    assert keys == ["NPU ID", "Product Name", "Model", "Manufacturer", "Serial Number",
                    "Software Version", "Firmware Version", "Compatibility", "Board ID", "PCB ID",
                    "BOM ID", "PCIe Bus Info", "Slot ID", "Class ID", "PCI Vendor ID",
                    "PCI Device ID", "Subsystem Vendor ID", "Subsystem Device ID", "Chip Count"]
    assert out[5] == "        Software Version               : 25.2.0"
    assert out[6] == "        Firmware Version               : 7.8.0.6.201"
    assert out[15] == "        PCI Device ID                  : 0xD802"
    chip = run(capsys, "info", "-t", "board", "-i", "0", "-c", "0")[1].split("\n")
    assert [l.split(":")[1].strip() for l in chip if l] == ["0", "0", "Ascend", "910B3"]
    node("a3", "25.3.rc1")
    chip = run(capsys, "info", "-t", "board", "-i", "3", "-c", "1")[1].split("\n")
    assert [l.split(":")[0].strip() for l in chip if l] == ["NPU ID", "NPU Name", "Chip ID", "Chip Name"]
    assert "Chip Count                     : 2" in run(capsys, "info", "-t", "board", "-i", "3")[1]


@pytest.mark.parametrize("args,first_lines", [
    (["info", "-t", "board", "-i", "8"], ["Invalid card id.", "Error parameter of -i",
                                          "Usage: npu-smi info <watch|proc|-h|-m|-l|-t type> [Options...]"]),
    (["info", "-t", "health", "-i", "0", "-c", "1"], ["Invalid chip id.", "Error parameter of -c"]),
    (["info", "-t", "colour", "-i", "0"], ["Error parameter of -t",
                                           "Usage: npu-smi info <watch|proc|-h|-m|-l|-t type> [Options...]"]),
    (["info", "-t", "topo", "-i", "0"], ["This device does not support querying topo."]),
])
def test_errors(node, capsys, args, first_lines):
    node("a2")
    rc, out = run(capsys, *args)
    assert rc == 1
    assert out.splitlines()[:len(first_lines)] == first_lines


@pytest.mark.parametrize("cause", ["dcmi_error", "reboot_pending", "firmware_pending"])
def test_device_not_started(node, capsys, cause):
    def edit(state):
        if cause == "dcmi_error":
            state["faults"]["dcmi_error"] = True
        elif cause == "reboot_pending":
            state["driver_loaded"] = None
        else:
            state["firmware_flashed"] = "7.8.0.5.216"
    node("a2", edit=edit)
    for args in (["info"], ["info", "-l"], ["info", "-t", "board", "-i", "0"]):
        assert run(capsys, *args) == (1, "dcmi module initialize failed. ret is -8005\n")
    assert run(capsys, "-v") == (0, "npu-smi version: 25.2.0\n")


def test_help_says_it_is_simulated(node, capsys):
    node("a2")
    assert "simcluster stand-in" in run(capsys, "-h")[1]
    rc, out = run(capsys, "info", "-h")
    assert rc == 0 and out.startswith("Usage: npu-smi info <watch|proc|-h|-m|-l|-t type> [Options...]\n\nCommands:")
    assert "simcluster stand-in" in out
