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
from sim import artifacts, pylock, pyartifacts, pypi, wheels  # noqa: E402


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


@pytest.fixture(scope="module")
def torch_npu_site(tmp_path_factory):
    """The stub torch and torch_npu wheels of the seed stack, pip-installed into a directory."""
    manifest, tmp = artifacts.load_manifest("seed"), tmp_path_factory.mktemp("torch_npu")
    stubs = dict(pyartifacts.stub_wheels(manifest, "x86_64"))
    paths = []
    for name in stubs:
        if name.startswith(("torch-", "torch_npu-")):
            (tmp / name).write_bytes(stubs[name])
            paths.append(str(tmp / name))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index",
                    "--no-deps", "--target", str(tmp / "site")] + paths, check=True)
    dev = tmp / "dev"
    dev.mkdir()
    # a node's /dev after the driver: davinci0..7 plus what is not a device
    for name in ["davinci%d" % i for i in range(8)] + ["davinci_manager", "davinci_manager_docker", "davincix",
                                                       "devmm_svm", "hisi_hdc"]:
        (dev / name).write_text("")
    return str(tmp / "site"), str(dev)


NPU_PROBE = """
import json, sys
import torch_npu
import torch
torch_npu.npu.DEV_DIR = sys.argv[1]
n = torch.npu.device_count()
out = {"count": n, "available": torch.npu.is_available(), "stub": torch_npu.SIMCLUSTER_STUB, "set": {}}
for i in (-1, 0, n - 1, n, "npu:%d" % max(n - 1, 0)):
    try:
        torch.npu.set_device(i)
        out["set"][str(i)] = torch.npu.current_device()
    except RuntimeError:
        out["set"][str(i)] = "RuntimeError"
print(json.dumps(out))
"""


@pytest.mark.parametrize("visible, count", [
    (None, 8),           # every /dev/davinciN, nothing else
    ("0,1", 2),
    ("7,9,3", 2),        # 9 has no device: dropped, as the runtime does
    ("5, 5,x,2", 2),     # duplicates and junk dropped
    ("12", 0),
    ("", 0),
])
def test_torch_npu_stub_sees_the_nodes_devices(torch_npu_site, visible, count):
    site, dev = torch_npu_site
    env = dict(os.environ, PYTHONPATH=site)
    env.pop("ASCEND_RT_VISIBLE_DEVICES", None)
    if visible is not None:
        env["ASCEND_RT_VISIBLE_DEVICES"] = visible
    run = subprocess.run([sys.executable, "-c", NPU_PROBE, dev], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert run.returncode == 0, run.stdout
    out = json.loads(run.stdout)
    assert (out["count"], out["available"], out["stub"]) == (count, count > 0, True)
    err = "RuntimeError"
    if count:
        assert out["set"] == {"-1": err, "0": 0, str(count - 1): count - 1, str(count): err,
                              "npu:%d" % (count - 1): count - 1}
    else:
        assert set(out["set"].values()) == {err}


def test_torch_npu_stub_without_dev(torch_npu_site, tmp_path):
    site, dummy = torch_npu_site
    code = "import torch_npu, torch, sys; torch_npu.npu.DEV_DIR = sys.argv[1]; print(torch.npu.device_count())"
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "none")], env=dict(os.environ, PYTHONPATH=site),
                         stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    assert out.strip() == "0"


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


def wheelhouse_files(generated, stack):
    tar = tarfile.open(fileobj=io.BytesIO(generated["python-wheelhouse-%s-py311-linux-x86_64.tar" % stack]))
    return dict((m.name.split("/", 1)[1], tar.extractfile(m).read()) for m in tar.getmembers() if m.isfile())


