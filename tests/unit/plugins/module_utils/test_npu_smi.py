"""npu_smi parsing and health checks against recorded outputs: the reference's real A2 and A3
samples byte for byte, and derived layouts rendered by the simulator's npu-smi (processes with
and without names, squeezed values, unhealthy dies, the wider 26.x table)."""

import os
import sys

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import npu_smi

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "npu_smi")
sys.path[:0] = [os.path.join(ROOT, "tools", "simcluster", "standins"), os.path.join(ROOT, "tools", "simcluster")]
import npu_smi as standin  # noqa: E402  (the simulator's renderer, for derived layouts)
from sim import profiles  # noqa: E402


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


@pytest.fixture
def render(tmp_path, monkeypatch):
    """(profile, version, edit, processes) -> npu-smi info text from the simulator."""
    (tmp_path / "proc").mkdir()
    monkeypatch.setenv("SIMCLUSTER_SYSROOT", str(tmp_path))

    def make(profile="a2", version="25.3.rc1", edit=None, processes=()):
        state = profiles.initial_state(profile, "t", "node1")
        for proc in processes:
            (tmp_path / "proc" / str(proc["pid"])).mkdir(exist_ok=True)
            state["processes"].append(proc)
        if edit:
            edit(state)
        return standin.info_table(state, version)
    return make


def test_a2_reference_sample():
    info = npu_smi.parse_info(fixture("a2_info_25.2.0.txt"))
    assert info["version"] == "25.2.0" and info["product"] == "A2"
    assert len(info["devices"]) == 8 and info["processes"] == []
    assert info["devices"][0] == {"npu": 0, "chip": 0, "phy_id": 0, "name": "910B3", "health": "OK",
                                  "power_w": 98.2, "temp_c": 41, "bus_id": "0000:C1:00.0", "aicore_pct": 0,
                                  "hbm_used_mb": 3445, "hbm_total_mb": 65536}
    assert [d["bus_id"][5:7] for d in info["devices"]] == ["C1", "C2", "81", "82", "01", "02", "41", "42"]


def test_a3_reference_sample():
    info = npu_smi.parse_info(fixture("a3_info_25.3.rc1.txt"))
    assert info["version"] == "25.3.rc1" and info["product"] == "A3"
    assert len(info["devices"]) == 16
    assert [d["phy_id"] for d in info["devices"]] == list(range(16))
    die1 = info["devices"][1]
    assert (die1["npu"], die1["chip"], die1["power_w"], die1["temp_c"], die1["hbm_used_mb"]) == (0, 1, None, 36, 2885)
    assert all(d["power_w"] is None for d in info["devices"][1::2])


@pytest.mark.parametrize("profile, version, count, product", [
    ("a2", "23.0.6", 8, "A2"), ("a2", "24.1.rc2", 8, "A2"), ("a2-box16", "25.5.0", 16, "A2"),
    ("a3", "25.5.0", 16, "A3"), ("a2", "26.0.rc2", 8, "A2"), ("a3", "26.1.0", 16, "A3"),
])
def test_layouts_across_versions(render, profile, version, count, product):
    info = npu_smi.parse_info(render(profile, version))
    assert (info["version"], info["product"], len(info["devices"])) == (version, product, count)
    assert all(d["health"] == "OK" and d["hbm_total_mb"] == 65536 for d in info["devices"])


@pytest.mark.parametrize("version", ["25.3.rc1", "26.0.rc2"])
def test_processes_with_and_without_names(render, version):
    procs = [{"phy_id": 0, "pid": 582939, "name": "", "memory_mb": 19502},
             {"phy_id": 5, "pid": 139667, "name": "python", "memory_mb": 30780}]
    info = npu_smi.parse_info(render("a2", version, processes=procs))
    assert info["processes"] == [{"npu": 0, "chip": 0, "pid": 582939, "name": "", "memory_mb": 19502},
                                 {"npu": 5, "chip": 0, "pid": 139667, "name": "python", "memory_mb": 30780}]
    assert info["devices"][0]["hbm_used_mb"] == 3445 + 19502      # five digits squeeze the separator


def test_a3_processes_on_both_dies(render):
    procs = [{"phy_id": 8, "pid": 957687, "name": "pt_main_thread", "memory_mb": 49207},
             {"phy_id": 9, "pid": 957770, "name": "pt_main_thread", "memory_mb": 49207}]
    info = npu_smi.parse_info(render("a3", "24.1.rc3", processes=procs))
    assert [(p["npu"], p["chip"], p["pid"]) for p in info["processes"]] == [(4, 0, 957687), (4, 1, 957770)]


@pytest.mark.parametrize("level", ["Warning", "Alarm", "Critical"])
def test_unhealthy_die_is_reported_with_its_ids(render, level):
    def edit(state):
        state["devices"][11]["health"] = level
    info = npu_smi.parse_info(render("a3", "25.3.rc1", edit=edit))
    assert npu_smi.check_health(info, 16) == [
        {"device": "npu 5 chip 1 (phy 11)", "phy_id": 11, "check": "health", "found": level, "expected": "OK"}]


def test_health_checks_count_processes_and_free_hbm(render):
    procs = [{"phy_id": 3, "pid": 4242, "name": "python", "memory_mb": 60000}]
    info = npu_smi.parse_info(render("a2", "25.3.rc1", processes=procs))
    assert npu_smi.check_health(info, 8) == []
    failures = npu_smi.check_health(info, 16, require_no_processes=True, min_free_hbm_mb=4096)
    assert failures == [
        {"device": None, "phy_id": None, "check": "count", "found": 8, "expected": 16},
        {"device": "npu 3 chip 0 (phy 3)", "phy_id": 3, "check": "free_hbm_mb", "found": 65536 - 3417 - 60000, "expected": ">= 4096"},
        {"device": "npu 3 chip 0 (phy 3)", "phy_id": 3, "check": "processes", "found": "pid 4242 python (60000 MB)",
         "expected": "no process"},
    ]
    assert npu_smi.describe(failures[:1]) == "node: count is 8, expected 16"


@pytest.mark.parametrize("rc, out, err, kind", [
    (1, "dcmi module initialize failed. ret is -8005\n", "", "not_started"),
    (0, "dcmi module initialize failed. ret is -8005\n", "", "not_started"),
    (127, "", "bash: npu-smi: command not found", "not_installed"),
    (1, "Invalid card id.\nError parameter of -i\n", "", "other"),
    (0, "+---\n| npu-smi 25.3.rc1 ...", "", None),
])
def test_error_classification(rc, out, err, kind):
    error = npu_smi.classify_error(rc, out, err)
    assert (error["kind"] if error else None) == kind


def test_lookup_order_includes_driver_dirs():
    paths = npu_smi.find_npu_smi("/opt/bin:/usr/bin")
    assert paths[:3] == ["/opt/bin/npu-smi", "/usr/bin/npu-smi", "/usr/local/bin/npu-smi"]
    assert "/usr/local/sbin/npu-smi" in paths and len(paths) == len(set(paths))


def test_garbage_gives_no_devices():
    assert npu_smi.parse_info("Usage: npu-smi info <watch|proc|-h|-m|-l|-t type>\n")["devices"] == []
