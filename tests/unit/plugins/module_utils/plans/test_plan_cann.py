"""The CANN plan: toolkit, kernels/ops, NNAL in that order; --install-path only on the very
first CANN install; the recorded root and the chip of the kernels package checked."""

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans import cann

STACKS = ["seed", "v0.8"]
PARTS = ("toolkit", "kernels", "nnal")


def file_of(m, part, npu, arch):
    files = m["components"][part]["files"]
    return files.get(npu, files.get("any")).replace("{arch}", arch)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("npu, arch", [("A2", "aarch64"), ("A3", "x86_64")])
def test_fresh(manifest, knobs, facts, stack, npu, arch):
    m, k = manifest(stack), knobs("cann", ascend_npu_device=npu)
    out = cann.cann(m, facts("hdk", stack, npu, arch), k)
    home = k["ascend_root"] + "/ascend-toolkit/latest"
    assert out["problems"] == []
    assert [s["name"] for s in out["steps"]] == list(PARTS)
    assert [s["file"] for s in out["steps"]] == [file_of(m, p, npu, arch) for p in PARTS]
    assert [s["flags"] for s in out["steps"]] == [k["cann_toolkit_flags"] + ["--install-path=" + k["ascend_root"]],
                                                  k["cann_kernels_flags"], k["cann_nnal_flags"]]
    assert all(s["env"] == {"ASCEND_TOOLKIT_HOME": home, "ASCEND_HOME_PATH": home} for s in out["steps"])
    assert out["steps"][2]["why"] == "nnal: wanted %s, found nothing" % m["components"]["nnal"]["version"]


def test_the_8_5_file_names(manifest, knobs, facts):
    """v0.8 (CANN 8.5): the kernels are "ops" packages, A2 and A3 each take their own."""
    m = manifest("v0.8")
    for npu in ("A2", "A3"):
        out = cann.cann(m, facts("hdk", "v0.8", npu), knobs("cann", ascend_npu_device=npu))
        assert out["problems"] == []
        assert out["steps"][1]["file"] == m["components"]["kernels"]["files"][npu].replace("{arch}", "aarch64")
        assert "-ops_" in out["steps"][1]["file"]


@pytest.mark.parametrize("recorded", ["/usr/local/Ascend", "/usr/local/Ascend/"])
def test_a_recorded_root_means_no_install_path(manifest, knobs, facts, recorded):
    out = cann.cann(manifest("seed"), facts("hdk", **{"cann.recorded_root": recorded}), knobs("cann"))
    assert out["problems"] == []
    assert not any(f.startswith("--install-path") for s in out["steps"] for f in s["flags"])


@pytest.mark.parametrize("stack", STACKS)
def test_a_new_toolkit_takes_its_kernels_again(manifest, knobs, facts, stack):
    m = manifest(stack)
    out = cann.cann(m, facts("cann", stack, **{"cann.toolkit": "8.2.RC1"}), knobs("cann"))
    assert [s["name"] for s in out["steps"]] == ["toolkit", "kernels"]
    kernels = m["components"]["kernels"]["version"]
    assert out["steps"][1]["why"] == "kernels: wanted %s, found %s (the toolkit changes)" % (kernels, kernels)
    assert not any(f.startswith("--install-path") for s in out["steps"] for f in s["flags"])


@pytest.mark.parametrize("missing, steps", [("nnal", ["nnal"]), ("kernels", ["kernels"])])
def test_one_package(manifest, knobs, facts, missing, steps):
    out = cann.cann(manifest("seed"), facts("cann", **{"cann." + missing: None}), knobs("cann"))
    assert [s["name"] for s in out["steps"]] == steps


def test_a_recorded_root_elsewhere_stops_the_node(manifest, knobs, facts):
    out = cann.cann(manifest("seed"), facts("cann", **{"cann.recorded_root": "/opt/Ascend"}), knobs("cann"))
    assert out["problems"] == ["CANN is already installed under /opt/Ascend (/etc/Ascend/ascend_cann_install.info) but "
                               "ascend_root is /usr/local/Ascend; the packages refuse another path, so set ascend_root "
                               "to /opt/Ascend or uninstall first"]
    assert not out["done"]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("npu, other", [("A2", "A3"), ("A3", "A2")])
def test_a_kernels_file_of_the_other_chip(manifest, knobs, facts, stack, npu, other):
    m = manifest(stack)
    files = m["components"]["kernels"]["files"]
    files[npu] = files[other]
    out = cann.cann(m, facts("hdk", stack, npu), knobs("cann", ascend_npu_device=npu))
    assert len(out["problems"]) == 1
    assert out["problems"][0].startswith("refusing %s on an %s node (" % (files[other].replace("{arch}", "aarch64"), npu))


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("spell", [str.lower, str.upper])
def test_versions_in_another_case_are_converged(manifest, knobs, facts, stack, spell):
    m = manifest(stack)
    node = dict((("cann." + p), spell(str(m["components"][p]["version"]))) for p in PARTS)
    out = cann.cann(m, facts("cann", stack, **node), knobs("cann"))
    assert out["done"] and out["found"] == dict((p, node["cann." + p]) for p in PARTS)


def test_hccl_test_is_built_with_the_distributions_mpich(manifest, knobs, facts):
    f = facts("hdk", "seed", "A2", "aarch64")
    out = cann.cann(manifest("seed"), f, knobs("cann", ascend_npu_device="A2"))
    assert out["hccl_test"]["packages"] == ["mpich", "mpich-devel"]          # the fixture's node has dnf
    assert out["hccl_test"]["make"][-3:] == [
        "MPI_HOME=/usr/lib64/mpich", "ASCEND_DIR=/usr/local/Ascend/ascend-toolkit/latest",
        "MPI_INC_DIR=/usr/include/mpich-aarch64"]
    f["system"]["pkg_mgr"] = None
    out = cann.cann(manifest("seed"), f, knobs("cann", ascend_npu_device="A2"))
    assert out["problems"] == ["hccl_test: no MPICH layout known for package manager None: set the MPI home and mpirun "
                               "knobs (or cann_hccl_test: false)"]
    out = cann.cann(manifest("seed"), f, knobs("cann", ascend_npu_device="A2", cann_hccl_test=False))
    assert out["problems"] == [] and out["hccl_test"] is None
