"""Preflight layer 2: free space from a raw `df -Pk`, then OS, arch, Python, kernel headers and
the NPUs on the PCI bus against the inventory."""

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans import preflight as p

# The raw probe: "path P", then `df -Pk P` without its header line (nothing when df fails).
ROOT_FS = "/dev/mapper/openeuler-root  104806400  52403200  20971520      72% /\n"      # 20480 MB free
VAR_FS = "/dev/sdb1                  51475068  50426492   1048576     98% /var\n"       # 1024 MB free
DF = "path /usr/local\n" + ROOT_FS + "path /var/cache\n" + VAR_FS
HEADER = ""


@pytest.mark.parametrize("text, paths, free", [
    (DF, ["/usr/local", "/var/cache"], {"/usr/local": 20480, "/var/cache": 1024}),
    ("path /usr/local\n" + ROOT_FS + "path /nowhere\n", ["/usr/local", "/nowhere"], {"/usr/local": 20480, "/nowhere": None}),
    ("", ["/usr/local"], {"/usr/local": None}),
    (None, ["/usr/local"], {"/usr/local": None}),
    ("path /usr/local\nweird line\n", ["/usr/local"], {"/usr/local": None}),
    ("path /usr/local\n" + ROOT_FS.replace("20971520", "-"), ["/usr/local"], {"/usr/local": None}),
])
def test_free_mb(text, paths, free):
    assert p.free_mb(text, paths) == free


def test_free_mb_when_df_skips_the_first_path():
    # df prints nothing for /nowhere (the error goes to stderr): its path line stays alone
    assert p.free_mb("path /nowhere\npath /var/cache\n" + VAR_FS, ["/nowhere", "/var/cache"]) == {
        "/nowhere": None, "/var/cache": 1024}


@pytest.mark.parametrize("need, problems", [
    ({"/usr/local": 8192, "/var/cache": 1024}, []),
    ({"/usr/local": 8192, "/var/cache": "6144"}, ["/var/cache has 1024 MB free, expected >= 6144 MB"]),
    ({"/usr/local": 30000}, ["/usr/local has 20480 MB free, expected >= 30000 MB"]),
])
def test_disk_problems(need, problems):
    assert p.disk_problems(DF, need) == problems


def test_disk_problem_when_df_said_nothing():
    assert p.disk_problems(HEADER, {"/usr/local": 1}) == ["/usr/local has unknown MB free, expected >= 1 MB"]


def test_no_facts_runs_the_disk_check_only(knobs):
    out = p.preflight({}, {}, knobs("preflight"), {"df": DF})
    assert out["problems"] == ["/var/cache has 1024 MB free, expected >= 6144 MB"]
    assert out["steps"] == [] and "headers_query" not in out


ENOUGH = "path /usr/local\n" + ROOT_FS + "path /var/cache\n" + ROOT_FS


def check(knobs, facts, inputs=None, npu="A2", system=None, **overrides):
    f = facts("bare", npu=npu, **overrides)
    f["system"].update(system or {})
    return p.preflight({}, f, knobs("preflight", ascend_npu_device=npu), dict({"df": ENOUGH}, **(inputs or {})))


OS = [
    ("openEuler", "22.03", "22", True),
    ("openEuler", "24.03", "24", True),
    ("openEuler", "20.03", "20", False),
    ("Ubuntu", "22.04", "22", True),
    ("Ubuntu", "20.04", "20", False),
    ("Kylin Linux Advanced Server", "V10", "V10", True),
    ("Debian", "12", "12", True),
    ("Debian", "12.7", "12", True),          # the major version is on the list
    ("Debian", "11", "11", False),
    ("CentOS", "7", "7", False),
    ("openeuler", "22.03", "22", False),     # Ansible's spelling, not os-release's ID
]


@pytest.mark.parametrize("dist, version, major, allowed", OS)
def test_os(knobs, facts, dist, version, major, allowed):
    out = check(knobs, facts, system={"distribution": dist, "distribution_version": version,
                                      "distribution_major_version": major})
    assert out["problems"] == ([] if allowed else [
        "OS %s %s is not on preflight_os_allowed (openEuler, Ubuntu, Kylin Linux Advanced Server, Debian)" % (dist, version)])


@pytest.mark.parametrize("arch, ok", [("aarch64", True), ("x86_64", True), ("ppc64le", False)])
def test_arch(knobs, facts, arch, ok):
    out = check(knobs, facts, system={"arch": arch})
    assert out["problems"] == ([] if ok else ["architecture ppc64le, expected aarch64 or x86_64"])


@pytest.mark.parametrize("python, minimum, ok", [
    ("3.9.9", "3.9", True),
    ("3.10.12", "3.9", True),      # as versions: 3.10 > 3.9
    ("3.8.10", "3.9", False),
    ("3.9.18", "3.10", False),
    ("3.11.6", "3.10", True),
])
def test_python_minimum(knobs, facts, python, minimum, ok):
    f = facts("bare")
    f["system"]["python_version"] = python
    out = p.preflight({}, f, knobs("preflight", preflight_python_min=minimum), {"df": ENOUGH})
    assert out["problems"] == ([] if ok else ["Python %s, expected >= %s" % (python, minimum)])


@pytest.mark.parametrize("installed, rc, problem", [
    (True, None, False),
    (False, 0, False),         # missing, but the package manager has them
    (False, "0", False),       # as the templated rc arrives
    (False, 100, True),
    (False, None, True),       # the query did not run
])
def test_kernel_headers(knobs, facts, installed, rc, problem):
    out = check(knobs, facts, {"headers_package_rc": rc}, system={"kernel_headers": installed})
    kernel = facts("bare")["system"]["kernel"]
    assert out["headers_query"] is (not installed)
    assert out["problems"] == (["kernel headers for %s are neither installed (/lib/modules/%s/build) nor available "
                                "from dnf" % (kernel, kernel)] if problem else [])


@pytest.mark.parametrize("npu, count, bus, problems", [
    ("A2", 8, "A2", []),
    ("A3", 16, "A3", []),
    ("A2", 7, "A2", ["7 NPU(s) on the PCI bus, expected 8 for Atlas 900 A2 PODc"]),
    ("A3", 8, "A3", ["8 NPU(s) on the PCI bus, expected 16 for Atlas 800T A3"]),
    ("A2", 8, "A3", ["the NPUs on the PCI bus are A3, ascend_npu_device says A2"]),
    ("A2", 8, "mixed", ["the NPUs on the PCI bus are mixed, ascend_npu_device says A2"]),
    ("A2", 8, None, []),
])
def test_pci(knobs, facts, npu, count, bus, problems):
    out = check(knobs, facts, npu=npu, **{"pci.count": count, "pci.npu_device": bus})
    assert out["problems"] == problems


def test_box16_takes_sixteen(knobs, facts):
    f = facts("bare", **{"pci.count": 16})
    out = p.preflight({}, f, knobs("preflight", ascend_product="Atlas 200T A2 Box16"), {"df": ENOUGH})
    assert out["done"]
