# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit's row for one node: every component of the stack, from the facts the reader
(node_facts) published.  Absent is None, so a half-provisioned node reads cleanly.
Python 3.9+, standard library only.
"""

COMPONENTS = ("os", "kernel", "arch", "driver", "firmware", "npu_smi", "toolkit", "kernels", "nnal", "conda",
              "python", "torch", "torch_npu", "torchvision", "sglang", "sgl_kernel_npu", "deep_ep",
              "torch_memory_saver", "triton_ascend", "triton", "verl", "verl_commit", "ray", "transformers",
              "numpy", "megatron_core", "mindspeed", "mbridge")
# Python components: the component name with "_" is the PEP 503 name with "-".
PACKAGES = ("torch", "torch_npu", "torchvision", "sglang", "sgl_kernel_npu", "deep_ep", "torch_memory_saver",
            "triton_ascend", "triton", "verl", "ray", "transformers", "numpy", "megatron_core", "mindspeed",
            "mbridge")
# The Python env's half of the stack: what ascend_install_method "none" leaves to the site.
ENV_COMPONENTS = ("conda", "python", "verl_commit") + PACKAGES


def package_name(component):
    return component.replace("_", "-")


def table(facts):
    """{component: version or None} for every component, in COMPONENTS order."""
    system, cann, conda = facts.get("system") or {}, facts.get("cann") or {}, facts.get("conda") or {}
    env = conda.get("env") or {}
    packages = env.get("packages") or {}
    smi = facts.get("npu_smi") or {}
    found = {
        "os": system.get("pretty_name") or " ".join(v for v in (system.get("distribution"),
                                                                system.get("distribution_version")) if v) or None,
        "kernel": system.get("kernel"), "arch": system.get("arch"),
        "driver": (facts.get("hdk") or {}).get("driver"), "firmware": (facts.get("hdk") or {}).get("firmware"),
        "npu_smi": smi.get("version"),
        "toolkit": cann.get("toolkit"), "kernels": cann.get("kernels"), "nnal": cann.get("nnal"),
        "conda": conda.get("version"), "python": env.get("python"), "verl_commit": env.get("verl_commit"),
    }
    for component in PACKAGES:
        found[component] = packages.get(package_name(component))
    return dict((c, found.get(c)) for c in COMPONENTS)
