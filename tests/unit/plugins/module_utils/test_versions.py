"""ascend_versions on fake node trees: provisioned (8.3 and 8.5 layouts), bare, half-done."""

import json
import os

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import versions as v

DRIVER = ("Version=25.3.rc1\nascendhal_version=7.35.23\naicpu_version=1.0\n"
          "Innerversion=V100R001C23SPC002B212\npackage_version=25.3.rc1\n")
FIRMWARE = "Version=7.8.0.1.211\nfirmware_version=1.0\npackage_version=25.3.rc1\n"
TOOLKIT = ("package_name=Ascend-cann-toolkit\nversion=%s\ninnerversion=V100R001C23SPC001B231\n"
           "arch=x86_64\nos=linux\npath=/usr/local/Ascend/ascend-toolkit/%s/x86_64-linux\n")
NNAL = ("    Ascend-cann-atb : 8.3.RC1\n    Ascend-cann-atb Version : 8.3.RC1.B030\n    Platform : x86_64\n"
        "    branch : br_release_cann_8.3.RC1\n")
COMMIT = "0123456789abcdef0123456789abcdef01234567"
ENV = "# managed\nASCEND_RT_VISIBLE_DEVICES=0,1,2,3,4,5,6,7\nexport HCCL_SOCKET_IFNAME=\"enp189s0f0\"\n\n"


def write(root, path, text):
    target = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w") as f:
        f.write(text)


def dist(root, name, version, site="/opt/miniforge3/envs/verl-sglang/lib/python3.11/site-packages", extra=None):
    base = "%s/%s-%s.dist-info" % (site, name.replace("-", "_"), version)
    write(root, base + "/METADATA", "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: x\n" % (name, version))
    for fname, text in (extra or {}).items():
        write(root, base + "/" + fname, text)


def provision(root, cann="8.3.RC1"):
    write(root, "/etc/os-release", 'NAME="openEuler"\nVERSION_ID="22.03"\nPRETTY_NAME="openEuler 22.03 (LTS-SP4)"\n')
    write(root, "/usr/local/Ascend/driver/version.info", DRIVER)
    write(root, "/usr/local/Ascend/firmware/version.info", FIRMWARE)
    if cann.startswith("8.5"):
        tk = "/usr/local/Ascend/cann/x86_64-linux"
        write(root, tk + "/ascend_ops_install.info", "package_name=Ascend-cann-910b-ops\nversion=%s\n" % cann)
    else:
        tk = "/usr/local/Ascend/ascend-toolkit/latest/x86_64-linux"
        write(root, tk + "/ascend_kernels_install.info", "version=%s\n" % cann)
    write(root, tk + "/ascend_toolkit_install.info", TOOLKIT % (cann, cann))
    write(root, "/usr/local/Ascend/nnal/atb/latest/version.info", NNAL.replace("8.3.RC1", cann))
    write(root, "/opt/miniforge3/conda-meta/conda-25.3.1-py312h7900ff3_0.json", '{"name": "conda", "version": "25.3.1"}')
    write(root, "/opt/miniforge3/conda-meta/conda-libmamba-solver-25.4.0-pyhd8ed1ab_0.json",
          '{"name": "conda-libmamba-solver", "version": "25.4.0"}')
    env = "/opt/miniforge3/envs/verl-sglang"
    write(root, env + "/conda-meta/python-3.11.13-h9e4cc4f_0_cpython.json", '{"name": "python", "version": "3.11.13"}')
    for name, version in (("torch", "2.7.1"), ("torch_npu", "2.7.1.post2"), ("torchvision", "0.22.1"),
                          ("sglang", "0.5.8"), ("sgl-kernel-npu", "2026.1.0"), ("triton-ascend", "3.2.0"),
                          ("numpy", "1.26.4"), ("megatron-core", "0.12.1")):
        dist(root, name, version)
    write(root, "/etc/ascend_verl/npu.env", ENV)


def collect(root, **kw):
    return v.collect(root=str(root), uname=("6.1.0-27-amd64", "x86_64"), **kw)


def test_provisioned_seed_node(tmp_path):
    provision(tmp_path)
    out = collect(tmp_path, npu_smi_version="25.3.rc1")
    assert list(out["versions"]) == list(v.COMPONENTS)
    got = dict((k, x) for k, x in out["versions"].items() if x is not None)
    assert got == {"os": "openEuler 22.03 (LTS-SP4)", "kernel": "6.1.0-27-amd64", "arch": "x86_64",
                   "driver": "25.3.rc1", "firmware": "7.8.0.1.211", "npu_smi": "25.3.rc1", "toolkit": "8.3.RC1",
                   "kernels": "8.3.RC1", "nnal": "8.3.RC1", "conda": "25.3.1", "python": "3.11.13",
                   "torch": "2.7.1", "torch_npu": "2.7.1.post2", "torchvision": "0.22.1", "sglang": "0.5.8",
                   "sgl_kernel_npu": "2026.1.0", "triton_ascend": "3.2.0", "numpy": "1.26.4",
                   "megatron_core": "0.12.1"}
    assert out["sources"]["driver"] == "/usr/local/Ascend/driver/version.info"
    assert out["env_file"] == {"ASCEND_RT_VISIBLE_DEVICES": "0,1,2,3,4,5,6,7", "HCCL_SOCKET_IFNAME": "enp189s0f0"}


