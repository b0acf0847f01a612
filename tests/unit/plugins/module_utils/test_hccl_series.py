"""hccl_test on the nodes: what the cann role installs and builds for it, and the series of
runs the hccl_bench module makes - the all-node run, then the bisection - with a fake
runner that answers from the reference-format fixtures."""

import os

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import hccl_bench as hb

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "hccl_test")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


GOOD, INIT_FAILED = fixture("success.txt"), fixture("init_failure.txt")


def slow(text, factor=0.4):
    """The same table with every bandwidth scaled (a slow port)."""
    out = []
    for line in text.splitlines():
        cells = line.split("|")
        if len(cells) == 4 and cells[0].strip().isdigit():
            cells[2] = " %-20.5f " % (float(cells[2]) * factor)
        out.append("|".join(cells))
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("pkg_mgr, arch, home, mpirun, packages", [
    ("apt", "aarch64", "/usr/lib/aarch64-linux-gnu/mpich", "/usr/bin/mpiexec.mpich", ["mpich", "libmpich-dev"]),
    ("dnf", "aarch64", "/usr/lib64/mpich", "/usr/lib64/mpich/bin/mpirun", ["mpich", "mpich-devel"]),
    ("yum", "x86_64", "/usr/lib64/mpich", "/usr/lib64/mpich/bin/mpirun", ["mpich", "mpich-devel"]),
])
def test_build_plan_by_package_manager(pkg_mgr, arch, home, mpirun, packages):
    plan = hb.build_plan(pkg_mgr, arch, "/usr/local/Ascend/ascend-toolkit/latest/")
    assert (plan["mpi_home"], plan["mpirun"], plan["packages"]) == (home, mpirun, packages)
    assert plan["make"][:5] == ["make", "-C", "/usr/local/Ascend/ascend-toolkit/latest/tools/hccl_test",
                                "MPI_HOME=" + home, "ASCEND_DIR=/usr/local/Ascend/ascend-toolkit/latest"]
    # openEuler keeps mpi.h outside MPI_HOME and MPICH's libraries off the loader's path
    el = pkg_mgr != "apt"
    assert plan["make"][5:] == (["MPI_INC_DIR=/usr/include/mpich-" + arch] if el else [])
    assert plan["library_path"] == ("/usr/lib64/mpich/lib" if el else "")
    assert plan["creates"] == "/usr/local/Ascend/ascend-toolkit/latest/tools/hccl_test/bin/all_reduce_test"


def test_build_plan_own_mpi_and_unknown_package_manager():
    plan = hb.build_plan("zypper", "x86_64", "/opt/cann", "/opt/mpich", "/opt/mpich/bin/mpirun")
    assert (plan["packages"], plan["mpi_home"], plan["mpirun"]) == ([], "/opt/mpich", "/opt/mpich/bin/mpirun")
    assert plan["make"][3:] == ["MPI_HOME=/opt/mpich", "ASCEND_DIR=/opt/cann"] and plan["library_path"] == ""
    with pytest.raises(ValueError, match="no MPICH layout known for package manager 'zypper'"):
        hb.build_plan("zypper", "x86_64", "/opt/cann")


def runner(bad=(), failing=(), rc=0):
    """A fake run(hosts): slow whenever a `bad` node takes part, an init failure with a `failing` one."""
    calls = []

    def run(hosts):
        calls.append(list(hosts))
        if set(hosts) & set(failing):
            return {"text": INIT_FAILED, "rc": 0, "seconds": 1.0}
        return {"text": slow(GOOD) if set(hosts) & set(bad) else GOOD, "rc": rc, "seconds": 2.0}
    return run, calls


NODES = ["node%d" % i for i in range(1, 9)]


def test_a_good_cluster_is_one_run():
    run, calls = runner()
    out = hb.series(run, NODES, floor_gbps=10)
    assert out["ok"] and calls == [NODES] and out["bandwidth"] == 17.99397
    assert out["message"] == "8 node(s): 17.99 GB/s at 1G, floor 10.00 GB/s"


def test_a_slow_node_is_bisected_to():
    run, calls = runner(bad=["node6"])
    out = hb.series(run, NODES, floor_gbps=10)
    assert not out["ok"] and out["blamed"] == ["node6"] and out["unresolved"] == []
    assert len(calls) == 7 and calls[0] == NODES             # 1 all-node run + 3 rounds of 2 halves
    assert "is below the floor of 10.00 GB/s" in out["message"] and "slow or failing: node6" in out["message"]
    assert [r["ok"] for r in out["runs"]][:3] == [False, True, False]


def test_an_init_failure_is_bisected_without_a_floor():
    run, calls = runner(failing=["node1"])
    out = hb.series(run, NODES)
    assert out["blamed"] == ["node1"] and out["runs"][0]["errors"][0].startswith("hccl interface return err")


def test_without_bisect_the_bad_run_is_the_only_one():
    run, calls = runner(bad=["node2"])
    out = hb.series(run, NODES, floor_gbps=10, bisect=False)
    assert not out["ok"] and len(calls) == 1 and out["blamed"] == []


def test_max_runs_stops_the_bisection_and_says_so():
    run, calls = runner(bad=["node6"])
    out = hb.series(run, NODES, floor_gbps=10, max_runs=3)
    assert len(calls) == 3 and "bisection stopped after 3 runs" in out["message"]


def test_two_nodes_bad_only_together_is_the_path_between_them():
    def run(hosts):
        return {"text": slow(GOOD) if hosts == ["node1", "node2"] else GOOD, "rc": 0, "seconds": 1.0}
    out = hb.series(run, ["node1", "node2"], floor_gbps=10)
    assert out["blamed"] == [] and out["unresolved"] == [["node1", "node2"]]
    assert "the path between node1 and node2" in out["message"]


def test_a_nonzero_mpirun_exit_fails_a_good_table():
    run, calls = runner(rc=1)
    out = hb.series(run, ["node1"])
    assert not out["ok"] and out["message"].startswith("1 node(s): mpirun exited 1")
