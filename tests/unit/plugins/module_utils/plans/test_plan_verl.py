"""The verl plan: verl editable from verl_src_dir, requirements-npu.txt, the pins it may move,
no upstream triton."""

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans import python_stack as ps
from ansible_collections.ascend_verl.cluster.plugins.module_utils.version import normalize_name

STACKS = ["seed", "v0.8"]
PINS = ("numpy", "transformers", "triton_ascend")


def v(m, component):
    return str(m["components"][component]["version"])


def pins(args):
    """pip arguments with each "name==version" name PEP 503 normalised."""
    return [normalize_name(a.split("==")[0]) + "==" + a.split("==")[1] if "==" in a and not a.startswith("-") else a
            for a in args]


def run(m, knobs, facts, state="full", knob=None, **overrides):
    return ps.verl(m, facts(state, m["name"], **overrides), knobs("verl", **(knob or {})))


def test_env_missing(manifest, knobs, facts):
    out = run(manifest("seed"), knobs, facts, "cann")
    assert out["problems"] == ["conda env verl-sglang (/opt/miniforge3/envs/verl-sglang) does not exist: the conda role "
                               "creates it first"] and out["steps"] == []


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("offline", [True, False])
def test_not_installed(manifest, knobs, facts, stack, offline):
    m, k = manifest(stack), knobs("verl", conda_pip_offline=offline)
    src = k["verl_src_dir"]
    out = run(m, knobs, facts, "tree", knob={"conda_pip_offline": offline})
    assert out["problems"] == []
    assert [s["name"] for s in out["steps"]] == ["verl " + v(m, "verl"), "verl's requirements-npu.txt",
                                                 "the pins requirements-npu.txt may move"]
    editable, requirements, pinned = out["steps"]
    assert editable["args"] == ["--no-deps", "--no-build-isolation", "-e", src]
    assert editable["why"] == "verl: wanted %s editable from %s, found nothing" % (v(m, "verl"), src)
    index = [] if offline else (["--extra-index-url=" + u for u in k["verl_requirements_extra_index_urls"]]
                                + ["--trusted-host=" + h for h in k["verl_requirements_trusted_hosts"]])
    assert requirements["args"] == index + ["-r", src + "/requirements-npu.txt"]
    assert requirements["why"].startswith("requirements-npu.txt: accelerate (not installed), ")
    assert pins(pinned["args"]) == ["--no-deps"] + ["%s==%s" % (normalize_name(p), v(m, p)) for p in PINS]
    assert pinned["why"] == "pins: restored after requirements-npu.txt"


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("arch", ["aarch64", "x86_64"])
def test_converged(manifest, knobs, facts, stack, arch):
    m = manifest(stack)
    assert ps.verl(m, facts("full", stack, arch=arch), knobs("verl"))["done"]
    assert ps.verl(m, facts("full", stack), knobs("verl", verl_src_dir="/opt/verl/"))["done"]


@pytest.mark.parametrize("editable, found", [
    ({}, "{verl}"),
    ({"verl": "/home/alice/verl"}, "{verl} from /home/alice/verl"),
])
def test_installed_but_not_from_verl_src_dir(manifest, knobs, facts, editable, found):
    m = manifest("seed")
    out = run(m, knobs, facts, **{"conda.env.editable": editable})
    assert [s["name"] for s in out["steps"]] == ["verl " + v(m, "verl")]
    assert out["steps"][0]["why"] == "verl: wanted %s editable from /opt/verl, found %s" % (
        v(m, "verl"), found.format(verl=v(m, "verl")))


def test_requirements_file_absent(manifest, knobs, facts):
    out = run(manifest("seed"), knobs, facts, requirements={"/opt/verl/requirements-npu.txt": None})
    assert out["problems"] == ["/opt/verl/requirements-npu.txt is missing: not a verl tree of this stack"]


@pytest.mark.parametrize("globs, problem", [
    ({"/opt/verl/recipe/*": []}, True),
    ({}, False),            # not looked at
])
def test_recipe(manifest, knobs, facts, globs, problem):
    out = run(manifest("seed"), knobs, facts, globs=globs)
    assert out["problems"] == (["/opt/verl/recipe is empty: the verl-recipe submodule is missing (clone with --recursive; "
                                "the archive must include it)"] if problem else [])


def test_a_moved_pin(manifest, knobs, facts):
    m = manifest("seed")
    out = run(m, knobs, facts, **{"conda.env.packages.transformers": "4.56.0"})
    assert [s["name"] for s in out["steps"]] == ["the pins requirements-npu.txt may move"]
    assert out["steps"][0]["why"] == "pins: transformers: wanted %s, found 4.56.0" % v(m, "transformers")


def test_an_unmet_requirement(manifest, knobs, facts):
    out = run(manifest("seed"), knobs, facts, **{"conda.env.packages.tensordict": "0.9.0"})
    assert [s["name"] for s in out["steps"]] == ["verl's requirements-npu.txt", "the pins requirements-npu.txt may move"]
    assert out["steps"][0]["why"] == "requirements-npu.txt: tensordict>=0.8.0,<=0.10.0,!=0.9.0 (found 0.9.0)"


def test_triton_present(manifest, knobs, facts):
    m = manifest("v0.8")
    out = run(m, knobs, facts, **{"conda.env.packages.triton": "3.4.0"})
    assert [s["name"] for s in out["steps"]] == ["triton, triton-ascend, timm", "triton-ascend " + v(m, "triton_ascend")]
    assert out["steps"][0]["verb"] == "uninstall" and out["steps"][0]["why"] == "triton wanted absent, found 3.4.0"


def test_a_vcs_url_requirement_is_reported_not_raised(manifest, knobs, facts):
    f = facts("full")
    f["requirements"]["/opt/verl/requirements-npu.txt"] += "git+https://github.com/Ascend/TransferQueue.git@main\n"
    out = ps.verl(manifest("seed"), f, knobs("verl"))
    assert "verl's requirements-npu.txt" in [s["name"] for s in out["steps"]]
