"""The Python half of the offline mirror: conda installer stand-in, wheelhouse, sources."""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from sim import artifacts, pyartifacts, wheels  # noqa: E402


@pytest.fixture(scope="module")
def seed():
    return dict(pyartifacts.generate(artifacts.load_manifest("seed"), "x86_64"))


@pytest.fixture(scope="module")
def v08():
    return dict(pyartifacts.generate(artifacts.load_manifest("v0.8"), "x86_64"))


def test_deterministic(seed):
    again = dict(pyartifacts.generate(artifacts.load_manifest("seed"), "x86_64"))
    assert sorted(again) == sorted(seed)
    for name in seed:
        assert hashlib.sha256(again[name]).digest() == hashlib.sha256(seed[name]).digest(), name


def test_stub_wheel_names_versions_and_marker():
    name, data = wheels.build("torch-npu", "2.7.1.post2", packages=["torch_npu"])
    assert name == "torch_npu-2.7.1.post2-py3-none-any.whl"
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert "Version: 2.7.1.post2" in zf.read("torch_npu-2.7.1.post2.dist-info/METADATA").decode()
    assert "SIMCLUSTER_STUB = True" in zf.read("torch_npu/__init__.py").decode()


def test_wheelhouse_has_its_own_checksums(seed):
    tar = tarfile.open(fileobj=io.BytesIO(seed["python-wheelhouse-seed-py311-linux-x86_64.tar"]))
    files = dict((m.name, tar.extractfile(m).read()) for m in tar.getmembers() if m.isfile())
    sums = dict(line.split("  ")[::-1] for line in files.pop("wheelhouse/SHA256SUMS").decode().splitlines())
    assert set("wheelhouse/" + n for n in sums) == set(files)
    for name, digest in sums.items():
        assert hashlib.sha256(files["wheelhouse/" + name]).hexdigest() == digest
    names = " ".join(sums)
    for wanted in ("torch-2.7.1-", "torch_npu-2.7.1.post2-", "triton_ascend-3.2.0-", "numpy-1.26.4-",
                   "setuptools-80.9.0-", "mbridge-0.15.1-"):
        assert wanted in names, wanted


def test_a2_build_gives_deep_ep_only_like_upstream(seed):
    tar = tarfile.open(fileobj=io.BytesIO(seed["sgl-kernel-npu-46b73de.tar.gz"]))
    names = [m.name for m in tar.getmembers()]
    assert [n for n in names if "/prebuilt/deepep2/" in n] == [
        "sgl-kernel-npu/prebuilt/deepep2/deep_ep-1.2.1-py3-none-any.whl"]
    assert len([n for n in names if "/prebuilt/full/" in n]) == 3


def test_v08_has_both_release_zips_and_the_scm_pyproject(v08):
    for variant in ("910b", "a3"):
        name = "sgl-kernel-npu-2026.02.01-torch2.8.0-py311-cann8.5.0-%s-x86_64.zip" % variant
        zf = zipfile.ZipFile(io.BytesIO(v08[name]))
        assert sorted(n.split("-")[0] for n in zf.namelist()) == ["deep_ep", "sgl_kernel_npu", "torch_memory_saver"]
    tar = tarfile.open(fileobj=io.BytesIO(v08["sglang-v0.5.10.tar.gz"]))
    pyproject = tar.extractfile("sglang/python/pyproject_npu.toml").read().decode()
    assert 'fallback_version = "0.0.0.dev0"' in pyproject and 'dynamic = ["version"]' in pyproject


def test_verl_archive_has_requirements_and_recipe(seed):
    tar = tarfile.open(fileobj=io.BytesIO(seed["verl-v0.7.1.tar.gz"]))
    req = tar.extractfile("verl/requirements-npu.txt").read().decode()
    assert "triton-ascend==3.2.0" in req and "numpy<2.0.0" in req
    assert tar.getmember("verl/recipe/r1_ascend/deepscaler.py") and tar.getmember("verl/setup.py")


def test_conda_installer_and_standin(seed, tmp_path):
    installer = tmp_path / "Miniforge3.sh"
    installer.write_bytes(seed["Miniforge3-25.3.1-0-Linux-x86_64.sh"])
    prefix = tmp_path / "mf"

    def run(*argv):
        return subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              check=False)

    assert run("bash", str(installer), "-b", "-p", str(prefix)).returncode == 0
    again = run("bash", str(installer), "-b", "-p", str(prefix))
    assert again.returncode == 1 and "ERROR: File or directory already exists" in again.stderr
    conda = str(prefix / "bin" / "conda")
    assert run(conda, "--version").stdout.strip() == "conda 25.3.1"
    assert run(conda, "create", "-n", "verl-sglang", "python=3.11", "-y").returncode == 0
    envs = json.loads(run(conda, "env", "list", "--json").stdout)["envs"]
    assert envs == [str(prefix), str(prefix / "envs" / "verl-sglang")]
    out = run(conda, "run", "-n", "verl-sglang", "python", "-m", "pip", "--version").stdout
    assert out.startswith("pip 24.3.1") and str(prefix / "envs" / "verl-sglang") in out
    refused = run(conda, "create", "-n", "old", "python=3.10", "-y")
    assert refused.returncode == 1 and "PackagesNotFoundError" in refused.stderr and "python=3.10" in refused.stderr
    missing = run(conda, "run", "-n", "nope", "true")
    assert missing.returncode == 1 and "EnvironmentLocationNotFound" in missing.stderr
    meta = os.listdir(str(prefix / "envs" / "verl-sglang" / "conda-meta"))
    assert any(m.startswith("python-3.11.") and m.endswith(".json") for m in meta)
