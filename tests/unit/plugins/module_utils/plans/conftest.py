"""Builders shared by the planner tables.

- manifest(name): the stack_manifest of roles/stack/vars/stacks/<name>.yml (a fresh copy);
- knobs(role, **overrides): the role's defaults + the shared ascend_* ones (+ conda's for the
  Python roles), ascend_product following ascend_npu_device, "{{ knob }}" strings rendered;
- facts(state, stack, npu, arch, **overrides): what node_facts.gather() returns for a node in
  one of STATES, each state adding to the one before; an override key is a top-level fact or a
  dotted path ("conda.env.packages.numpy").

Versions always come from the manifests: a test names a component, never its version.
"""

import copy
import functools
import os
import re

import pytest
import yaml

from ansible_collections.ascend_verl.cluster.plugins.module_utils import hardware
from ansible_collections.ascend_verl.cluster.plugins.module_utils.knobs import convert_option
from ansible_collections.ascend_verl.cluster.plugins.module_utils.version import normalize_name, parse_requirement, requirement_lines

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".."))
PRODUCTS = {"A2": "Atlas 900 A2 PODc", "A3": "Atlas 800T A3"}
PCI_IDS = {"A2": "0xd802", "A3": "0xd803"}
STATES = ("bare", "hdk", "cann", "conda", "stack", "tree", "full")
# bare: nothing; hdk: driver, firmware, account; cann: + toolkit, kernels, NNAL; conda: + conda and the
# env the conda role makes; stack: + what sglang_npu installs; tree: + the verl source tree (requirements
# file, recipe); full: + verl and its requirements installed.
STACK_COMPONENTS = ("torch", "torch_npu", "torchvision", "sglang", "sgl_kernel_npu", "deep_ep", "torch_memory_saver",
                    "triton_ascend", "numpy", "megatron_core", "mindspeed", "mbridge", "transformers")
ROUTE = {"dev": "enp189s0f0", "src": "10.20.0.11", "ifname": "enp189s0f0"}
KERNEL = "5.10.0-216.0.0.115.oe2203sp4.aarch64"
SO = "deep_ep_cpp.cpython-311-%s-linux-gnu.so"
# verl's requirements-npu.txt as a node holds it; the triton-ascend pin is the manifest's.
REQUIREMENTS_NPU = """\
# verl on Ascend
accelerate
codetiming
datasets
hydra-core
numpy<2.0.0
peft>=0.15.2
pyarrow>=15.0.0
tensordict>=0.8.0,<=0.10.0,!=0.9.0
transformers
ray[default]
qwen_vl_utils
hf_transfer; platform_machine == "x86_64"
triton-ascend==%s
"""
# Versions of what no manifest pins (anything meeting the requirement lines above).
UNPINNED = {"pyarrow": "19.0.1", "peft": "0.15.2", "tensordict": "0.9.1"}


@functools.lru_cache(maxsize=None)
def _yaml(path):
    with open(os.path.join(ROOT, path)) as f:
        return yaml.safe_load(f)


def load_manifest(name="seed"):
    return copy.deepcopy(_yaml("roles/stack/vars/stacks/%s.yml" % name)["stack_manifest"])


def want(manifest, component):
    return str(manifest["components"][component]["version"])


def defaults(role):
    return copy.deepcopy(_yaml("roles/%s/defaults/main.yml" % role) or {})


_JINJA = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _render(value, knobs):
    if isinstance(value, str):
        return _JINJA.sub(lambda m: str(knobs[m.group(1)]), value)
    if isinstance(value, list):
        return [_render(v, knobs) for v in value]
    if isinstance(value, dict):
        return dict((k, _render(v, knobs)) for k, v in value.items())
    return value


def _specs(role):
    data = _yaml("roles/%s/meta/argument_specs.yml" % role)
    return data["argument_specs"]["main"].get("options") or {}


def load_knobs(role, **overrides):
    """As the ascend_plan action hands them to a planner: rendered, then converted to the spec's
    type the way the role's argument validation converts them ("false" -> False, "1000" -> 1000)."""
    out, specs = {}, {}
    for name in ["ascend", role] + (["conda"] if role in ("sglang_npu", "verl") else []):
        out.update(defaults(name))
        specs.update(_specs(name))
    device = overrides.get("ascend_npu_device", "A2")
    out.update(ascend_npu_device=device, ascend_product=PRODUCTS.get(device, device))
    out.update(overrides)
    rendered = dict((k, _render(v, out)) for k, v in out.items())
    return dict((k, convert_option(k, specs[k], v)[0] if k in specs else v) for k, v in rendered.items())


