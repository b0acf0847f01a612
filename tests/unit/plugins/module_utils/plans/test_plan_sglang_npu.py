"""The SGLang stack plan: verl's install_sglang_mcore_npu.sh as idempotent steps (A2/A3, seed and
v0.8 lines), or the script as-is (upstream_script)."""

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans import python_stack as ps
from ansible_collections.ascend_verl.cluster.plugins.module_utils.version import normalize_name

SEED_A2 = [("sources", "unpack"), ("the torch stack", "pip"), ("pyproject", "copy"), ("SGLang {sglang}", "pip"),
           ("sgl-kernel-npu", "kernels"), ("deep_ep_link", "deep_ep_link"), ("Megatron-LM, MindSpeed, mbridge", "pip"),
           ("triton, triton-ascend, timm", "pip"), ("triton-ascend {triton_ascend}", "pip"), ("numpy {numpy}", "pip")]
V08 = SEED_A2[:1] + [("setuptools-scm", "pip")] + SEED_A2[1:]
EMPTY = {"conda.env.packages": {}}      # an env just created: nothing in it yet


def v(m, component):
    return str(m["components"][component]["version"])


def names(m, table):
    fill = dict((c, v(m, c)) for c in ("sglang", "triton_ascend", "numpy"))
    return [(n.format(**fill), kind) for n, kind in table]


def run(m, knobs, facts, state="conda", npu="A2", arch="aarch64", knob=None, **overrides):
    return ps.sglang_npu(m, facts(state, m["name"], npu, arch, **overrides),
                         knobs("sglang_npu", ascend_npu_device=npu, **(knob or {})))


def pins(args):
    """pip arguments with each "name==version" name PEP 503 normalised (pip reads torch_npu as torch-npu)."""
    return [normalize_name(a.split("==")[0]) + "==" + a.split("==")[1] if "==" in a and not a.startswith("-") else a
            for a in args]


def step(out, name):
    return next(s for s in out["steps"] if s["name"] == name)


@pytest.mark.parametrize("state, overrides", [("cann", {}), ("conda", {"conda.env.site_packages": None})])
def test_env_missing(manifest, knobs, facts, state, overrides):
    out = run(manifest("seed"), knobs, facts, state, **overrides)
    assert out["problems"] == ["conda env verl-sglang (/opt/miniforge3/envs/verl-sglang) does not exist: the conda role "
                               "creates it first"]
    assert out["steps"] == [] and out["todo"] == []


def test_fresh_env_seed_a2(manifest, knobs, facts):
    m, k = manifest("seed"), knobs("sglang_npu")
    out = run(m, knobs, facts, **EMPTY)
    c, src = m["components"], k["sglang_npu_src_dir"]
    assert [(s["name"], s["kind"]) for s in out["steps"]] == names(m, SEED_A2)
    sglang_dir = "%s/sglang-%s" % (src, c["sglang"]["ref"])
    kernels_dir = "%s/sgl-kernel-npu-%s-A2" % (src, c["sgl_kernel_npu"]["ref"])
    assert [a["file"] for a in out["steps"][0]["archives"]] == [
        c[p]["files"]["any"] for p in ("sglang", "sgl_kernel_npu", "mindspeed", "megatron_core")]
    assert out["steps"][0]["archives"][:2] == [{"file": c["sglang"]["files"]["any"], "dest": sglang_dir},
                                               {"file": c["sgl_kernel_npu"]["files"]["any"], "dest": kernels_dir}]
    torch = step(out, "the torch stack")
    assert pins(torch["args"]) == ["torch==" + v(m, "torch"), "torch-npu==" + v(m, "torch_npu"),
                                   "torchvision==" + v(m, "torchvision"), "pybind11", "click==8.2.1", "numpy<2.0.0",
                                   "cachetools"]
    assert step(out, "pyproject") == {
        "name": "pyproject", "kind": "copy", "src": sglang_dir + "/python/" + c["sglang"]["pyproject"],
        "dest": sglang_dir + "/python/pyproject.toml", "why": "SGLang's NPU pyproject (%s)" % c["sglang"]["pyproject"]}
    sglang = step(out, "SGLang " + v(m, "sglang"))
    assert (sglang["args"], sglang["chdir"], sglang["env"]) == (
        ["--no-build-isolation", "-e", "python[srt_npu]"], sglang_dir, {"SETUPTOOLS_SCM_PRETEND_VERSION": v(m, "sglang")})
    kernels = step(out, "sgl-kernel-npu")
    assert (kernels["dir"], kernels["build"], kernels["build_args"], kernels["wheels_dir"]) == (
        kernels_dir, True, [[], ["-a", "deepep2"]], kernels_dir + "/output")
    assert step(out, "Megatron-LM, MindSpeed, mbridge")["args"][-1] == "mbridge==" + v(m, "mbridge")
    assert out["steps"][-3]["verb"] == "uninstall" and out["steps"][-3]["args"] == ["-y", "triton", "triton-ascend", "timm"]
    assert pins(out["steps"][-2]["args"]) == ["--no-deps", "triton-ascend==" + v(m, "triton_ascend")]
    assert out["steps"][-1]["args"] == ["--no-deps", "numpy==" + v(m, "numpy")]


