"""The conda plan: conda itself, the env and its Python, CANN's Python dependencies."""

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans import conda

STACKS = ["seed", "v0.8"]


def requirements(k):
    return list(k["conda_build_requirements"]) + list(k["conda_cann_python_deps"])


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("arch, installer", [("aarch64", "miniforge"), ("x86_64", "miniforge"), ("x86_64", "miniconda")])
def test_nothing_installed(manifest, knobs, facts, stack, arch, installer):
    m, k = manifest(stack), knobs("conda", conda_installer=installer)
    out = conda.conda(m, facts("cann", stack, arch=arch), k)
    python = str(m["components"]["python"]["version"])
    file = m["components"]["conda"]["files"][installer].replace("{arch}", arch)
    assert out["problems"] == []
    assert [s["name"] for s in out["steps"]] == ["conda", "env", "pip"]
    assert out["install"] == {"name": "conda", "file": file,
                              "why": "conda: not installed under %s (%s)" % (k["ascend_conda_prefix"], installer)}
    assert (out["installer"], out["python"], out["env_action"]) == (file, python, "create")
    assert out["steps"][1]["why"] == "env verl-sglang: absent, created with Python " + python
    assert out["pip"]["args"] == requirements(k)
    assert out["pip"]["why"] == "CANN Python dependencies: " + ", ".join(requirements(k))


def test_conda_there_env_absent(manifest, knobs, facts):
    out = conda.conda(manifest("seed"), facts("conda", **{"conda.env.exists": False, "conda.env.python": None}),
                      knobs("conda"))
    assert [s["name"] for s in out["steps"]] == ["env", "pip"] and out["install"] is None


@pytest.mark.parametrize("stack", STACKS)
def test_converged(manifest, knobs, facts, stack):
    out = conda.conda(manifest(stack), facts("conda", stack), knobs("conda"))
    assert out["done"] and out["pip"] is None and out["env_action"] is None


def test_env_with_another_python_is_left_alone(manifest, knobs, facts):
    m = manifest("seed")
    out = conda.conda(m, facts("conda", **{"conda.env.python": "3.10.14"}), knobs("conda"))
    python = str(m["components"]["python"]["version"])
    assert len(out["problems"]) == 1
    assert out["problems"][0].startswith("conda env verl-sglang (/opt/miniforge3/envs/verl-sglang) has Python 3.10.14, "
                                         "not %s; it was left untouched" % python)
    assert out["env_action"] is None


def test_env_with_another_python_recreated_when_asked(manifest, knobs, facts):
    k = knobs("conda", conda_recreate_env=True)
    out = conda.conda(manifest("seed"), facts("conda", **{"conda.env.python": "3.10.14"}), k)
    assert out["problems"] == []
    assert [s["name"] for s in out["steps"]] == ["env", "pip"]
    assert out["env_action"] == "recreate" and "found 3.10.14 (conda_recreate_env)" in out["steps"][0]["why"]
    assert out["pip"]["args"] == requirements(k)      # a new env takes every dependency


def test_conda_python_version_knob(manifest, knobs, facts):
    out = conda.conda(manifest("seed"), facts("conda", **{"conda.env.python": "3.10.14"}),
                      knobs("conda", conda_python_version="3.10"))
    assert out["done"] and out["python"] == "3.10"


@pytest.mark.parametrize("packages, unmet", [
    ({"numpy": "2.1.0"}, "numpy<2.0.0 (found 2.1.0)"),
    ({"scipy": None}, "scipy (not installed)"),
    ({"typing-extensions": None}, "typing_extensions (not installed)"),
])
def test_one_dependency_unmet(manifest, knobs, facts, packages, unmet):
    f = facts("conda")
    f["conda"]["env"]["packages"].update(packages)
    out = conda.conda(manifest("seed"), f, knobs("conda"))
    assert [s["name"] for s in out["steps"]] == ["pip"]
    assert out["pip"]["why"] == "CANN Python dependencies: " + unmet
    assert out["pip"]["args"] == requirements(knobs("conda"))


@pytest.mark.parametrize("knob, value, problem", [
    ("conda_python_version", "3", "the env's Python is 3; want X.Y (conda_python_version)"),
    ("conda_python_version", "3.11.4", "the env's Python is 3.11.4; want X.Y (conda_python_version)"),
    ("conda_python_version", "python3.11", "the env's Python is python3.11; want X.Y (conda_python_version)"),
    ("ascend_conda_env", "base", "ascend_conda_env = base: letters, digits, . _ - and not base"),
    ("ascend_conda_env", "my env", "ascend_conda_env = my env: letters, digits, . _ - and not base"),
    ("conda_installer", "anaconda", "conda_installer = anaconda, but the stack manifest has installers for "
                                    "miniconda, miniforge"),
])
def test_bad_knobs(manifest, knobs, facts, knob, value, problem):
    out = conda.conda(manifest("seed"), facts("cann"), knobs("conda", **{knob: value}))
    assert problem in out["problems"]


def test_installer_missing_from_the_manifest(manifest, knobs, facts):
    m = manifest("v0.8")
    del m["components"]["conda"]["files"]
    out = conda.conda(m, facts("cann"), knobs("conda"))
    assert "conda_installer = miniforge, but the stack manifest has installers for none" in out["problems"]


CONDARC, HOOK = "/opt/miniforge3/.condarc", "/etc/profile.d/conda.sh"
# What the action renders for the role's templates (tasks/main.yml), and node copies of them.
RENDERED = [{"src": "condarc.j2", "dest": CONDARC, "checksum": "a" * 40, "mode": "0644", "owner": "root", "group": "root"},
            {"src": "profile_conda.sh.j2", "dest": HOOK, "checksum": "b" * 40, "mode": "0644", "owner": "root",
             "group": "root"}]
SAME = {CONDARC: {"exists": True, "checksum": "a" * 40, "mode": "0644", "owner": "root", "group": "root"},
        HOOK: {"exists": True, "checksum": "b" * 40, "mode": "0644", "owner": "root", "group": "root"}}


def node_copy(path, **changes):
    out = dict(SAME[path])
    out.update(changes)
    return out


@pytest.mark.parametrize("found, whys", [
    ({}, [CONDARC + ": absent", HOOK + ": absent"]),
    ({CONDARC: SAME[CONDARC], HOOK: {"exists": False}}, [HOOK + ": absent"]),
    ({CONDARC: SAME[CONDARC], HOOK: node_copy(HOOK, checksum="c" * 40)}, [HOOK + ": content differs"]),
    ({CONDARC: SAME[CONDARC], HOOK: node_copy(HOOK, mode="0600")}, [HOOK + ": mode 0600, wanted 0644"]),
    ({CONDARC: node_copy(CONDARC, owner="conda"), HOOK: SAME[HOOK]}, [CONDARC + ": owner conda, wanted root"]),
    (SAME, []),
], ids=["both-absent", "hook-absent", "hook-edited", "hook-mode", "condarc-owner", "both-right"])
def test_managed_files_only_when_they_differ(manifest, knobs, facts, found, whys):
    f = facts("conda")
    f["files"] = found
    out = conda.conda(manifest("seed"), f, knobs("conda"), {"rendered": RENDERED})
    assert [s["why"] for s in out["files"]] == whys
    by_dest = dict((r["dest"], r) for r in RENDERED)
    for step in out["files"]:      # what the role's template task needs
        want = by_dest[step["dest"]]
        assert (step["src"], step["mode"], step["owner"], step["group"]) == (
            want["src"], want["mode"], want["owner"], want["group"])
    assert out["done"] == (not whys)
