"""The reader (node_facts.gather) and the audit row (versions.table) on fake node trees:
provisioned (8.3 and 8.5 layouts), bare, half-done, broken."""

import hashlib
import json
import os

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import node_facts, versions as v

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


def no_commands(argv):
    return 127, "", "%s: not in this test" % argv[0]


def gather(root, **kw):
    return node_facts.gather(no_commands, root=str(root), uname=("6.1.0-27-amd64", "x86_64"), **kw)


def collect(root, npu_smi_version=None, **kw):
    facts = gather(root, npu_smi_info={"version": npu_smi_version} if npu_smi_version else None, **kw)
    return {"versions": v.table(facts), "facts": facts}


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
    facts = out["facts"]
    assert facts["env_file"]["values"] == {"ASCEND_RT_VISIBLE_DEVICES": "0,1,2,3,4,5,6,7", "HCCL_SOCKET_IFNAME": "enp189s0f0"}
    assert facts["system"]["distribution"] == "openEuler" and facts["system"]["distribution_version"] == "22.03"
    assert facts["cann"] == {"recorded_root": None, "toolkit": "8.3.RC1", "kernels": "8.3.RC1", "nnal": "8.3.RC1",
                             "layout": "8.3"}
    assert facts["conda"]["installed"] is False and facts["conda"]["envs"] == {
        "verl-sglang": "/opt/miniforge3/envs/verl-sglang"}
    assert facts["conda"]["env"]["packages"]["torch-npu"] == "2.7.1.post2"


def test_cann_85_layout(tmp_path):
    provision(tmp_path, "8.5.0")
    out = collect(tmp_path)
    got = out["versions"]
    assert (got["toolkit"], got["kernels"], got["nnal"]) == ("8.5.0", "8.5.0", "8.5.0")
    assert out["facts"]["cann"]["layout"] == "8.5"


def test_bare_node_reports_everything_absent(tmp_path):
    facts = node_facts.gather(no_commands, root=str(tmp_path), uname=(None, None))
    assert set(v.table(facts).values()) == {None} and facts["env_file"]["values"] is None
    assert facts["pci"]["count"] == 0 and facts["devices"] == 0 and facts["hdk"] == {"driver": None, "firmware": None}
    assert facts["conda"]["env"]["exists"] is False and facts["conda"]["env"]["files"]["deep_ep_so"] == []


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
    write(tmp_path, "/opt/miniforge3/envs/verl-sglang/conda-meta/history", "")
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
    write(tmp_path, "/opt/miniforge3/envs/verl-sglang/conda-meta/history", "")
    out = collect(tmp_path)
    assert out["versions"]["verl_commit"] == COMMIT
    assert out["facts"]["conda"]["env"]["editable"] == {"verl": "/src/verl"}


def test_garbage_files_are_absent_not_errors(tmp_path):
    write(tmp_path, "/usr/local/Ascend/driver/version.info", "\x00\x01 not a version file")
    write(tmp_path, "/opt/miniforge3/conda-meta/conda-broken.json", "{broken")
    dist(tmp_path, "verl", "0.7.1", extra={"direct_url.json": "{broken"})
    write(tmp_path, "/opt/miniforge3/envs/verl-sglang/conda-meta/history", "")
    got = collect(tmp_path)["versions"]
    assert got["driver"] is None and got["conda"] is None and got["verl"] == "0.7.1" and got["verl_commit"] is None


def test_globs_report_files_and_link_targets(tmp_path):
    site = "/opt/miniforge3/envs/verl-sglang/lib/python3.11/site-packages"
    write(tmp_path, site + "/triton/__init__.py", "")
    write(tmp_path, site + "/deep_ep/deep_ep_cpp.cpython-311-aarch64-linux-gnu.so", "")
    os.symlink("deep_ep/deep_ep_cpp.cpython-311-aarch64-linux-gnu.so",
               str(tmp_path) + site + "/deep_ep_cpp.cpython-311-aarch64-linux-gnu.so")
    got = node_facts.resolve_globs(node_facts.Node(str(tmp_path)), [
        site + "/triton/__init__.py", site + "/deep_ep_cpp*.so", site + "/deep_ep/*.so", site + "/missing*"])
    assert got == {
        site + "/triton/__init__.py": [{"path": site + "/triton/__init__.py", "link": None}],
        site + "/deep_ep_cpp*.so": [{"path": site + "/deep_ep_cpp.cpython-311-aarch64-linux-gnu.so",
                                     "link": "deep_ep/deep_ep_cpp.cpython-311-aarch64-linux-gnu.so"}],
        site + "/deep_ep/*.so": [{"path": site + "/deep_ep/deep_ep_cpp.cpython-311-aarch64-linux-gnu.so",
                                  "link": None}],
        site + "/missing*": []}


def test_site_files_triton_and_the_deep_ep_link(tmp_path):
    provision(tmp_path)
    site = "/opt/miniforge3/envs/verl-sglang/lib/python3.11/site-packages"
    so = "deep_ep_cpp.cpython-311-x86_64-linux-gnu.so"
    write(tmp_path, site + "/triton/__init__.py", "")
    write(tmp_path, site + "/deep_ep/" + so, "")
    os.symlink("deep_ep/" + so, str(tmp_path) + site + "/" + so)
    env = gather(tmp_path)["conda"]["env"]
    assert env["site_packages"] == site
    assert env["files"] == {"triton_init": True, "deep_ep_so": [so], "deep_ep_links": {so: "deep_ep/" + so}}


