"""What role collect leaves: on the controller, reports/diag-<time>/node1.tar.gz with the node's
npu-smi, hccn_tool per port, version and install-info files, installer log and dmesg tail, its
manifest, and index.{md,html,json} listing the node; no secret in any of it; on the node, no
temporary copy."""

import glob
import json
import os
import tarfile

import pytest

REPORTS = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "reports")
SECRETS = ("Mol3cule-S3cret", "hf_molecule_token")


def latest_run():
    runs = sorted(glob.glob(os.path.join(REPORTS, "diag-*")))
    assert runs, "no diag-* directory in %s" % REPORTS
    return runs[-1]


@pytest.fixture(scope="module")
def bundle():
    path = os.path.join(latest_run(), "node1.tar.gz")
    with tarfile.open(path) as tar:
        return dict((m.name, tar.extractfile(m).read()) for m in tar.getmembers() if m.isfile())


def test_the_bundle_holds_what_support_asks_for(bundle):
    names = set(bundle)
    for wanted in ("manifest.json", "npu-smi/info.txt", "npu-smi/info-l.txt", "npu-smi/info-m.txt",
                   "npu-smi/board-npu0.txt", "npu-smi/health-npu7.txt", "files/etc/hccn.conf",
                   "files/usr/local/Ascend/driver/version.info", "files/usr/local/Ascend/firmware/version.info",
                   "files/etc/ascend_install.info", "logs/var/log/ascend_seclog/ascend_install.log",
                   "system/dmesg-tail.txt", "system/uname.txt", "logs/etc/site-mirror.cfg"):
        assert "node1/" + wanted in names, wanted
    assert sorted(n for n in names if n.startswith("node1/hccn/")) == sorted("node1/hccn/dev%d.txt" % d for d in range(8))
    assert b"910B3" in bundle["node1/npu-smi/info.txt"]
    assert b"### /usr/local/Ascend/driver/tools/hccn_tool -i 3 -ip -g (rc=0)" in bundle["node1/hccn/dev3.txt"]
    assert b"Board ID" in bundle["node1/npu-smi/board-npu0.txt"]


def test_the_manifest_records_what_is_missing(bundle):
    doc = json.loads(bundle["node1/manifest.json"])
    assert doc["host"] == "node1" and doc["npu_device"] == "A2" and doc["devices"] == list(range(8))
    summary = doc["summary"]
    assert summary["required_missing"] == [] and summary["timeouts"] == []
    assert {"cann", "env", "ray"} <= set(summary["missing_components"])
    assert {"driver", "firmware", "fabric", "install_logs", "system", "extra"} <= set(summary["components"])
    assert all(e["status"] == "ok" for e in doc["files"] if e["component"] == "driver"), doc["files"]


def test_no_secret_anywhere_and_the_replacements_are_counted(bundle):
    for name, data in bundle.items():
        for secret in SECRETS:
            assert secret.encode() not in data, (name, secret)
    site = bundle["node1/logs/etc/site-mirror.cfg"].decode()
    assert site == "url=http://deploy:***@mirror.site/ascend/\nlogin deploy ***\nHF_TOKEN=***\n"
    entry, = [e for e in json.loads(bundle["node1/manifest.json"])["files"] if e["name"] == "logs/etc/site-mirror.cfg"]
    assert entry["redactions"] == 3
    for path in glob.glob(os.path.join(latest_run(), "*")):
        with open(path, "rb") as f:
            data = f.read()
        assert not any(s.encode() in data for s in SECRETS), path


def test_the_index_lists_the_node_with_its_bundle():
    run = latest_run()
    with open(os.path.join(run, "index.json")) as f:
        index = json.load(f)
    row, = index["rows"]
    assert (row["host"], row["status"], row["bundle"]) == ("node1", "collected", "node1.tar.gz")
    assert row["bundle_bytes"] == os.path.getsize(os.path.join(run, "node1.tar.gz"))
    assert row["redactions"] >= 3 and {"cann", "env"} <= set(row["missing"])
    with open(os.path.join(run, "index.md")) as f:
        md = f.read()
    assert "| node1 | collected |" in md and "Redaction:" in md
    assert os.path.isfile(os.path.join(run, "index.html"))


def test_the_node_keeps_no_copy(host):
    assert host.run("ls -d /tmp/ascend-diag-* 2>/dev/null").stdout == ""
