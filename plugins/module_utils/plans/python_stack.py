# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plans for the Python stack in the verl env: verl's install_sglang_mcore_npu.sh as steps
(role sglang_npu) and verl itself (role verl).

Each step of the upstream script runs only when the env's metadata misses what the manifest
pins, in the script's order, with its defects fixed (verl_npu_stack.md 1.4): the right
sgl-kernel-npu variant for A2/A3, triton-ascend kept intact (upstream triton shares its
triton/ package), numpy<2 restored last.  Steps have a `kind` the role's tasks implement:
unpack, pip (install or uninstall), copy, kernels, deep_ep_link, upstream.
Python 3.9+, standard library only.
"""

from ansible_collections.ascend_verl.cluster.plugins.module_utils import version
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.common import (
    change, differs, file_for, marker_env, plan, wanted)
from ansible_collections.ascend_verl.cluster.plugins.module_utils.secrets import split_env, strip_userinfo
from ansible_collections.ascend_verl.cluster.plugins.module_utils.versions import package_name

KERNEL_PINS = ("sgl_kernel_npu", "deep_ep", "torch_memory_saver")
MEGATRON_PINS = ("megatron_core", "mindspeed", "mbridge")
TORCH_PINS = ("torch", "torch_npu", "torchvision")


def env_missing(facts, knobs):
    env = facts["conda"]["env"]
    if env["exists"] and env["site_packages"]:
        return []
    return ["conda env %s (%s) does not exist: the conda role creates it first" % (knobs["ascend_conda_env"], env["path"])]


def in_check_mode(inputs):
    """A check-mode run changed nothing before this role: what an earlier role would have made
    (the env, the verl tree) is missing, which is not this node's fault."""
    return bool((inputs or {}).get("check_mode"))


def pinned(manifest, knobs):
    pins = list(TORCH_PINS) + ["sglang"] + list(KERNEL_PINS) + ["triton_ascend", "numpy"]
    if knobs["sglang_npu_megatron"]:
        pins += list(MEGATRON_PINS)
    if knobs["sglang_npu_method"] == "upstream_script" and manifest["components"]["verl"].get("installed_by_upstream_script"):
        pins.append("verl")
    return pins


def pip(what, args, chdir=None, env=None, verb="install"):
    return {"name": what, "kind": "pip", "verb": verb, "what": what, "args": list(args), "chdir": chdir,
            "env": env or {}, "why": what}


def triton_steps(manifest, why):
    """triton and timm out (they share or shadow triton/), then triton-ascend alone, intact."""
    remove = pip("triton, triton-ascend, timm", ["-y", "triton", "triton-ascend", "timm"], verb="uninstall")
    remove["why"] = why
    return [remove, pip("triton-ascend " + wanted(manifest, "triton_ascend"),
                        ["--no-deps", "triton-ascend==" + wanted(manifest, "triton_ascend")])]


def sglang_todo(manifest, facts, knobs):
    """-> [(name, why)] of what the env lacks, pins first."""
    env = facts["conda"]["env"]
    todo = []
    for pin in pinned(manifest, knobs):
        found, want = env["packages"].get(package_name(pin)), wanted(manifest, pin)
        if differs(found, want):
            todo.append((pin, change(pin, want, found)))
    files = env["files"]
    if env["packages"].get("triton") or not files["triton_init"]:
        todo.append(("triton", "triton wanted absent with triton-ascend's triton/__init__.py intact, found %s" % (
            "triton " + env["packages"]["triton"] if env["packages"].get("triton") else "triton/__init__.py missing")))
    links = files["deep_ep_links"]
    if not files["deep_ep_so"] or any(links.get(so) != "deep_ep/" + so for so in files["deep_ep_so"]):
        todo.append(("deep_ep_link", "deep_ep_cpp link wanted in site-packages, found %s"
                     % (", ".join("%s -> %s" % kv for kv in sorted(links.items())) or "none")))
    return todo


def sources(manifest, knobs, device, arch):
    c, src = manifest["components"], knobs["sglang_npu_src_dir"].rstrip("/")
    kernels = c["sgl_kernel_npu"]
    return {
        "sglang": {"file": file_for(manifest, "sglang", device, arch), "dest": "%s/sglang-%s" % (src, c["sglang"]["ref"])},
        "kernels": {"file": file_for(manifest, "sgl_kernel_npu", device, arch),
                    "dest": "%s/sgl-kernel-npu-%s-%s" % (src, kernels["ref"], device)},
        "mindspeed": {"file": file_for(manifest, "mindspeed", device, arch),
                      "dest": "%s/MindSpeed-%s" % (src, c["mindspeed"]["ref"])},
        "megatron": {"file": file_for(manifest, "megatron_core", device, arch),
                     "dest": "%s/Megatron-LM-%s" % (src, c["megatron_core"]["ref"])},
    }