def test_file_stats_mode_owner_and_sha1(tmp_path):
    write(tmp_path, "/etc/ascend_verl/npu.env", "A=1\n")
    os.chmod(str(tmp_path) + "/etc/ascend_verl/npu.env", 0o640)
    files = gather(tmp_path, files=["/etc/ascend_verl/npu.env", "/etc/absent"])["files"]
    assert files["/etc/absent"] == {"exists": False}
    got = files["/etc/ascend_verl/npu.env"]
    assert got["mode"] == "0640" and got["checksum"] == hashlib.sha1(b"A=1\n").hexdigest()
    assert got["owner"] and got["group"]


def test_requirements_files_are_returned_as_text(tmp_path):
    write(tmp_path, "/opt/verl/requirements-npu.txt", "numpy<2.0.0\n")
    got = gather(tmp_path, requirements=["/opt/verl/requirements-npu.txt", "/opt/none.txt"])["requirements"]
    assert got == {"/opt/verl/requirements-npu.txt": "numpy<2.0.0\n", "/opt/none.txt": None}


@pytest.mark.parametrize("route, addr, expected", [
    # a peer: the route names the device
    ("198.18.0.11 via 198.18.0.1 dev enp189s0f0 src 198.18.0.12 uid 0 \\    cache",
     "2: enp189s0f0    inet 198.18.0.12/24 brd 198.18.0.255 scope global enp189s0f0\\       valid_lft forever",
     {"dev": "enp189s0f0", "src": "198.18.0.12", "ifname": "enp189s0f0"}),
    # the head itself: the route goes via lo, the interface is the one that owns the address
    ("local 198.18.0.11 dev lo table local src 198.18.0.11 uid 0 \\    cache <local>",
     "2: enp189s0f0@if7    inet 198.18.0.11/24 scope global enp189s0f0",
     {"dev": "lo", "src": "198.18.0.11", "ifname": "enp189s0f0"}),
    ("", "", {"dev": None, "src": None, "ifname": None}),
])
def test_route_to_the_head(route, addr, expected):
    assert node_facts.parse_route(route, addr) == expected


def test_route_and_login_shell_use_the_runner(tmp_path):
    calls = []

    def run(argv):
        calls.append(argv)
        if argv[:4] == ["ip", "-o", "route", "get"]:
            return 0, "198.18.0.11 dev eth0 src 198.18.0.12 uid 0\n", ""
        if argv[:3] == ["ip", "-o", "addr"]:
            return 0, "2: eth0    inet 198.18.0.12/24 scope global eth0\n", ""
        return 0, "0,1,2,3\n\n", ""
    facts = node_facts.gather(run, root=str(tmp_path), uname=("6.1", "x86_64"), head_address="198.18.0.11",
                              login_shell=["ASCEND_RT_VISIBLE_DEVICES", "HCCL_SOCKET_IFNAME"])
    assert facts["route"]["ifname"] == "eth0"
    assert facts["login_shell"] == {"ASCEND_RT_VISIBLE_DEVICES": "0,1,2,3", "HCCL_SOCKET_IFNAME": ""}
    assert calls[-1][:2] == ["bash", "-lc"]


def test_route_failure_is_reported_not_raised(tmp_path):
    facts = node_facts.gather(lambda argv: (2, "", "RTNETLINK answers: Network is unreachable"), root=str(tmp_path),
                              uname=("6.1", "x86_64"), head_address="203.0.113.1")
    assert facts["route"]["ifname"] is None and "unreachable" in facts["route"]["error"]


@pytest.mark.parametrize("os_release, expected", [
    ('NAME="openEuler"\nID="openEuler"\nVERSION_ID="22.03"\n', ("openEuler", "22.03", "22")),
    ('NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\n', ("Ubuntu", "22.04", "22")),
    ('NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\n', ("Debian", "12", "12")),
    ('NAME="Kylin Linux Advanced Server"\nID="kylin"\nVERSION_ID="V10"\n', ("Kylin Linux Advanced Server", "V10", "V10")),
    ('NAME="Something Else"\nID=other\n', ("Something Else", None, None)),
])
def test_distribution_names_as_ansible_spells_them(tmp_path, os_release, expected):
    write(tmp_path, "/etc/os-release", os_release)
    system = gather(tmp_path)["system"]
    assert (system["distribution"], system["distribution_version"], system["distribution_major_version"]) == expected


def test_conda_meta_version_from_the_file_name_when_the_record_is_empty(tmp_path):
    write(tmp_path, "/opt/miniforge3/envs/legacy/conda-meta/python-3.10.14-h0_cpython.json", "")
    env = node_facts.gather(no_commands, root=str(tmp_path), uname=("6.1", "x86_64"), conda_env="legacy")["conda"]["env"]
    assert env["exists"] and env["python"] == "3.10.14"
