"""conda, the env and its contents, read on the node itself."""

import json

CONDA = "/opt/miniforge3/bin/conda"
ENV = "/opt/miniforge3/envs/verl-sglang"


def test_env_listed_with_python_311(host):
    envs = json.loads(host.check_output("%s env list --json" % CONDA))["envs"]
    assert ENV in envs
    version = host.check_output("%s run -n verl-sglang python -c 'import platform; print(platform.python_version())'"
                                % CONDA)
    assert version.startswith("3.11.")


def test_condarc_has_the_mirror_and_is_offline(host):
    rc = host.file("/opt/miniforge3/.condarc").content_string
    assert "  - https://conda-mirror.example.internal/conda-forge" in rc and "offline: true" in rc
    info = json.loads(host.check_output("%s info --json" % CONDA))
    assert info["channels"] == ["https://conda-mirror.example.internal/conda-forge"]


def test_cann_python_deps_from_the_wheelhouse(host):
    for name in ("attrs", "decorator", "sympy", "cffi", "pyyaml", "psutil", "protobuf", "scipy", "absl-py"):
        assert host.run("%s/bin/python -m pip show -q %s" % (ENV, name)).rc == 0, name
    numpy = host.check_output("%s/bin/python -c 'import importlib.metadata as m; print(m.version(\"numpy\"))'" % ENV)
    assert numpy.startswith("1.")


def test_wheelhouse_verified_on_the_node(host):
    assert host.run("cd /var/cache/ascend_verl/wheelhouse/seed && sha256sum --check --quiet SHA256SUMS").rc == 0


def test_login_shells_have_conda_activate(host):
    assert host.check_output("bash -lc 'type -t conda'") == "function"
    out = host.check_output("bash -lc 'conda activate verl-sglang && python -c \"import sys; print(sys.prefix)\" "
                            "&& echo $CONDA_DEFAULT_ENV'")
    assert out.splitlines() == [ENV, "verl-sglang"]
    missing = host.run("bash -lc 'conda activate nope'")
    assert missing.rc == 1 and "EnvironmentNameNotFound: Could not find conda environment: nope" in missing.stderr
