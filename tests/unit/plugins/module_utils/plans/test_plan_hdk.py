"""The HDK plan: fresh install (driver first), upgrade (firmware first, behind the gate),
converged nodes, refused packages, the account and the kernel-module build."""

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans import hdk

STACKS = ["seed", "v0.8"]
NODES = [("A2", "aarch64"), ("A3", "aarch64"), ("A2", "x86_64"), ("A3", "x86_64")]
OLD = {"hdk.driver": "24.1.rc3", "hdk.firmware": "7.5.0.1.129"}


def files_of(m, npu, arch):
    return dict((p, m["components"][p]["files"][npu].replace("{arch}", arch)) for p in ("driver", "firmware"))


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("npu, arch", NODES)
def test_fresh_node(manifest, knobs, facts, stack, npu, arch):
    m, k = manifest(stack), knobs("hdk", ascend_npu_device=npu)
    out = hdk.hdk(m, facts("bare", stack, npu, arch), k)
    want = files_of(m, npu, arch)
    assert out["problems"] == []
    assert [s["name"] for s in out["steps"]] == ["account", "build", "driver", "firmware"]
    assert [(i["name"], i["file"], i["flags"]) for i in out["installers"]] == [
        ("driver", want["driver"], k["hdk_driver_install_flags"]),
        ("firmware", want["firmware"], k["hdk_firmware_install_flags"])]
    assert out["installers"][0]["why"] == "driver: wanted %s, found nothing" % m["components"]["driver"]["version"]
    assert (out["fresh"], out["gate"], out["account"], out["reboot"]) == (True, False, True, False)
    assert out["wanted"] == {"driver": str(m["components"]["driver"]["version"]),
                             "firmware": str(m["components"]["firmware"]["version"])}


BUILD = [
    # pkg_mgr, kernel_headers installed, hdk_install_headers, headers
    ("dnf", True, True, []),
    ("dnf", False, True, ["kernel-headers", "kernel-devel-{k}"]),
    ("yum", False, True, ["kernel-headers", "kernel-devel-{k}"]),
    ("apt", False, True, ["linux-headers-{k}"]),
    ("apt", True, True, []),
    ("apt", False, False, []),
]


@pytest.mark.parametrize("pkg_mgr, installed, install_headers, headers", BUILD)
def test_build_step(knobs, facts, manifest, pkg_mgr, installed, install_headers, headers):
    f = facts("bare", **{"system.pkg_mgr": pkg_mgr, "system.kernel_headers": installed})
    k = knobs("hdk", hdk_install_headers=install_headers)
    build = hdk.hdk(manifest("seed"), f, k)["build"]
    kernel = f["system"]["kernel"]
    assert build["packages"] == k["hdk_build_packages"][pkg_mgr]
    assert build["headers"] == [h.format(k=kernel) for h in headers]
    assert build["why"] == "build: the driver's kernel module is built on the node (%s)" % ", ".join(
        k["hdk_build_packages"][pkg_mgr] + build["headers"])


ACCOUNTS = [
    # user, group, why (None: no step)
    ({"uid": 1000, "gid": 1000}, {"gid": 1000}, None),
    ({"uid": 1001, "gid": 1000}, {"gid": 1000}, "found uid 1001 gid 1000"),
    ({"uid": 1000, "gid": 1001}, {"gid": 1001}, "found uid 1000 gid 1001"),
    ({"uid": 1000, "gid": 1000}, {"gid": 1002}, "found uid 1000 gid 1000"),   # the group has another gid
    ({"uid": 1000, "gid": 1000}, None, "found uid 1000 gid 1000"),              # no group
    (None, None, "found no such user"),
]


@pytest.mark.parametrize("user, group, why", ACCOUNTS)
def test_account_step(knobs, facts, manifest, user, group, why):
    f = facts("hdk", **{"accounts.user": user, "accounts.group": group})
    out = hdk.hdk(manifest("seed"), f, knobs("hdk"))
    if why is None:
        assert out["done"] and not out["account"]
    else:
        assert out["steps"] == [{"name": "account", "why": "HwHiAiUser: wanted uid 1000 gid 1000, " + why}]
        assert out["account"] and out["installers"] == [] and not out["gate"]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("npu", ["A2", "A3"])
