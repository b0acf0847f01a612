"""The NPU environment: the exported values, the managed files, what a login shell sees."""

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans import npu_env

ORDER = ["HCCL_HOST_SOCKET_PORT_RANGE", "HCCL_NPU_SOCKET_PORT_RANGE", "RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES",
         "ASCEND_RT_VISIBLE_DEVICES", "HCCL_SOCKET_IFNAME", "GLOO_SOCKET_IFNAME", "HCCL_CONNECT_TIMEOUT",
         "HCCL_EXEC_TIMEOUT"]


def plan(manifest, knobs, facts, state="hdk", npu="A2", inputs=None, knob=None, **overrides):
    return npu_env.npu_env(manifest("seed"), facts(state, npu=npu, **overrides),
                           knobs("npu_env", ascend_npu_device=npu, **(knob or {})), inputs)


def test_the_exported_values(manifest, knobs, facts):
    k = knobs("npu_env")
    out = plan(manifest, knobs, facts)
    assert list(out["exported"]) == ORDER
    assert out["exported"] == {
        "HCCL_HOST_SOCKET_PORT_RANGE": k["ascend_hccl_host_socket_port_range"],
        "HCCL_NPU_SOCKET_PORT_RANGE": k["ascend_hccl_npu_socket_port_range"],
        "RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES": "1", "ASCEND_RT_VISIBLE_DEVICES": "0,1,2,3,4,5,6,7",
        "HCCL_SOCKET_IFNAME": "enp189s0f0", "GLOO_SOCKET_IFNAME": "enp189s0f0",
        "HCCL_CONNECT_TIMEOUT": str(k["npu_env_hccl_connect_timeout"]),
        "HCCL_EXEC_TIMEOUT": str(k["npu_env_hccl_exec_timeout"])}
    assert npu_env.template_vars(manifest("seed"), facts("hdk"), k) == {"npu_env_values": out["exported"]}


VISIBLE = [
    # npu, state (bare: no /dev/davinci yet), overrides, knob, visible
    ("A2", "hdk", {}, "", "0,1,2,3,4,5,6,7"),
    ("A3", "hdk", {}, "", ",".join(str(i) for i in range(16))),
    ("A3", "bare", {}, "", ",".join(str(i) for i in range(16))),         # the PCI count stands in
    ("A2", "bare", {"pci.count": 4}, "", "0,1,2,3"),
    ("A2", "hdk", {"devices": 2, "pci.count": 8}, "", "0,1"),              # /dev/davinci* wins
    ("A2", "bare", {"pci.count": 0}, "", ""),
    ("A2", "hdk", {}, "0,1", "0,1"),                                       # the knob wins
]


@pytest.mark.parametrize("npu, state, overrides, knob, visible", VISIBLE)
def test_visible_devices(manifest, knobs, facts, npu, state, overrides, knob, visible):
    out = plan(manifest, knobs, facts, state, npu, knob={"npu_env_visible_devices": knob}, **overrides)
    assert out["exported"]["ASCEND_RT_VISIBLE_DEVICES"] == visible


@pytest.mark.parametrize("route, knob, ifname", [
    ({"dev": "lo", "src": "10.0.0.1", "ifname": "bond0"}, "", "bond0"),
    (None, "eth1", "eth1"),
    ({"dev": "lo", "src": "10.0.0.1", "ifname": "bond0"}, "eth1", "eth1"),
])
def test_socket_ifname(manifest, knobs, facts, route, knob, ifname):
    out = plan(manifest, knobs, facts, knob={"npu_env_socket_ifname": knob}, route=route)
    assert (out["exported"]["HCCL_SOCKET_IFNAME"], out["exported"]["GLOO_SOCKET_IFNAME"]) == (ifname, ifname)
    assert out["problems"] == []