def test_cann_85_layout(tmp_path):
    provision(tmp_path, "8.5.0")
    got = collect(tmp_path)["versions"]
    assert (got["toolkit"], got["kernels"], got["nnal"]) == ("8.5.0", "8.5.0", "8.5.0")


def test_bare_node_reports_everything_absent(tmp_path):
    out = v.collect(root=str(tmp_path))
    assert set(out["versions"].values()) == {None} and out["sources"] == {} and out["env_file"] is None


def test_half_provisioned_driver_only(tmp_path):
    write(tmp_path, "/usr/local/Ascend/driver/version.info", DRIVER)
    got = collect(tmp_path)["versions"]
    assert got["driver"] == "25.3.rc1" and got["firmware"] is None and got["toolkit"] is None and got["torch"] is None


def test_triton_present_and_duplicate_dists(tmp_path):
    provision(tmp_path)
    dist(tmp_path, "triton", "3.2.0")
    dist(tmp_path, "numpy", "2.2.6")
    got = collect(tmp_path)["versions"]
    assert got["triton"] == "3.2.0" and got["numpy"] == "1.26.4 + 2.2.6"


def test_python_from_lib_dir_without_conda_meta(tmp_path):
    dist(tmp_path, "verl", "0.7.1", site="/opt/miniforge3/envs/verl-sglang/lib/python3.10/site-packages")
    got = collect(tmp_path)["versions"]
    assert got["python"] == "3.10" and got["verl"] == "0.7.1"


@pytest.mark.parametrize("layout", ["ref", "packed", "detached", "gitfile"])
def test_editable_verl_commit(tmp_path, layout):
    src = tmp_path / "src" / "verl"
    git = "/src/verl/.git"
    if layout == "gitfile":
        write(tmp_path, "/src/verl/.git", "gitdir: ../gitdirs/verl\n")
        git = "/src/gitdirs/verl"
    if layout == "detached":
        write(tmp_path, git + "/HEAD", COMMIT + "\n")
    else:
        write(tmp_path, git + "/HEAD", "ref: refs/heads/v0.7.1\n")
    if layout == "packed":
        write(tmp_path, git + "/packed-refs", "# pack-refs with: peeled\n%s refs/heads/v0.7.1\n" % COMMIT)
    elif layout in ("ref", "gitfile"):
        write(tmp_path, git + "/refs/heads/v0.7.1", COMMIT + "\n")
    dist(tmp_path, "verl", "0.7.1", extra={"direct_url.json": json.dumps(
        {"url": "file://" + str(src), "dir_info": {"editable": True}})})
    assert collect(tmp_path)["versions"]["verl_commit"] == COMMIT


def test_garbage_files_are_absent_not_errors(tmp_path):
    write(tmp_path, "/usr/local/Ascend/driver/version.info", "\x00\x01 not a version file")
    write(tmp_path, "/opt/miniforge3/conda-meta/conda-1-0.json", "{broken")
    dist(tmp_path, "verl", "0.7.1", extra={"direct_url.json": "{broken"})
    got = collect(tmp_path)["versions"]
    assert got["driver"] is None and got["conda"] is None and got["verl"] == "0.7.1" and got["verl_commit"] is None


@pytest.mark.parametrize("text, expected", [
    ("npu-smi version: 25.3.rc1\n", "25.3.rc1"), ("garbage", None), ("", None)])
def test_npu_smi_version(text, expected):
    assert v.parse_npu_smi_version(text) == expected


def test_globs_report_files_and_link_targets(tmp_path):
    site = "/opt/miniforge3/envs/verl-sglang/lib/python3.11/site-packages"
    write(tmp_path, site + "/triton/__init__.py", "")
    write(tmp_path, site + "/deep_ep/deep_ep_cpp.cpython-311-aarch64-linux-gnu.so", "")
    os.symlink("deep_ep/deep_ep_cpp.cpython-311-aarch64-linux-gnu.so",
               str(tmp_path) + site + "/deep_ep_cpp.cpython-311-aarch64-linux-gnu.so")
    got = v.resolve_globs([site + "/triton/__init__.py", site + "/deep_ep_cpp*.so", site + "/deep_ep/*.so",
                           site + "/missing*"], root=str(tmp_path))
    assert got == {
        site + "/triton/__init__.py": [{"path": site + "/triton/__init__.py", "link": None}],
        site + "/deep_ep_cpp*.so": [{"path": site + "/deep_ep_cpp.cpython-311-aarch64-linux-gnu.so",
                                     "link": "deep_ep/deep_ep_cpp.cpython-311-aarch64-linux-gnu.so"}],
        site + "/deep_ep/*.so": [{"path": site + "/deep_ep/deep_ep_cpp.cpython-311-aarch64-linux-gnu.so",
                                  "link": None}],
        site + "/missing*": []}