def test_upgrade_firmware_first_behind_the_gate(manifest, knobs, facts, stack, npu):
    m, k = manifest(stack), knobs("hdk", ascend_npu_device=npu)
    out = hdk.hdk(m, facts("hdk", stack, npu, **OLD), k)
    assert [s["name"] for s in out["steps"]] == ["build", "firmware", "driver"]
    assert [(i["name"], i["flags"]) for i in out["installers"]] == [
        ("firmware", k["hdk_firmware_upgrade_flags"]), ("driver", k["hdk_driver_upgrade_flags"])]
    assert out["installers"][1]["why"] == "driver: wanted %s, found 24.1.rc3" % m["components"]["driver"]["version"]
    assert (out["fresh"], out["gate"], out["account"]) == (False, True, False)
    assert hdk.hdk(m, facts("hdk", stack, npu, **OLD), knobs("hdk", ascend_npu_device=npu, hdk_force=True))["gate"] is False


def test_upgrade_of_the_firmware_alone(manifest, knobs, facts):
    out = hdk.hdk(manifest("seed"), facts("hdk", **{"hdk.firmware": OLD["hdk.firmware"]}), knobs("hdk"))
    assert [s["name"] for s in out["steps"]] == ["firmware"]
    assert out["build"] is None and out["gate"] is True


def test_driver_present_firmware_absent_installs_the_firmware_first(manifest, knobs, facts):
    k = knobs("hdk")
    out = hdk.hdk(manifest("seed"), facts("hdk", **{"hdk.firmware": None}), k)
    assert [(i["name"], i["flags"]) for i in out["installers"]] == [("firmware", k["hdk_firmware_install_flags"])]
    assert not out["fresh"] and out["gate"]


def case_of(version, upper):
    return version.upper() if upper else version.lower()


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("npu", ["A2", "A3"])
@pytest.mark.parametrize("upper", [False, True])
def test_converged(manifest, knobs, facts, stack, npu, upper):
    """A manifest override in another letter case (25.3.RC1 for the node's 25.3.rc1) is the same version."""
    m = manifest(stack)
    node = facts("hdk", stack, npu)
    for part in ("driver", "firmware"):
        m["components"][part]["version"] = case_of(str(m["components"][part]["version"]), upper)
    out = hdk.hdk(m, node, knobs("hdk", ascend_npu_device=npu))
    assert out["steps"] == [] and out["installers"] == [] and out["done"]
    assert not out["gate"] and not out["fresh"]


def test_the_seed_driver_release_spelling_is_no_reinstall(manifest, knobs, facts):
    m = manifest("seed")
    m["components"]["driver"]["version"] = m["components"]["driver"]["release"]     # 25.3.RC1
    assert m["components"]["driver"]["version"] != facts("hdk")["hdk"]["driver"]
    assert hdk.hdk(m, facts("hdk"), knobs("hdk"))["done"]


REFUSALS = [
    # knobs' device, PCI bus, node arch, the arch in the driver's name (None: the node's)
    ("A3", "A2", "aarch64", None),                  # A3 files on an A2 PCI bus
    ("A2", "A3", "aarch64", None),
    ("A2", "mixed", "aarch64", None),
    ("A2", "A2", "aarch64", "x86_64"),             # an x86_64 driver on aarch64
    ("A2", "A2", "x86_64", "aarch64"),
]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("device, bus, arch, driver_arch", REFUSALS)
def test_refusals(manifest, knobs, facts, stack, device, bus, arch, driver_arch):
    m = manifest(stack)
    if driver_arch:
        files = m["components"]["driver"]["files"]
        files["A2"] = files["A2"].replace("{arch}", driver_arch)
    out = hdk.hdk(m, facts("bare", stack, "A2", arch, **{"pci.npu_device": bus}), knobs("hdk", ascend_npu_device=device))
    assert len(out["problems"]) == 1 and not out["done"]
    assert out["problems"][0].startswith("refusing %s / " % out["installers"][0]["file"])
    assert "on %s (driver must end in linux-%s.run)" % (arch, arch) in out["problems"][0]


