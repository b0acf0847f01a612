"""Layer-1 inventory checks: every rule with good and bad values."""

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import hardware, preflight as pf


def variables(problems):
    return [p["variable"] for p in problems]


@pytest.mark.parametrize("product, device, bad", [
    ("Atlas 900 A2 PODc", "A2", []),
    ("Atlas 800T A3", "A3", []),
    ("Atlas 200T A2 Box16", "A2", []),
    ("Atlas 900 A2 PODc", "A3", ["ascend_npu_device"]),       # device does not match product
    ("Atlas 800T A3", "A2", ["ascend_npu_device"]),
    ("Atlas 900 A2 PODc", "a2", ["ascend_npu_device"]),       # case matters: the scripts test "A2"
    ("Atlas 9000", "A2", ["ascend_product"]),
])
def test_product_and_device(product, device, bad):
    assert variables(pf.check_product(product, device)) == bad


@pytest.mark.parametrize("value, expected", [
    ("60000-60050", (60000, 60050)),
    (" 61000 - 61050 ", (61000, 61050)),
    ("auto", None),
])
def test_port_range_parses(value, expected):
    assert pf.parse_port_range(value) == expected


@pytest.mark.parametrize("value, why", [
    ("60050-60000", "START <= END"),
    ("60000", "START-END"),
    ("80-90", "between 1024"),
    ("60000-70000", "between 1024"),
    ("sixty", "START-END"),
])
def test_port_range_refused(value, why):
    with pytest.raises(ValueError, match=why):
        pf.parse_port_range(value)


def test_ports_overlap_is_named():
    problems = pf.check_ports({"host": "60000-60050", "npu": "60040-60100"}, {"ray": 6766})
    assert problems == [{"variable": "host", "found": "60000-60050",
                         "expected": "no overlap with npu (60040-60100)"}]
    problems = pf.check_ports({"host": "6700-6800", "npu": "auto"}, {"ray": 6766, "dash": "x"})
    assert variables(problems) == ["dash", "host"]


def test_defaults_do_not_overlap():
    assert pf.check_ports({"h": "60000-60050", "n": "61000-61050"}, {"ray": 6766, "dash": 8260}) == []


@pytest.mark.parametrize("value, count, ok", [
    ("", 8, True),
    (None, 16, True),
    ("0,1,2,3,4,5,6,7", 8, True),
    ("0, 1, 2, 3, 4, 5, 6, 7", 8, True),
    ("0,1,2,3,4,5,6,7,8", 8, False),     # the v0.7.1 docs typo: a device past the last NPU
    ("4,5,6,7", 8, False),               # a subset: Ray's physical ids no longer match
    ("0,1,2,3,4,5,6,7", 16, False),      # A2 value on an A3 node
    ("1,0,2,3,4,5,6,7", 8, False),
])
def test_visible_devices(value, count, ok):
    assert (pf.check_visible_devices(value, count) == []) is ok


@pytest.mark.parametrize("kind, path, url, exists, bad", [
    ("controller", "/srv/ascend", "", True, []),
    ("mirror", "", "http://mirror.local/ascend/", None, []),
    ("controller", "relative/dir", "", None, ["artifact_source_path"]),
    ("controller", "", "", None, ["artifact_source_path"]),
    ("controller", "/srv/none", "", False, ["artifact_source_path"]),
    ("mirror", "", "ftp://mirror", None, ["artifact_source_url"]),
    ("s3", "", "", None, ["artifact_source_type"]),
])
def test_artifact_source(kind, path, url, exists, bad):
    assert variables(pf.check_artifact_source(kind, path, url, exists)) == bad


@pytest.mark.parametrize("head, groups, bad", [
    ("", {"ray_head": ["n1"]}, []),
    ("", {"ray_head": ["n3"]}, []),       # a head outside this play (--limit) is still the head
    ("n2", {}, []),
    ("", {}, ["ascend_ray_head"]),
    ("", {"ray_head": ["n1", "n2"]}, ["ascend_ray_head"]),
    ("n9", {"ray_head": ["n1"]}, ["ascend_ray_head"]),
])
def test_ray_head(head, groups, bad):
    assert variables(pf.check_ray_head(head, dict(groups, all=["n1", "n2", "n3"]))) == bad


@pytest.mark.parametrize("addresses, bad", [
    ({"n1": ("10.0.0.1", "22"), "n2": ("10.0.0.2", "22")}, []),
    ({"n1": ("10.0.0.1", "22"), "n2": ("10.0.0.1", "23")}, []),
    ({"n1": ("10.0.0.1", "22"), "n2": ("10.0.0.1", "22")}, ["ansible_host"]),
])
def test_address(addresses, bad):
    assert variables(pf.check_address("n1", addresses)) == bad


def test_stack_and_message_format():
    problems = pf.check_stack("v9", ["seed", "v0.8"])
    assert pf.format_problems("node1", problems) == ["node1: stack_name = 'v9', expected one of seed, v0.8"]
    assert hardware.expected_devices("Atlas 800T A3") == 16 and hardware.expected_devices("nope") is None