def task_steps(manifest, facts, knobs, names):
    device, arch = knobs["ascend_npu_device"], facts["system"]["arch"]
    c = manifest["components"]
    src = sources(manifest, knobs, device, arch)
    build = {"sglang": "sglang" in names, "kernels": bool(names & set(KERNEL_PINS)),
             "megatron": bool(knobs["sglang_npu_megatron"] and names & set(MEGATRON_PINS))}
    archives = [src[k] for k in ("sglang", "kernels") if build[k]]
    if build["megatron"]:
        archives += [src["mindspeed"], src["megatron"]]
    steps = []
    if archives:
        steps.append({"name": "sources", "kind": "unpack", "archives": archives,
                      "why": "source archives: " + ", ".join(a["file"] for a in archives)})
    if build["sglang"] and c["sglang"].get("pyproject") == "pyproject_npu.toml":
        steps.append(pip("setuptools-scm", ["setuptools-scm"]))
    if names & set(TORCH_PINS):
        index = ([] if knobs["conda_pip_offline"] or arch != "x86_64"
                 else ["--extra-index-url=" + knobs["sglang_npu_torch_index_url"]])
        steps.append(pip("the torch stack", index + ["%s==%s" % (p, wanted(manifest, p)) for p in TORCH_PINS]
                         + ["pybind11", "click==8.2.1", "numpy<2.0.0", "cachetools"]
                         + (["pyyaml"] if manifest["name"] != "seed" else [])))
    if build["sglang"]:
        tree = src["sglang"]["dest"] + "/python"
        steps.append({"name": "pyproject", "kind": "copy", "src": "%s/%s" % (tree, c["sglang"]["pyproject"]),
                      "dest": tree + "/pyproject.toml", "why": "SGLang's NPU pyproject (%s)" % c["sglang"]["pyproject"]})
        # An archive has no git metadata: without the pretend version setuptools_scm says 0.0.0.dev0.
        steps.append(pip("SGLang %s" % wanted(manifest, "sglang"), ["--no-build-isolation", "-e", "python[srt_npu]"],
                         chdir=src["sglang"]["dest"], env={"SETUPTOOLS_SCM_PRETEND_VERSION": wanted(manifest, "sglang")}))
    if build["kernels"]:
        built = "any" in (c["sgl_kernel_npu"].get("files") or {})
        steps.append({"name": "sgl-kernel-npu", "kind": "kernels", "dir": src["kernels"]["dest"], "build": built,
                      "build_args": [[], ["-a", "deepep2"]] if built and device == "A2" else ([[]] if built else []),
                      "wheels_dir": src["kernels"]["dest"] + ("/output" if built else ""),
                      "why": "sgl-kernel-npu for %s (%s)" % (device, src["kernels"]["file"])})
    if names & set(KERNEL_PINS + ("deep_ep_link",)):
        steps.append({"name": "deep_ep_link", "kind": "deep_ep_link", "why": "the deep_ep_cpp link in site-packages"})
    if build["megatron"]:
        steps.append(pip("Megatron-LM, MindSpeed, mbridge", ["--no-build-isolation", "-e", src["megatron"]["dest"],
                                                             "-e", src["mindspeed"]["dest"], "mbridge==" + wanted(manifest, "mbridge")]))
    if names & {"triton", "triton_ascend"}:
        steps += triton_steps(manifest, "remove triton and timm (they share or shadow triton/)")
    # The installs above may move numpy (the upstream script restores numpy<2 last): pin it back.
    if "numpy" in names or any(s["kind"] == "pip" and s["verb"] == "install" for s in steps):
        steps.append(pip("numpy " + wanted(manifest, "numpy"), ["--no-deps", "numpy==" + wanted(manifest, "numpy")]))
    return steps


def upstream_env(knobs, wheelhouse):
    """The environment of verl's script: NPU_DEVICE, USE_MEGATRON, the conda env, pip's source
    (offline wheelhouse or the index knobs) and git url.<mirror>.insteadOf rewrites."""
    out = {"NPU_DEVICE": knobs["ascend_npu_device"], "USE_MEGATRON": "1" if knobs["sglang_npu_megatron"] else "0",
           "CONDA_PREFIX": "%s/envs/%s" % (knobs["ascend_conda_prefix"].rstrip("/"), knobs["ascend_conda_env"]),
           "CONDA_DEFAULT_ENV": knobs["ascend_conda_env"]}
    if knobs["conda_pip_offline"]:
        out.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": wheelhouse})
    else:
        # Without userinfo: the credentials reach pip through the run's private netrc (step_upstream.yml).
        for var, value in (("PIP_INDEX_URL", strip_userinfo(knobs["conda_pip_index_url"])),
                           ("PIP_EXTRA_INDEX_URL", " ".join(strip_userinfo(knobs["conda_pip_extra_index_urls"]))),
                           ("PIP_TRUSTED_HOST", " ".join(knobs["conda_pip_trusted_hosts"]))):
            if value:
                out[var] = value
    mirrors = sorted((knobs["sglang_npu_upstream_git_mirrors"] or {}).items())
    if mirrors:
        out["GIT_CONFIG_COUNT"] = str(len(mirrors))
        for i, (upstream, mirror) in enumerate(mirrors):
            out["GIT_CONFIG_KEY_%d" % i] = "url.%s.insteadOf" % mirror
            out["GIT_CONFIG_VALUE_%d" % i] = upstream
    # A secret of sglang_npu_upstream_env (a proxy with a password) is neither in the plan, which is
    # shown, nor in the task's environment, which -vvv shows: the task sources it from a private file.
    out.update(dict((k, str(v)) for k, v in split_env(knobs["sglang_npu_upstream_env"])[0].items()))
    return out


