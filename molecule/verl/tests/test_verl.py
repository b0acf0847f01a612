"""verl installed the seed page's way, read on the node."""

import json

PY = "/opt/miniforge3/envs/verl-sglang/bin/python"
SITE = "/opt/miniforge3/envs/verl-sglang/lib/python3.11/site-packages"


def meta_version(host, name):
    return host.check_output("%s -c 'import importlib.metadata as m; print(m.version(\"%s\"))'" % (PY, name))


def test_verl_editable_from_the_checkout(host):
    assert meta_version(host, "verl") == "0.7.1"
    direct = json.loads(host.file(SITE + "/verl-0.7.1.dist-info/direct_url.json").content_string)
    assert direct == {"url": "file:///opt/verl", "dir_info": {"editable": True}}


def test_recipe_submodule_present(host):
    assert host.file("/opt/verl/recipe/r1_ascend/deepscaler.py").exists


def test_requirements_npu_and_pins(host):
    for name, version in (("triton-ascend", "3.2.0"), ("numpy", "1.26.4"), ("tensordict", "0.10.0"),
                          ("ray", "2.46.0"), ("hydra-core", "1.3.2")):
        assert meta_version(host, name) == version, name
    assert host.run("%s -m pip show -q triton" % PY).rc != 0


def test_no_cuda_extras(host):
    assert host.run("%s -m pip show -q flash-attn" % PY).rc != 0
    assert host.run("%s -m pip show -q liger-kernel" % PY).rc != 0