def test_no_bus_reading_falls_back_to_the_knob(manifest, knobs, facts):
    assert hdk.hdk(manifest("seed"), facts("bare", **{"pci.npu_device": None}), knobs("hdk"))["problems"] == []


@pytest.mark.parametrize("kind, reboot", [("not_started", True), ("not_installed", False), ("other", False), (None, False)])
def test_reboot(manifest, knobs, facts, kind, reboot):
    out = hdk.hdk(manifest("seed"), facts("hdk", **{"npu_smi.kind": kind}), knobs("hdk"))
    assert out["reboot"] is reboot and out["done"]


@pytest.mark.parametrize("root, state, flag", [
    ("/opt/Ascend", "bare", True),
    ("/usr/local/Ascend/", "bare", False),      # the default, written with a slash
    ("/usr/local/Ascend", "bare", False),
    ("/opt/Ascend", "hdk", False),              # an upgrade keeps where the driver is
])
def test_install_path(manifest, knobs, facts, root, state, flag):
    out = hdk.hdk(manifest("seed"), facts(state, **(OLD if state == "hdk" else {})), knobs("hdk", ascend_root=root))
    flags = dict((i["name"], i["flags"]) for i in out["installers"])
    assert ("--install-path=" + root in flags["driver"]) is flag
    assert not any(f.startswith("--install-path") for f in flags["firmware"])


@pytest.mark.parametrize("pkg_mgr", ["zypper", None])
def test_build_why_names_the_fallback_packages(manifest, knobs, facts, pkg_mgr):
    k = knobs("hdk")
    build = hdk.hdk(manifest("seed"), facts("bare", **{"system.pkg_mgr": pkg_mgr}), k)["build"]
    assert build["packages"] == k["hdk_build_packages"]["dnf"]
    assert build["why"] == "build: the driver's kernel module is built on the node (%s)" % ", ".join(build["packages"])


# Knobs as `-e key=value` or an INI inventory give them: strings.  The ascend_plan action converts them
# to the spec's type (role_knobs.values), as the knobs fixture does.
def test_hdk_force_false_as_a_string_keeps_the_gate(manifest, knobs, facts):
    assert hdk.hdk(manifest("seed"), facts("hdk", **OLD), knobs("hdk", hdk_force="false"))["gate"] is True


def test_uid_and_gid_as_strings(manifest, knobs, facts):
    assert hdk.hdk(manifest("seed"), facts("hdk"), knobs("hdk", hdk_uid="1000", hdk_gid="1000"))["done"]


@pytest.mark.parametrize("began_fresh, allowed, mode, blocked", [
    (True, True, "together", False),      # no driver when the run began: nothing can be running, reboot all at once
    (False, True, "rolling", False),      # an upgrade of a live cluster rolls in batches
    ("True", True, "together", False),    # as the role hands the first plan's answer over
    (True, False, None, True),            # hdk_reboot_allowed false: named, not rebooted
])
def test_reboot_mode(manifest, knobs, facts, began_fresh, allowed, mode, blocked):
    f = facts("hdk", npu_smi={"answers": False, "kind": "not_started", "message": "", "version": None, "devices": 0})
    out = hdk.hdk(manifest("seed"), f, knobs("hdk", hdk_reboot_allowed=allowed), {"fresh": began_fresh})
    assert (out["reboot_mode"], out["reboot_blocked"]) == (mode, blocked)


def test_no_reboot_pending_no_mode(manifest, knobs, facts):
    out = hdk.hdk(manifest("seed"), facts("hdk"), knobs("hdk"), {"fresh": True})
    assert out["reboot_mode"] is None and out["reboot_blocked"] is False
