"""verl installed the seed page's way, read on the node."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests"))
import stack  # noqa: E402  (the manifests the versions come from)

PY = "/opt/miniforge3/envs/verl-sglang/bin/python"
SITE = "/opt/miniforge3/envs/verl-sglang/lib/python3.11/site-packages"


def meta_version(host, name):
    return host.check_output("%s -c 'import importlib.metadata as m; print(m.version(\"%s\"))'" % (PY, name))


def test_verl_editable_from_the_checkout(host):
    verl = stack.version("seed", "verl")
    assert meta_version(host, "verl") == verl
    direct = json.loads(host.file(SITE + "/verl-%s.dist-info/direct_url.json" % verl).content_string)
    assert direct == {"url": "file:///opt/verl", "dir_info": {"editable": True}}


def test_recipe_submodule_present(host):
    assert host.file("/opt/verl/recipe/r1_ascend/deepscaler.py").exists


def test_requirements_npu_and_pins(host):
    for name, component in (("triton-ascend", "triton_ascend"), ("numpy", "numpy"), ("ray", "ray")):
        assert meta_version(host, name) == stack.version("seed", component), name
    # not pinned by the manifest: what requirements-npu.txt brought from the wheelhouse
    assert meta_version(host, "tensordict") and meta_version(host, "hydra-core")
    assert host.run("%s -m pip show -q triton" % PY).rc != 0


def test_no_cuda_extras(host):
    assert host.run("%s -m pip show -q flash-attn" % PY).rc != 0
    assert host.run("%s -m pip show -q liger-kernel" % PY).rc != 0