def sglang_npu(manifest, facts, knobs, inputs=None):
    problems = env_missing(facts, knobs)
    if problems:
        if in_check_mode(inputs):
            return plan("sglang_npu", [], [], todo=[], pending=problems)
        return plan("sglang_npu", problems, [], todo=[])
    todo = sglang_todo(manifest, facts, knobs)
    names = set(n for n, dummy in todo)
    if not todo:
        steps = []
    elif knobs["sglang_npu_method"] == "upstream_script":
        wheelhouse = "%s/%s" % (knobs["conda_wheelhouse_dir"].rstrip("/"), manifest["name"])
        steps = [{"name": "upstream", "kind": "upstream", "env": upstream_env(knobs, wheelhouse),
                  "verl_archive": file_for(manifest, "verl", knobs["ascend_npu_device"], facts["system"]["arch"]),
                  "why": "verl's install_sglang_mcore_npu.sh as-is: " + "; ".join(w for dummy, w in todo)}]
    else:
        steps = task_steps(manifest, facts, knobs, names)
    return plan("sglang_npu", problems, steps, todo=[w for dummy, w in todo])


VERL_PINS = ("numpy", "transformers", "triton_ascend")


def requirements_unmet(text, installed, env):
    """Unmet lines of a requirements file; a line the metadata check cannot read (a bare
    git+https:// URL, say) counts as unmet, and pip decides."""
    out = []
    for line in version.requirement_lines(text):
        try:
            out += version.unmet([line], installed, env)
        except ValueError:
            out.append("%s (pip decides)" % line)
    return out


def verl(manifest, facts, knobs, inputs=None):
    problems = env_missing(facts, knobs)
    if problems:
        if in_check_mode(inputs):
            return plan("verl", [], [], pending=problems)
        return plan("verl", problems, [])
    env = facts["conda"]["env"]
    src = knobs["verl_src_dir"].rstrip("/")
    want = wanted(manifest, "verl")
    steps = []
    if differs(env["packages"].get("verl"), want) or env["editable"].get("verl", "").rstrip("/") != src:
        steps.append(pip("verl %s" % want, ["--no-deps", "--no-build-isolation", "-e", src]))
        steps[-1]["why"] = change("verl", "%s editable from %s" % (want, src), "%s%s" % (
            env["packages"].get("verl") or "nothing", " from " + env["editable"]["verl"] if env["editable"].get("verl") else ""))
    recipe = (facts.get("globs") or {}).get(src + "/recipe/*")
    if recipe is not None and not recipe:
        problems.append("%s/recipe is empty: the verl-recipe submodule is missing (clone with --recursive; the archive "
                        "must include it)" % src)
    text = (facts.get("requirements") or {}).get(src + "/requirements-npu.txt")
    if text is None:
        missing = "%s/requirements-npu.txt is missing: not a verl tree of this stack" % src
        if in_check_mode(inputs):          # the tree was not unpacked in check mode
            return plan("verl", problems, steps, pending=[missing])
        return plan("verl", problems + [missing], steps)
    unmet = requirements_unmet(text, env["packages"], marker_env(facts))
    moved = [p for p in VERL_PINS if differs(env["packages"].get(package_name(p)), wanted(manifest, p))]
    if unmet:
        index = [] if knobs["conda_pip_offline"] else (
            ["--extra-index-url=" + u for u in knobs["verl_requirements_extra_index_urls"]]
            + ["--trusted-host=" + h for h in knobs["verl_requirements_trusted_hosts"]])
        steps.append(pip("verl's requirements-npu.txt", index + ["-r", src + "/requirements-npu.txt"]))
        steps[-1]["why"] = "requirements-npu.txt: " + ", ".join(unmet)
    if unmet or moved:
        # requirements-npu.txt may move what the stack pins: put the pins back, without dependencies
        pins = ["%s==%s" % (package_name(p), wanted(manifest, p)) for p in VERL_PINS]
        steps.append(pip("the pins requirements-npu.txt may move", ["--no-deps"] + pins))
        steps[-1]["why"] = "pins: " + (", ".join(change(p, wanted(manifest, p), env["packages"].get(package_name(p)))
                                                 for p in moved) or "restored after requirements-npu.txt")
    if env["packages"].get("triton"):
        steps += triton_steps(manifest, "triton wanted absent, found %s" % env["packages"]["triton"])
    return plan("verl", problems, steps)
