"""The SGLang/Megatron NPU stack in the env, read from package metadata on the node."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests"))
import stack  # noqa: E402  (the manifests the versions come from)

PY = "/opt/miniforge3/envs/verl-sglang/bin/python"
SITE = "/opt/miniforge3/envs/verl-sglang/lib/python3.11/site-packages"
WANTED = stack.env_packages("v0.8", skip=("verl", "transformers", "ray"))


def versions(host, names):
    script = ("import importlib.metadata as m, json, sys\nout = {}\nfor n in sys.argv[1:]:\n    try:\n"
              "        out[n] = m.version(n)\n    except m.PackageNotFoundError:\n        out[n] = None\n"
              "print(json.dumps(out))")
    return json.loads(host.check_output("%s -c '%s' %s" % (PY, script, " ".join(names))))


def test_every_component_at_the_v08_pin(host):
    assert versions(host, WANTED) == WANTED


def test_sglang_version_is_not_the_scm_fallback(host):
    assert versions(host, ["sglang"])["sglang"] != "0.0.0.dev0"


def test_a3_kernels_and_the_deep_ep_link(host):
    arch = host.check_output("uname -m")
    link = host.file("%s/deep_ep_cpp.cpython-311-%s-linux-gnu.so" % (SITE, arch))
    assert link.is_symlink and link.linked_to.endswith("deep_ep/deep_ep_cpp.cpython-311-%s-linux-gnu.so" % arch)
    assert "(A3)" in host.file("%s/deep_ep/deep_ep_cpp.cpython-311-%s-linux-gnu.so" % (SITE, arch)).content_string
    ref = stack.manifest("v0.8")["components"]["sgl_kernel_npu"]["ref"]
    assert host.file("/opt/ascend_verl/src/sgl-kernel-npu-%s-A3" % ref).is_directory


def test_triton_ascend_files_intact(host):
    assert host.file(SITE + "/triton/__init__.py").contains("triton-ascend")
