"""The stack manifests as the tests read them: every version a test expects comes from
roles/stack/vars/stacks/, never from a copy in the test."""

import os

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# What the env holds after sglang_npu and verl, by distribution name -> manifest component.
ENV_PACKAGES = {"torch": "torch", "torch-npu": "torch_npu", "torchvision": "torchvision", "sglang": "sglang",
                "sgl-kernel-npu": "sgl_kernel_npu", "deep-ep": "deep_ep", "torch-memory-saver": "torch_memory_saver",
                "triton-ascend": "triton_ascend", "megatron-core": "megatron_core", "mindspeed": "mindspeed",
                "mbridge": "mbridge", "verl": "verl", "numpy": "numpy", "transformers": "transformers", "ray": "ray"}
ABSENT = ("triton", "timm")


def manifest(name):
    with open(os.path.join(REPO, "roles", "stack", "vars", "stacks", name + ".yml")) as f:
        return yaml.safe_load(f)["stack_manifest"]


def version(name, component):
    return str(manifest(name)["components"][component]["version"])


def env_packages(name, skip=()):
    """{distribution: version or None (absent)} the env must hold for stack `name`."""
    out = dict((dist, version(name, comp)) for dist, comp in ENV_PACKAGES.items() if dist not in skip)
    out.update(dict((dist, None) for dist in ABSENT))
    return out