def test_fresh_env_seed_a3_builds_once(manifest, knobs, facts):
    out = run(manifest("seed"), knobs, facts, npu="A3", **EMPTY)
    assert step(out, "sgl-kernel-npu")["build_args"] == [[]]


@pytest.mark.parametrize("npu", ["A3", "A2"])
def test_fresh_env_v08(manifest, knobs, facts, npu):
    m = manifest("v0.8")
    out = run(m, knobs, facts, npu=npu, **EMPTY)
    assert [(s["name"], s["kind"]) for s in out["steps"]] == names(m, V08)
    zip_file = m["components"]["sgl_kernel_npu"]["files"][npu].replace("{arch}", "aarch64")
    assert out["steps"][0]["archives"][1]["file"] == zip_file
    kernels = step(out, "sgl-kernel-npu")
    assert (kernels["build"], kernels["build_args"], kernels["wheels_dir"]) == (False, [], kernels["dir"])
    assert step(out, "the torch stack")["args"][-1] == "pyyaml"
    assert step(out, "pyproject")["src"].endswith("/python/" + m["components"]["sglang"]["pyproject"])


@pytest.mark.parametrize("stack", ["seed", "v0.8"])
@pytest.mark.parametrize("npu", ["A2", "A3"])
def test_converged(manifest, knobs, facts, stack, npu):
    out = run(manifest(stack), knobs, facts, "stack", npu)
    assert out["done"] and out["todo"] == []


def test_only_numpy_moved(manifest, knobs, facts):
    m = manifest("seed")
    out = run(m, knobs, facts, "stack", **{"conda.env.packages.numpy": "2.1.0"})
    assert [s["name"] for s in out["steps"]] == ["numpy " + v(m, "numpy")]
    assert out["todo"] == ["numpy: wanted %s, found 2.1.0" % v(m, "numpy")]


def test_upstream_triton_present(manifest, knobs, facts):
    m = manifest("seed")
    out = run(m, knobs, facts, "stack", **{"conda.env.packages.triton": "3.3.1"})
    # the numpy pin goes back after any install (the installs may move it)
    assert [s["name"] for s in out["steps"]] == ["triton, triton-ascend, timm", "triton-ascend " + v(m, "triton_ascend"),
                                                 "numpy " + v(m, "numpy")]
    assert out["steps"][0]["why"] == "remove triton and timm (they share or shadow triton/)"


def test_triton_init_clobbered(manifest, knobs, facts):
    out = run(manifest("seed"), knobs, facts, "stack", **{"conda.env.files.triton_init": False})
    assert out["todo"] == ["triton wanted absent with triton-ascend's triton/__init__.py intact, found "
                           "triton/__init__.py missing"]
    assert len(out["steps"]) == 3 and out["steps"][-1]["args"][-1].startswith("numpy==")


@pytest.mark.parametrize("links", [{}, {"deep_ep_cpp.cpython-311-aarch64-linux-gnu.so": None}])
def test_deep_ep_link_only(manifest, knobs, facts, links):
    out = run(manifest("seed"), knobs, facts, "stack", **{"conda.env.files.deep_ep_links": links})
    assert [s["kind"] for s in out["steps"]] == ["deep_ep_link"]


def test_without_megatron(manifest, knobs, facts):
    m = manifest("seed")
    knob = {"sglang_npu_megatron": False}
    out = run(m, knobs, facts, knob=knob, **EMPTY)
    assert "Megatron-LM, MindSpeed, mbridge" not in [s["name"] for s in out["steps"]]
    c = m["components"]
    assert [a["file"] for a in out["steps"][0]["archives"]] == [c["sglang"]["files"]["any"], c["sgl_kernel_npu"]["files"]["any"]]
    assert not any(t.split(":")[0] in ps.MEGATRON_PINS for t in out["todo"])
    stack = facts("stack")
    for pin in ps.MEGATRON_PINS:
        stack["conda"]["env"]["packages"].pop(pin.replace("_", "-"))
    assert ps.sglang_npu(m, stack, knobs("sglang_npu", **knob))["done"]


@pytest.mark.parametrize("arch, offline, index", [("x86_64", False, True), ("x86_64", True, False),
                                                  ("aarch64", False, False)])
def test_torch_cpu_index(manifest, knobs, facts, arch, offline, index):
    k = knobs("sglang_npu")
    out = run(manifest("seed"), knobs, facts, arch=arch, knob={"conda_pip_offline": offline}, **EMPTY)
    args = step(out, "the torch stack")["args"]
    assert (args[0] == "--extra-index-url=" + k["sglang_npu_torch_index_url"]) is index
    assert sum(a.startswith("--extra-index-url") for a in args) == int(index)


# ---- upstream_script ---------------------------------------------------------------------------

UPSTREAM = {"sglang_npu_method": "upstream_script"}
MIRRORS = {"https://github.com/": "https://git.example.internal/github/",
           "https://gitcode.com/": "https://git.example.internal/gitcode/"}


