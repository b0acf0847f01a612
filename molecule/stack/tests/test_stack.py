"""What the stack role loaded on the controller (converge writes the fact stack_manifest to the
scenario's ephemeral directory): the seed manifest as pinned, with the converge's override
merged recursively into it."""

import copy
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests"))
import stack  # noqa: E402  (the manifests the versions come from)


def loaded(host):
    name = host.backend.get_hostname()
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "stack_manifest-%s.json" % name)
    with open(path) as f:
        return json.load(f)


def test_the_seed_manifest_with_the_override_merged(host):
    expected = copy.deepcopy(stack.manifest("seed"))
    expected["components"]["driver"]["version"] = "25.3.rc1.1"
    expected["components"]["driver"]["files"]["A2"] = "my-driver.run"
    assert loaded(host) == json.loads(json.dumps(expected))


def test_the_override_kept_what_it_did_not_name(host):
    driver = loaded(host)["components"]["driver"]
    seed = stack.manifest("seed")["components"]["driver"]
    assert driver["release"] == seed["release"] == "25.3.RC1"
    assert driver["files"]["A3"] == seed["files"]["A3"]
    assert driver["version"] != seed["version"]


def test_the_other_pins_are_the_seed_lines(host):
    components = loaded(host)["components"]
    for name in ("firmware", "toolkit", "kernels", "nnal", "torch_npu", "sglang", "verl", "ray"):
        assert str(components[name]["version"]) == stack.version("seed", name), name