@pytest.mark.parametrize("stack", ["seed", "v0.8"])
def test_locked_wheels_are_real_and_replace_the_stubs(seed, v08, stack):
    files = wheelhouse_files({"seed": seed, "v0.8": v08}[stack], stack)
    by_dist = {}
    for name in files:
        if name.endswith(".whl"):
            by_dist.setdefault(wheels.normalise(name.split("-")[0]), []).append(name)
    for dist, version in sorted(pylock.LOCK.items()):
        found = by_dist.get(wheels.normalise(dist), [])
        assert len(found) == 1, (dist, found)         # the real wheel, no stub beside it
        name = found[0]
        assert name.split("-")[1] == version, name
        wheel = zipfile.ZipFile(io.BytesIO(files[name]))
        info = [n for n in wheel.namelist() if n.endswith(".dist-info/WHEEL")]
        assert info and b"Generator: simcluster" not in wheel.read(info[0]), name
        if not name.endswith("-none-any.whl"):        # binary: CPython 3.11 on this architecture
            assert "x86_64" in name and ("cp311" in name or "py3-none" in name), name
    for name in ("ray", "numpy"):
        assert pylock.LOCK[name] == str(artifacts.load_manifest(stack)["components"][name]["version"])
    # what stays a stub still says so
    for name in ("torch-2", "torch_npu-", "transformers-", "pyarrow-", "psutil-"):
        (stub,) = [n for n in files if n.startswith(name)]
        assert b"Generator: simcluster" in zipfile.ZipFile(io.BytesIO(files[stub])).read(
            "%s.dist-info/WHEEL" % "-".join(stub.split("-")[:2])), stub


def test_the_lock_must_fit_the_stub_pins_and_the_manifest(monkeypatch):
    monkeypatch.setitem(pylock.LOCK, "pydantic", "2.12.0")
    monkeypatch.setitem(pylock.LOCK, "ray", "2.49.0")
    with pytest.raises(ValueError) as err:
        pyartifacts.check_lock(artifacts.load_manifest("seed"))
    assert "ray 2.49.0, the manifest says 2.46.0" in str(err.value)
    assert "pydantic 2.12.0, the stub (or pypi.PINS) says 2.11.5" in str(err.value)


def test_a_cached_binary_wheel_serves_its_architecture_only(tmp_path, monkeypatch):
    monkeypatch.setattr(pypi, "CACHE", str(tmp_path))
    (tmp_path / "x86_64").mkdir()
    binary = tmp_path / "x86_64" / "PyYAML-6.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    pure = tmp_path / "six-1.17.0-py2.py3-none-any.whl"
    for path in (binary, pure):
        path.write_bytes(b"")
    assert pypi.fetch_wheel("pyyaml", "6.0.2", "x86_64") == str(binary)      # names compare normalised
    assert pypi.fetch_wheel("six", "1.17.0", "aarch64") == str(pure)         # pure: one copy for both
    monkeypatch.setattr(pypi.subprocess, "run", lambda *a, **k: pytest.fail("fetched: %s" % (a,)))
    with pytest.raises(pytest.fail.Exception):
        pypi.fetch_wheel("pyyaml", "6.0.2", "aarch64")                       # not the x86_64 file


def test_wheelhouse_installs_offline_with_hashes_and_ray_hydra_import(seed, tmp_path):
    """As the roles install it (--no-index from the checked wheelhouse), with every wheel's hash
    required: Ray with ray[default], Hydra, OmegaConf and numpy are the real ones."""
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    files = wheelhouse_files(seed, "seed")
    for name, data in files.items():
        (wheelhouse / name).write_bytes(data)
    sums = dict(line.split("  ")[::-1] for line in files["SHA256SUMS"].decode().splitlines())
    wanted = ["ray", "hydra_core", "omegaconf", "numpy", "torch", "torch_npu", "pyarrow"]
    lock = set()
    for name, digest in sums.items():
        dist, version = name.split("-")[:2]
        if wheels.normalise(dist) in set(wheels.normalise(n) for n in pylock.LOCK) | set(wanted):
            extra = "[default]" if dist == "ray" else ""
            lock.add("%s%s==%s --hash=sha256:%s" % (dist, extra, version, digest))
    (tmp_path / "req.txt").write_text("\n".join(sorted(lock)) + "\n")
    target = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                          "--no-index", "--find-links", str(wheelhouse), "--require-hashes", "--target", str(target),
                          "-r", str(tmp_path / "req.txt")],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:]
    code = ("import json, hydra, numpy, omegaconf, ray, torch, torch_npu\n"
            "print(json.dumps([ray.__version__, hydra.__version__, omegaconf.__version__, numpy.__version__,\n"
            "                  hasattr(ray, 'SIMCLUSTER_STUB'), torch.npu is torch_npu.npu]))")
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(target)),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert out.returncode == 0, out.stdout[-3000:]
    want = [pylock.LOCK["ray"], "1.3.2", "2.3.0", pylock.LOCK["numpy"], False, True]
    assert json.loads(out.stdout.splitlines()[-1]) == want