def _requirement_packages(lines, manifest):
    """{name: version} meeting each line: the manifest's version for a component, else UNPINNED or 1.0."""
    components = dict((normalize_name(c), c) for c in manifest["components"])
    out = {}
    for line in lines:
        name = parse_requirement(line)["name"]
        out[name] = want(manifest, components[name]) if name in components else UNPINNED.get(name, "1.0")
    return out


def node_facts(state="bare", stack="seed", npu="A2", arch="aarch64", **overrides):
    m, level = load_manifest(stack), STATES.index(state)
    a, c, h, v = defaults("ascend"), defaults("conda"), defaults("hdk"), defaults("verl")
    count = hardware.expected_devices(PRODUCTS[npu])
    env_path = "%s/envs/%s" % (a["ascend_conda_prefix"], a["ascend_conda_env"])
    facts = {
        "system": {"distribution": "openEuler", "distribution_version": "22.03", "distribution_major_version": "22",
                   "pretty_name": "openEuler 22.03 (LTS-SP4)", "arch": arch, "kernel": KERNEL, "python_version": "3.9.9",
                   "pkg_mgr": "dnf", "kernel_headers": True},
        "pci": {"count": count, "by_device_id": {PCI_IDS[npu]: count}, "npu_device": npu, "devices": []},
        "devices": count if level >= 1 else 0,
        "accounts": {"user": None, "group": None},
        "hdk": {"driver": None, "firmware": None},
        "npu_smi": None,
        "cann": {"recorded_root": None, "toolkit": None, "kernels": None, "nnal": None, "layout": None},
        "conda": {"prefix": a["ascend_conda_prefix"], "installed": False, "version": None, "envs": {},
                  "env": {"name": a["ascend_conda_env"], "path": env_path, "exists": False, "python": None,
                          "site_packages": None, "packages": {}, "editable": {}, "verl_commit": None,
                          "files": {"triton_init": False, "deep_ep_so": [], "deep_ep_links": {}}}},
        "env_file": {"path": a["ascend_env_file"], "values": None},
        "files": {}, "globs": {}, "requirements": {}, "route": dict(ROUTE), "login_shell": None,
        "paths": {"ascend_root": a["ascend_root"], "conda_prefix": a["ascend_conda_prefix"],
                  "conda_env": a["ascend_conda_env"]},
    }
    if level >= 1:
        facts["accounts"] = {"user": {"name": h["hdk_user"], "uid": h["hdk_uid"], "gid": h["hdk_gid"]},
                             "group": {"name": h["hdk_group"], "gid": h["hdk_gid"]}}
        facts["hdk"] = {"driver": want(m, "driver"), "firmware": want(m, "firmware")}
        facts["npu_smi"] = {"answers": True, "kind": None, "message": "", "version": want(m, "driver"), "devices": count}
    if level >= 2:
        facts["cann"] = {"recorded_root": a["ascend_root"], "toolkit": want(m, "toolkit"), "kernels": want(m, "kernels"),
                         "nnal": want(m, "nnal"), "layout": "8.5" if want(m, "toolkit").startswith("8.5") else "8.3"}
    env = facts["conda"]["env"]
    if level >= 3:
        facts["conda"].update(installed=True, version=want(m, "conda"), envs={env["name"]: env_path})
        env.update(exists=True, python=want(m, "python") + ".13",
                   site_packages="%s/lib/python%s/site-packages" % (env_path, want(m, "python")))
        env["packages"] = _requirement_packages(c["conda_build_requirements"] + c["conda_cann_python_deps"], m)
    if level >= 4:
        env["packages"].update((normalize_name(p), want(m, p)) for p in STACK_COMPONENTS)
        so = SO % arch
        env["files"] = {"triton_init": True, "deep_ep_so": [so], "deep_ep_links": {so: "deep_ep/" + so}}
    src = v["verl_src_dir"]
    if level >= 5:
        facts["requirements"] = {src + "/requirements-npu.txt": REQUIREMENTS_NPU % want(m, "triton_ascend")}
        facts["globs"] = {src + "/recipe/*": [{"path": src + "/recipe/dapo", "link": None}]}
    if level >= 6:
        text = facts["requirements"][src + "/requirements-npu.txt"]
        env["packages"].update(_requirement_packages(requirement_lines(text), m))
        env["packages"]["verl"] = want(m, "verl")
        env["editable"] = {"verl": src}
    for key, value in overrides.items():
        *path, last = key.split(".")
        target = facts
        for part in path:
            target = target[part]
        target[last] = value
    return facts


@pytest.fixture
def manifest():
    return load_manifest


@pytest.fixture
def knobs():
    return load_knobs


@pytest.fixture
def facts():
    return node_facts