def upstream(m, knobs, facts, npu="A2", **knob):
    out = run(m, knobs, facts, npu=npu, knob=dict(UPSTREAM, **knob), **EMPTY)
    assert [(s["name"], s["kind"]) for s in out["steps"]] == [("upstream", "upstream")]
    return out


@pytest.mark.parametrize("npu, megatron", [("A2", True), ("A3", False)])
def test_upstream_offline(manifest, knobs, facts, npu, megatron):
    m, k = manifest("seed"), knobs("sglang_npu")
    out = upstream(m, knobs, facts, npu, sglang_npu_megatron=megatron)
    assert out["steps"][0]["env"] == {
        "NPU_DEVICE": npu, "USE_MEGATRON": "1" if megatron else "0",
        "CONDA_PREFIX": "%s/envs/%s" % (k["ascend_conda_prefix"], k["ascend_conda_env"]),
        "CONDA_DEFAULT_ENV": k["ascend_conda_env"],
        "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "%s/%s" % (k["conda_wheelhouse_dir"], m["name"])}
    assert out["steps"][0]["verl_archive"] == m["components"]["verl"]["files"]["any"]
    assert out["steps"][0]["why"].startswith("verl's install_sglang_mcore_npu.sh as-is: torch: wanted ")


def test_upstream_online_with_mirrors_and_env(manifest, knobs, facts):
    out = upstream(manifest("seed"), knobs, facts, conda_pip_offline=False, conda_pip_index_url="https://pypi.internal/simple",
                   conda_pip_extra_index_urls=["https://a.internal/simple", "https://b.internal/simple"],
                   conda_pip_trusted_hosts=["a.internal", "b.internal"], sglang_npu_upstream_git_mirrors=MIRRORS,
                   sglang_npu_upstream_env={"HTTPS_PROXY": "http://proxy:3128", "NPU_DEVICE": "A3", "MAX_JOBS": 8})
    env = out["steps"][0]["env"]
    assert "PIP_NO_INDEX" not in env and "PIP_FIND_LINKS" not in env
    assert (env["PIP_INDEX_URL"], env["PIP_EXTRA_INDEX_URL"], env["PIP_TRUSTED_HOST"]) == (
        "https://pypi.internal/simple", "https://a.internal/simple https://b.internal/simple", "a.internal b.internal")
    assert dict((k, env[k]) for k in env if k.startswith("GIT_CONFIG")) == {
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": "url.https://git.example.internal/gitcode/.insteadOf", "GIT_CONFIG_VALUE_0": "https://gitcode.com/",
        "GIT_CONFIG_KEY_1": "url.https://git.example.internal/github/.insteadOf", "GIT_CONFIG_VALUE_1": "https://github.com/"}
    assert (env["HTTPS_PROXY"], env["NPU_DEVICE"], env["MAX_JOBS"]) == ("http://proxy:3128", "A3", "8")  # merged last


def test_upstream_credentials_stay_out_of_the_plan(manifest, knobs, facts):
    """The plan is shown and its env becomes the task's environment (printed at -vvv): no password in either."""
    out = upstream(manifest("seed"), knobs, facts, conda_pip_offline=False,
                   conda_pip_index_url="https://u:S3cret@pypi.internal/simple",
                   conda_pip_extra_index_urls=["https://v:S3cret2@a.internal/simple"],
                   sglang_npu_upstream_env={"HTTPS_PROXY": "http://p:S3cret3@proxy:3128", "NO_PROXY": "localhost",
                                            "PROXY_PASSWORD": "S3cret4"})
    env = out["steps"][0]["env"]
    assert (env["PIP_INDEX_URL"], env["PIP_EXTRA_INDEX_URL"]) == ("https://pypi.internal/simple", "https://a.internal/simple")
    assert env["NO_PROXY"] == "localhost" and "HTTPS_PROXY" not in env and "PROXY_PASSWORD" not in env
    assert "S3cret" not in repr(out)


def test_upstream_online_without_index_knobs(manifest, knobs, facts):
    env = upstream(manifest("seed"), knobs, facts, conda_pip_offline=False)["steps"][0]["env"]
    assert not [k for k in env if k.startswith(("PIP_", "GIT_CONFIG"))]


@pytest.mark.parametrize("stack, verl_pinned", [("seed", False), ("v0.8", True)])
def test_upstream_verl_pin(manifest, knobs, facts, stack, verl_pinned):
    m = manifest(stack)
    out = upstream(m, knobs, facts)
    assert ("verl: wanted %s, found nothing" % v(m, "verl") in out["todo"]) is verl_pinned
    converged = ps.sglang_npu(m, facts("stack", stack), knobs("sglang_npu", **UPSTREAM))
    assert converged["done"] is not verl_pinned


def test_upstream_nothing_to_do(manifest, knobs, facts):
    out = ps.sglang_npu(manifest("v0.8"), facts("full", "v0.8"), knobs("sglang_npu", **UPSTREAM))
    assert out["done"]


def test_megatron_false_as_a_string(manifest, knobs, facts):
    out = run(manifest("seed"), knobs, facts, knob={"sglang_npu_megatron": "false"}, **EMPTY)
    assert "Megatron-LM, MindSpeed, mbridge" not in [s["name"] for s in out["steps"]]
