"""The SGLang/Megatron NPU stack in the env, read from package metadata on the node."""

import json

PY = "/opt/miniforge3/envs/verl-sglang/bin/python"
SITE = "/opt/miniforge3/envs/verl-sglang/lib/python3.11/site-packages"
WANTED = {"torch": "2.8.0", "torch-npu": "2.8.0.post2", "torchvision": "0.23.0", "sglang": "0.5.10",
          "sgl-kernel-npu": "2026.2.1", "deep-ep": "1.2.1", "torch-memory-saver": "0.0.9", "triton-ascend": "3.2.2",
          "megatron-core": "0.16.0", "mindspeed": "0.16.0", "mbridge": "0.15.1", "numpy": "1.26.4",
          "triton": None, "timm": None}


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
    assert host.file("/opt/ascend_verl/src/sgl-kernel-npu-2026.02.01-A3").is_directory


def test_triton_ascend_files_intact(host):
    assert host.file(SITE + "/triton/__init__.py").contains("triton-ascend")