@pytest.mark.parametrize("route, why", [
    (None, "ip route get found no device"),
    ({"dev": None, "src": None, "ifname": None, "error": "RTNETLINK answers: Network is unreachable"},
     "RTNETLINK answers: Network is unreachable"),
])
def test_no_route_is_a_problem(manifest, knobs, facts, route, why):
    out = plan(manifest, knobs, facts, route=route)
    assert out["problems"] == ["no interface routes to the Ray head (%s); set npu_env_socket_ifname" % why]


def test_deepep_and_extra(manifest, knobs, facts):
    knob = {"npu_env_deepep_enabled": True, "npu_env_extra": {"TASK_QUEUE_ENABLE": 1, "HCCL_CONNECT_TIMEOUT": 7200}}
    out = plan(manifest, knobs, facts, knob=knob)["exported"]
    assert list(out) == ORDER + ["SGLANG_DEEPEP_BF16_DISPATCH", "TASK_QUEUE_ENABLE"]
    assert (out["SGLANG_DEEPEP_BF16_DISPATCH"], out["TASK_QUEUE_ENABLE"], out["HCCL_CONNECT_TIMEOUT"]) == ("1", "1", "7200")
    assert "SGLANG_DEEPEP_BF16_DISPATCH" not in plan(manifest, knobs, facts)["exported"]


# ---- the files and the login shell -----------------------------------------------------------

RENDERED = [{"src": "npu.env.j2", "dest": "/etc/ascend_verl/npu.env", "checksum": "a" * 40, "mode": "0644",
             "owner": "root", "group": "root"},
            {"src": "profile.sh.j2", "dest": "/etc/profile.d/ascend_verl.sh", "checksum": "b" * 40, "mode": "0644",
             "owner": "root", "group": "root"}]
CURRENT = dict((r["dest"], {"exists": True, "checksum": r["checksum"], "mode": "0644", "owner": "root", "group": "root"})
               for r in RENDERED)
ENV = "/etc/ascend_verl/npu.env"

FILES = [
    ("absent", {ENV: {"exists": False}}, "absent"),
    ("content", {ENV: dict(CURRENT[ENV], checksum="c" * 40)}, "content differs"),
    ("mode", {ENV: dict(CURRENT[ENV], mode="0600")}, "mode 0600, wanted 0644"),
    ("match", {}, None),
]


@pytest.mark.parametrize("case, found, why", FILES, ids=[f[0] for f in FILES])
def test_files(manifest, knobs, facts, case, found, why):
    out = plan(manifest, knobs, facts, inputs={"rendered": RENDERED}, files=dict(CURRENT, **found))
    assert out["changes"] == ([] if why is None else ["%s: %s" % (ENV, why)])
    assert out["done"] is (why is None)


def shell(exported, **changed):
    return dict(dict((k, exported[k]) for k in npu_env.SHELL_CHECK), **changed)


@pytest.mark.parametrize("files_current, shell_differs, problem", [
    (True, False, False),
    (True, True, True),
    (False, True, False),       # the files are about to change: judge the shell next run
])
def test_login_shell(manifest, knobs, facts, files_current, shell_differs, problem):
    exported = plan(manifest, knobs, facts)["exported"]
    seen = shell(exported, ASCEND_RT_VISIBLE_DEVICES="0,1") if shell_differs else shell(exported)
    files = CURRENT if files_current else {}
    out = plan(manifest, knobs, facts, inputs={"rendered": RENDERED}, files=files, login_shell=seen)
    if problem:
        assert out["problems"] == [
            "a login shell sees ASCEND_RT_VISIBLE_DEVICES|HCCL_SOCKET_IFNAME|HCCL_HOST_SOCKET_PORT_RANGE = "
            "0,1|enp189s0f0|%s, expected 0,1,2,3,4,5,6,7|enp189s0f0|%s (another profile.d script overriding "
            "/etc/profile.d/ascend_verl.sh?)" % ((exported["HCCL_HOST_SOCKET_PORT_RANGE"],) * 2)]
    else:
        assert out["problems"] == []
    assert out["done"] is (files_current and not shell_differs)
