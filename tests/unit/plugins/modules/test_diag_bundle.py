"""The diag_bundle module on this machine: a hung npu-smi is killed after the timeout and recorded,
a secret in the env file never reaches the tarball, check mode collects nothing."""

import json
import os
import stat
import tarfile

import pytest

from ansible_collections.ascend_verl.cluster.tests.unit.compat import run_module
from ansible_collections.ascend_verl.cluster.plugins.modules import diag_bundle, diag_index


@pytest.fixture
def node(tmp_path, monkeypatch):
    """A fake npu-smi that hangs on PATH, an env file with a token, an Ascend root with a driver version."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    smi = bindir / "npu-smi"
    smi.write_text("#!/bin/sh\n[ \"$1 $2\" = 'info -l' ] && exec sleep 30\necho npu-smi 25.3.rc1\n")
    smi.chmod(smi.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", "%s:%s" % (bindir, os.environ.get("PATH", "/usr/bin:/bin")))
    root = tmp_path / "Ascend"
    (root / "driver").mkdir(parents=True)
    (root / "driver" / "version.info").write_text("Version=25.3.rc1\n")
    env = tmp_path / "npu.env"
    env.write_text("ASCEND_HOME=/usr/local/Ascend\nHF_TOKEN=hf_secret_value\nMIRROR=http://u:S3cr3t-X@m/\n")
    out = tmp_path / "out"
    out.mkdir()
    return {"host": "nodeX", "npu_device": "A2", "ascend_root": str(root), "env_file": str(env),
            "ray_temp_dir": str(tmp_path / "ray"), "device_log_dirs": [str(tmp_path / "npulog")],
            "timeout": 1, "redact": ["S3cr3t-X"], "tmpdir": str(out)}


def test_a_hung_tool_is_killed_and_secrets_never_reach_the_tarball(node, capsys):
    rc, out = run_module(diag_bundle, capsys, node)
    assert rc == 0 and out["changed"] is False, out
    status = dict((e["name"], e["status"]) for e in out["manifest"])
    assert status["npu-smi/info-l.txt"] == "timeout" and status["npu-smi/info.txt"] == "ok"
    assert out["summary"]["timeouts"] == ["npu-smi/info-l.txt"]
    assert out["summary"]["required_missing"] == ["firmware", "cann"]
    assert os.path.dirname(out["path"]) == out["tmpdir"] and out["tmpdir"].startswith(node["tmpdir"])
    assert stat.S_IMODE(os.stat(out["path"]).st_mode) == 0o600
    with tarfile.open(out["path"]) as tar:
        files = dict((m.name, tar.extractfile(m).read().decode()) for m in tar.getmembers())
    env = files["nodeX/files/%s" % node["env_file"].lstrip("/")]
    assert env == "ASCEND_HOME=/usr/local/Ascend\nHF_TOKEN=***\nMIRROR=http://u:***@m/\n"
    assert not any("S3cr3t-X" in t or "hf_secret_value" in t for t in files.values())
    manifest = json.loads(files["nodeX/manifest.json"])
    assert manifest["summary"]["redactions"] == 2
    assert {"name": "hccn/*", "component": "fabric",
            "reason": "hccn_tool not found: the NPU driver is not installed"} in manifest["missing"]
    assert "S3cr3t-X" not in json.dumps(out)


def test_check_mode_says_what_would_be_collected_and_collects_nothing(node, capsys):
    rc, out = run_module(diag_bundle, capsys, dict(node, _ansible_check_mode=True))
    assert rc == 0 and out["check_mode"] is True and "path" not in out
    assert os.listdir(node["tmpdir"]) == []
    sources = dict((i["name"], i["source"]) for i in out["plan"])
    assert sources["npu-smi/info.txt"].endswith("npu-smi info")
    assert "cat %s" % node["env_file"] in sources.values()


def test_the_index_module_lists_every_host(tmp_path, node, capsys):
    rc, made = run_module(diag_bundle, capsys, node)
    bundle = tmp_path / "run" / "nodeX.tar.gz"
    bundle.parent.mkdir()
    os.rename(made["path"], str(bundle))
    hosts = {"nodeX": {"collect": made, "fetch": {"changed": True}, "bundle": str(bundle)},
             "nodeY": {"unreachable": True, "msg": "not collected (failed earlier in this run)"}}
    rc, out = run_module(diag_index, capsys, {"hosts": hosts, "report_dir": str(bundle.parent), "redacted_values": 1})
    assert rc == 0 and out["changed"] is False
    assert [(r["host"], r["status"], r["bundle"]) for r in out["rows"]] == [
        ("nodeX", "partial", "nodeX.tar.gz"), ("nodeY", "unreachable", "")]
    assert sorted(os.path.basename(f) for f in out["files"]) == ["index.html", "index.json", "index.md"]
    assert out["lines"][1] == "nodeY: unreachable (not collected (failed earlier in this run))"