IMPORTS = """
import json, sys
import torch_npu
torch_npu.npu.DEV_DIR = sys.argv[1]        # a node's /dev: verl then takes its NPU branch (mstx, ...)
import verl, sglang, torch, transformers, tensordict
import verl.trainer.main_ppo
try:
    torch.zeros(1)
    computes = True
except NotImplementedError:
    computes = False
print(json.dumps([verl.__version__, sglang.__version__, torch_npu.__version__, torch.cuda.is_available(),
                  verl.utils.device.is_npu_available, computes,
                  [m.SIMCLUSTER_STUB for m in (torch, torch_npu, transformers, tensordict)]]))
"""


def test_verl_sglang_and_torch_npu_import_in_an_env_built_like_the_roles(seed, torch_npu_site, tmp_path):
    """The seed's `python -c "import verl, sglang, torch_npu"` in a venv built as the roles build
    the conda env, offline from the wheelhouse and the source archives: the torch stack, SGLang
    editable with the NPU pyproject, verl editable with --no-deps, requirements-npu.txt, the pins.
    The deep stubs (standins/pystubs) carry the names the import chains touch and compute
    nothing; verl.trainer.main_ppo imports too (the config tree can be composed)."""
    dummy, dev = torch_npu_site
    wheelhouse, src = tmp_path / "wheelhouse", tmp_path / "src"
    wheelhouse.mkdir()
    src.mkdir()
    for name, data in wheelhouse_files(seed, "seed").items():
        (wheelhouse / name).write_bytes(data)
    for name in ("sglang-v0.5.8.tar.gz", "verl-v0.7.1.tar.gz"):
        with tarfile.open(fileobj=io.BytesIO(seed[name])) as tar:
            tar.extractall(str(src))
    comps = artifacts.load_manifest("seed")["components"]
    venv = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")

    def pip(*args, cwd=None):
        run = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
                              "--no-index", "--find-links", str(wheelhouse)] + list(args), cwd=cwd,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        assert run.returncode == 0, run.stdout[-3000:]

    pip("setuptools==%s" % pypi.PINS["setuptools"])
    pip(*["%s==%s" % (n.replace("_", "-"), comps[n]["version"]) for n in ("torch", "torch_npu", "torchvision")]
        + ["pybind11", "click==8.2.1", "numpy<2.0.0", "cachetools"])
    tree = src / "sglang" / "python"
    (tree / "pyproject.toml").write_bytes((tree / comps["sglang"]["pyproject"]).read_bytes())
    pip("--no-build-isolation", "-e", "python[srt_npu]", cwd=str(src / "sglang"))
    pip("--no-deps", "--no-build-isolation", "-e", str(src / "verl"))
    pip("-r", str(src / "verl" / "requirements-npu.txt"))
    pip("--no-deps", *["%s==%s" % (n.replace("_", "-"), comps[n]["version"])           # the verl role's pins
                       for n in ("numpy", "transformers", "triton_ascend")])
    out = subprocess.run([python, "-c", IMPORTS, dev], cwd=str(tmp_path), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert out.returncode == 0, out.stdout[-3000:]
    assert json.loads(out.stdout.splitlines()[-1]) == ["0.7.1", "0.5.8", "2.7.1.post2", False, True, False,
                                                       [True] * 4]


def test_a2_build_gives_deep_ep_only_like_upstream(seed):
    tar = tarfile.open(fileobj=io.BytesIO(seed["sgl-kernel-npu-46b73de.tar.gz"]))
    names = [m.name for m in tar.getmembers()]
    for arch in ("aarch64", "x86_64"):
        assert [n for n in names if "/prebuilt/%s/deepep2/" % arch in n] == [
            "sgl-kernel-npu/prebuilt/%s/deepep2/deep_ep-1.2.1-py3-none-any.whl" % arch]
        assert len([n for n in names if "/prebuilt/%s/full/" % arch in n]) == 3


def test_source_archives_are_one_file_for_every_arch():
    """`artifacts` without --arch writes every arch's files into one directory: an archive that
    has one name for both must be the same bytes, or SHA256SUMS lies about one of them."""
    manifest = artifacts.load_manifest("seed")
    assert dict(pyartifacts.sources(manifest, "aarch64")) == dict(pyartifacts.sources(manifest, "x86_64"))


def test_generate_refuses_one_name_with_two_contents(tmp_path, monkeypatch):
    monkeypatch.setattr(pyartifacts, "generate", lambda manifest, arch: [("src.tar.gz", arch.encode())])
    with pytest.raises(AssertionError, match="src.tar.gz: one name, different contents per arch"):
        artifacts.generate("seed", str(tmp_path))


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


@pytest.fixture(scope="module")
def conda_prefix(seed, tmp_path_factory):
    """Miniforge from the seed stack's installer, with the verl-sglang env."""
    tmp = tmp_path_factory.mktemp("conda")
    installer = tmp / "Miniforge3.sh"
    installer.write_bytes(seed["Miniforge3-25.3.1-0-Linux-x86_64.sh"])
    prefix = tmp / "mf"
    subprocess.run(["bash", str(installer), "-b", "-p", str(prefix)], stdout=subprocess.PIPE, check=True)
    subprocess.run([str(prefix / "bin" / "conda"), "create", "-n", "verl-sglang", "python=3.11", "-y"],
                   stdout=subprocess.PIPE, check=True)
    return str(prefix)


# A shell's conda state after each step: `snap STEP RC` prints one line of these fields.
FIELDS = ("step", "rc", "python", "path", "shlvl", "env", "prefix", "prefix_1", "modifier", "ps1")
SNAP = ('snap() { printf "%s|" "$1" "$2" "$(command -v python)" "$PATH" "${CONDA_SHLVL-unset}" '
        '"${CONDA_DEFAULT_ENV-unset}" "${CONDA_PREFIX-unset}" "${CONDA_PREFIX_1-unset}" '
        '"${CONDA_PROMPT_MODIFIER-unset}" "${PS1-unset}"; echo; }\n')


def conda_shell(prefix, script):
    """bash -lc: source the installer's conda.sh, run script; -> [snapshots], stderr."""
    run = subprocess.run(["bash", "-lc", SNAP + ". %s/etc/profile.d/conda.sh; snap sourced 0\n%s" % (prefix, script)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert run.returncode == 0, run.stderr
    snaps = [dict(zip(FIELDS, line.split("|"))) for line in run.stdout.splitlines() if line.count("|") == len(FIELDS)]
    for snap in snaps:
        snap["path0"] = snap["path"].split(":")[0]
    return snaps, run.stderr


def test_conda_activate_and_deactivate_in_a_login_shell(conda_prefix):
    env = conda_prefix + "/envs/verl-sglang"
    out = subprocess.run(["bash", "-lc", ". %s/etc/profile.d/conda.sh && conda activate verl-sglang && "
                          "python -c 'import sys; print(sys.prefix)'" % conda_prefix],
                         stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    assert out.strip() == env
    snaps, dummy = conda_shell(conda_prefix, "conda activate verl-sglang; snap env $?\n"
                                             "conda deactivate; snap off $?\n")
    sourced, active, off = snaps
    assert sourced["path0"] == conda_prefix + "/condabin" and sourced["shlvl"] == "0" and sourced["ps1"] == ""
    assert active == dict(sourced, step="env", python=env + "/bin/python", path0=env + "/bin",
                          path=env + "/bin:" + sourced["path"], shlvl="1", env="verl-sglang", prefix=env,
                          modifier="(verl-sglang) ", ps1="(verl-sglang) ")
    assert off == dict(sourced, step="off")            # everything as before


@pytest.mark.parametrize("script, steps", [
    # by path; then base stacked on it and back
    ("conda activate {env}; snap path $?\nconda activate base; snap base $?\nconda deactivate; snap back $?\n",
     [("path", "0", "1", "verl-sglang", "{env}", "unset"), ("base", "0", "2", "base", "{prefix}", "{env}"),
      ("back", "0", "1", "verl-sglang", "{env}", "unset")]),
    # conda's own message and rc 1 for a missing env; the shell stays as it was
    ("conda activate nope; snap nope $?\nconda activate {prefix}/nope; snap nopath $?\n",
     [("nope", "1", "0", "unset", "unset", "unset"), ("nopath", "1", "0", "unset", "unset", "unset")]),
    # activating the active env again stacks nothing; deactivate at level 0 is a no-op
    ("conda activate verl-sglang; conda activate verl-sglang; snap again $?\nconda deactivate; conda deactivate; "
     "snap zero $?\n",
     [("again", "0", "1", "verl-sglang", "{env}", "unset"), ("zero", "0", "0", "unset", "unset", "unset")]),
], ids=["by-path-and-stacked", "missing", "again-and-below-zero"])
def test_conda_shell_function_cases(conda_prefix, script, steps):
    fill = {"env": conda_prefix + "/envs/verl-sglang", "prefix": conda_prefix}
    snaps, stderr = conda_shell(conda_prefix, script.format(**fill))
    got = [(s["step"], s["rc"], s["shlvl"], s["env"], s["prefix"], s["prefix_1"]) for s in snaps[1:]]
    assert got == [tuple(v.format(**fill) for v in step) for step in steps]
    if "nope" in script:
        assert "EnvironmentNameNotFound: Could not find conda environment: nope" in stderr
        assert "EnvironmentLocationNotFound: Not a conda environment: %s/nope" % conda_prefix in stderr
        assert snaps[1]["path"] == snaps[0]["path"]


def test_conda_shell_code_and_hook(conda_prefix):
    conda = conda_prefix + "/bin/conda"
    env = conda_prefix + "/envs/verl-sglang"
    code = subprocess.run([conda, "shell.posix", "activate", "verl-sglang"], env={"PATH": "/usr/bin:/bin", "PS1": "$ "},
                          stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout.splitlines()
    assert code[:6] == ["PS1='(verl-sglang) $ '", "export PATH='%s/bin:/usr/bin:/bin'" % env,
                        "export CONDA_PREFIX='%s'" % env, "export CONDA_SHLVL='1'",
                        "export CONDA_DEFAULT_ENV='verl-sglang'", "export CONDA_PROMPT_MODIFIER='(verl-sglang) '"]
    hook = subprocess.run([conda, "shell.bash", "hook"], stdout=subprocess.PIPE, universal_newlines=True,
                          check=True).stdout
    with open(conda_prefix + "/etc/profile.d/conda.sh") as f:
        assert hook == f.read() + "conda activate base\n"     # auto_activate_base: true without a .condarc
    direct = subprocess.run([conda, "activate", "verl-sglang"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, check=False)
    assert direct.returncode == 1 and "CondaError: Run 'conda init' before 'conda activate'" in direct.stderr
    again = subprocess.run([conda, "init", "--install"], stdout=subprocess.PIPE, universal_newlines=True, check=True)
    assert again.stdout.split() == ["no", "change", conda_prefix + "/etc/profile.d/conda.sh"]


def test_generate_without_arch_writes_each_name_once(tmp_path, monkeypatch):
    monkeypatch.setattr(pyartifacts, "generate", lambda manifest, arch: [("src.tar.gz", b"same"),
                                                                         ("wheels-%s.tar" % arch, arch.encode())])
    artifacts.generate("seed", str(tmp_path))
    sums = (tmp_path / "SHA256SUMS").read_text()
    assert sums.count("  src.tar.gz\n") == 1 and "wheels-aarch64.tar" in sums and "wheels-x86_64.tar" in sums
    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=str(tmp_path), check=False)
    assert check.returncode == 0
