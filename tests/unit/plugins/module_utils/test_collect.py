"""The diagnostics bundle: what is collected on an A2, an A3 and a driverless node, redaction of
every secret form, the summary and the index with collected / partial / failed / unreachable hosts."""

import base64
import json

import pytest

from ansible_collections.ascend_verl.cluster.plugins.filter import collect as filters
from ansible_collections.ascend_verl.cluster.plugins.module_utils import collect as c

ROOT = "/usr/local/Ascend"
OPTIONS = {"ascend_root": ROOT, "env_file": "/etc/ascend_verl/npu.env", "ray_temp_dir": "/tmp/ray",
           "device_log_dirs": ["/var/log/npu"], "extra_files": [], "log_lines": 50, "log_files": 2}
TOOLS = {"uname": "/usr/bin/uname", "df": "/usr/bin/df", "lspci": "/usr/bin/lspci", "dmesg": "/usr/bin/dmesg"}


def hit(path, mtime=0):
    return [{"path": path, "size": 10, "mtime": mtime}]


PROVISIONED = {
    ROOT + "/driver/version.info": hit(ROOT + "/driver/version.info"),
    "/etc/ascend_install.info": hit("/etc/ascend_install.info"),
    ROOT + "/firmware/version.info": hit(ROOT + "/firmware/version.info"),
    ROOT + "/ascend-toolkit/latest/*-linux/*_install.info": hit(ROOT + "/ascend-toolkit/latest/aarch64-linux/ascend_toolkit_install.info"),
    "/etc/hccn.conf": hit("/etc/hccn.conf"),
    "/etc/ascend_verl/npu.env": hit("/etc/ascend_verl/npu.env"),
    "/var/log/ascend_seclog/*.log": hit("/var/log/ascend_seclog/ascend_install.log"),
    "/tmp/ray/session_latest/logs": [{"path": "/tmp/ray/session_latest/logs/%s" % n, "size": 1, "mtime": t}
                                     for n, t in (("raylet.out", 3), ("gcs_server.out", 2), ("old.log", 1))],
}


def node(npu_device, devices, driver=True, found=None):
    return {"npu_smi": "/usr/local/bin/npu-smi" if driver else None,
            "hccn_tool": ROOT + "/driver/tools/hccn_tool" if driver else None,
            "devices": devices if driver else [], "npu_device": npu_device, "tools": TOOLS,
            "found": PROVISIONED if found is None else found}


def names(p):
    return [i["name"] for i in p["items"]]


@pytest.mark.parametrize("facts, boards, healths, ports, per_port", [
    # A2: eight NPUs of one die each: board and health per NPU, eight RoCE ports
    (node("A2", list(range(8))), ["npu-smi/board-npu%d.txt" % n for n in range(8)],
     [["-t", "health", "-i", str(n), "-c", "0"] for n in range(8)], 8, len(c.HCCN_QUESTIONS)),
    # A3: eight NPUs x two dies = 16 devices; npu-smi addresses each die as -i NPU -c CHIP, hccn_tool by phy id
    (node("A3", list(range(16))), ["npu-smi/board-npu%d-chip%d.txt" % (n, d) for n in range(8) for d in (0, 1)],
     [["-t", "health", "-i", str(n), "-c", str(d)] for n in range(8) for d in (0, 1)], 16, len(c.HCCN_QUESTIONS) + 1),
])
def test_plan_of_a_provisioned_node(facts, boards, healths, ports, per_port):
    p = c.plan(facts, OPTIONS)
    got = names(p)
    assert [n for n in got if n.startswith("npu-smi/board-")] == boards
    assert [i["argv"][2:] for i in p["items"] if i["name"].startswith("npu-smi/health-")] == healths
    hccn = [i for i in p["items"] if i["kind"] == "commands"]
    assert len(hccn) == ports and all(len(i["argvs"]) == per_port for i in hccn)
    assert hccn[1]["argvs"][0] == [ROOT + "/driver/tools/hccn_tool", "-i", "1", "-ip", "-g"]
    assert ("-vnic" in [a[3] for a in hccn[0]["argvs"]]) == (facts["npu_device"] == "A3")
    if facts["npu_device"] == "A3":
        board = [i for i in p["items"] if i["name"] == "npu-smi/board-npu3-chip1.txt"][0]
        assert board["argv"][1:] == ["info", "-t", "board", "-i", "3", "-c", "1"]
    for wanted in ("npu-smi/info.txt", "npu-smi/info-l.txt", "npu-smi/info-m.txt", "files/etc/hccn.conf",
                   "files/usr/local/Ascend/driver/version.info", "files/etc/ascend_verl/npu.env",
                   "logs/var/log/ascend_seclog/ascend_install.log", "system/dmesg-tail.txt",
                   "logs/tmp/ray/session_latest/logs/raylet.out", "logs/tmp/ray/session_latest/logs/gcs_server.out"):
        assert wanted in got
    assert "logs/tmp/ray/session_latest/logs/old.log" not in got          # only the newest log_files
    assert [i["lines"] for i in p["items"] if i["name"] == "system/dmesg-tail.txt"] == [50]
    assert not [m for m in p["missing"] if m["component"] in ("driver", "firmware", "cann", "env", "ray")]


def test_plan_of_a_node_without_driver_lists_what_is_missing_and_still_collects_the_rest():
    found = {"/etc/hccn.conf": hit("/etc/hccn.conf")}
    p = c.plan(node(None, [], driver=False, found=found), OPTIONS)
    got = names(p)
    assert not [n for n in got if n.startswith(("npu-smi/", "hccn/"))]
    assert {"system/uname.txt", "system/dmesg-tail.txt", "files/etc/hccn.conf"} <= set(got)
    reasons = dict((m["name"], m["reason"]) for m in p["missing"])
    assert reasons["npu-smi/*"] == "npu-smi not found: the NPU driver is not installed"
    assert reasons["hccn/*"].startswith("hccn_tool not found")
    assert reasons[ROOT + "/driver/version.info"] == "no such file"
    entries = [{"name": i["name"], "component": i["component"], "status": "ok"} for i in p["items"]]
    summary = c.summarize(entries, p["missing"])
    assert summary["required_missing"] == ["driver", "firmware", "cann", "env"]
    assert summary["components"] == ["fabric", "system"]
    assert "ray" in summary["missing_components"]


def test_a_driver_tree_gone_is_missing_though_the_installers_record_is_left():
    """/etc/ascend_install.info outlives a removed driver: collected, but the node is partial."""
    found = dict((k, v) for k, v in PROVISIONED.items() if not k.endswith("/driver/version.info"))
    p = c.plan(node(None, [], driver=False, found=found), OPTIONS)
    assert "files/etc/ascend_install.info" in names(p)
    entries = [{"name": i["name"], "component": i["component"], "status": "ok"} for i in p["items"]]
    summary = c.summarize(entries, p["missing"])
    assert summary["required_missing"] == ["driver"] and "install_logs" in summary["components"]


def test_plan_with_devices_but_no_hccn_answers_and_extra_files():
    facts = node("A2", [0, 1])
    facts["found"] = dict(PROVISIONED, **{"/srv/site/*.cfg": hit("/srv/site/a.cfg")})
    p = c.plan(facts, dict(OPTIONS, extra_files=["/srv/site/*.cfg"]))
    assert {"name": "logs/srv/site/a.cfg", "kind": "tail", "component": "extra", "path": "/srv/site/a.cfg",
            "lines": 50} in p["items"]
    assert c.describe(p["items"][0]) == "/usr/bin/uname -a"
    assert c.describe([i for i in p["items"] if i["kind"] == "tail"][0]).startswith("tail -n 50 ")


# --- redaction ---------------------------------------------------------------------------------

BASIC = base64.b64encode(b"deploy:S3cr3t-X").decode()


@pytest.mark.parametrize("text, secrets, expected, count", [
    # URL with userinfo: the password goes, the user stays (as everywhere in the collection)
    ("GET http://deploy:S3cr3t-X@mirror:8080/ascend/SHA256SUMS", [], "GET http://deploy:***@mirror:8080/ascend/SHA256SUMS", 1),
    ("pip -i https://bob:p%40ss@pypi.site/simple", [], "pip -i https://bob:***@pypi.site/simple", 1),
    # a base64 basic-auth header, by pattern and by the known user:password
    ("> Authorization: Basic %s\r\n" % BASIC, [], "> Authorization: Basic ***\r\n", 1),
    ("header=%s" % BASIC, [BASIC], "header=***", 1),
    ("Proxy-Authorization: Bearer eyJhbGciOi.x.y", [], "Proxy-Authorization: Bearer ***", 1),
    # env entries and key=value forms
    ("HF_TOKEN=hf_abcdef\nHTTPS_PROXY_PASSWORD='p w'\nPATH=/usr/bin\n", [],
     "HF_TOKEN=***\nHTTPS_PROXY_PASSWORD='***'\nPATH=/usr/bin\n", 2),
    ("export GITHUB_TOKEN=\"ghp_123\"", [], "export GITHUB_TOKEN=\"***\"", 1),
    ("https://h/x?token=abc123&y=1 password=hunter22,", [], "https://h/x?token=***&y=1 password=***,", 2),
    ('{"artifact_source_password": "S3cr3t-X", "user": "deploy"}', [], '{"artifact_source_password": "***", "user": "deploy"}', 1),
    ("run --password hunter22 now", [], "run --password *** now", 1),
    ("machine pypi.site login bob password pw2\n", [], "machine pypi.site login bob password ***\n", 1),
    # a known secret anywhere, also percent-encoded
    ("log: login with S3cr3t-X failed; S3cr3t-X again", ["S3cr3t-X"], "log: login with *** failed; *** again", 2),
    # nothing secret: unchanged, and look-alikes are left alone
    ("max_tokens=512 tokenizer=x Health Status : OK", [], "max_tokens=512 tokenizer=x Health Status : OK", 0),
    ("already masked: password=*** http://u:***@h/", [], "already masked: password=*** http://u:***@h/", 0),
])
def test_redact(text, secrets, expected, count):
    assert c.redact(text, secrets) == (expected, count)


def test_secret_values_every_form_of_every_secret_the_controller_knows():
    knobs = {"artifact_source_username": "deploy", "artifact_source_password": "S3cr3t-X",
             "conda_pip_index_password": "p@ss word", "hf_token": "", "artifact_source_url": "http://u2:urlpw1@m/",
             "sglang_npu_upstream_env": {"HTTPS_PROXY": "http://px:proxypw@proxy:3128", "GIT_TOKEN": "ghp_1",
                                         "NO_PROXY": "localhost"},
             "ascend_train_user": "root", "ray_head_url": "http://head:8260/"}
    values = filters.FilterModule().filters()["collect_secrets"](knobs, ["site-extra"])
    for v in ("S3cr3t-X", "p@ss word", "p%40ss%20word", "p%40ss+word", "urlpw1", "proxypw", "ghp_1", "site-extra", BASIC,
              base64.b64encode(b"u2:urlpw1").decode()):
        assert v in values, v
    for v in ("deploy", "root", "localhost", "http://head:8260/", ""):
        assert v not in values, v
    assert values == sorted(set(values))
    # what the bundle then shows of a file that held them
    text = "user deploy pw S3cr3t-X url http://u2:urlpw1@m/ env GIT_TOKEN=ghp_1 q=p%40ss%20word"
    clean, count = c.redact(text, values)
    assert not any(s in clean for s in ("S3cr3t-X", "urlpw1", "ghp_1", "p%40ss%20word")) and count == 4
    assert "deploy" in clean


# --- summary, rows and the index --------------------------------------------------------------

def entry(name, component, status="ok", size=100, redactions=0):
    return {"name": name, "component": component, "status": status, "bytes": size, "redactions": redactions,
            "source": "cat /" + name}


FULL = [entry("files/etc/hccn.conf", "fabric", redactions=0), entry("npu-smi/info.txt", "driver"),
        entry("files/fw", "firmware"), entry("files/cann", "cann"), entry("files/env", "env", redactions=2),
        entry("npu-smi/board-npu0.txt", "driver", status="timeout")]
HALF = [entry("system/uname.txt", "system"), entry("files/etc/hccn.conf", "fabric")]
HALF_MISSING = [{"name": "npu-smi/*", "component": "driver", "reason": "npu-smi not found: the NPU driver is not installed"},
                {"name": "/tmp/ray/session_latest/logs", "component": "ray", "reason": "no such file"}]


def result(entries, missing=(), **extra):
    out = {"changed": False, "manifest": entries, "missing": list(missing), "summary": c.summarize(entries, list(missing)),
           "path": "/tmp/ascend-diag-x/h.tar.gz", "tmpdir": "/tmp/ascend-diag-x"}
    out.update(extra)
    return out


@pytest.mark.parametrize("given, status, reason, missing", [
    ({"collect": result(FULL), "fetch": {"changed": False}, "bundle": "node1.tar.gz", "bundle_bytes": 2048},
     "collected", "timed out: npu-smi/board-npu0.txt", []),
    ({"collect": result(HALF, HALF_MISSING), "fetch": {}, "bundle": "node2.tar.gz", "bundle_bytes": 900},
     "partial", "missing: no NPU driver installed (half-provisioned); no NPU firmware installed; no CANN toolkit installed; "
     "no environment file", ["driver", "ray"]),
    ({"collect": {"unreachable": True, "msg": "Failed to connect to the host via ssh: No route to host"}},
     "unreachable", "Failed to connect to the host via ssh: No route to host", []),
    ({"unreachable": True, "msg": "not collected (failed earlier in this run)"},
     "unreachable", "not collected (failed earlier in this run)", []),
    ({"collect": {"failed": True, "msg": "cannot write http://u:pw@h/ bundle"}},
     "failed", "cannot write http://u:***@h/ bundle", []),
    ({"collect": result(FULL), "fetch": {"failed": True, "msg": "file not found"}, "bundle": ""},
     "failed", "fetch: file not found", []),
    ({"collect": result(FULL, check_mode=True, plan=[1, 2, 3])}, "planned", "check mode: 3 items would be collected", []),
])
def test_host_row(given, status, reason, missing):
    row = c.host_row("h", given)
    assert (row["status"], row["reason"], row["missing"]) == (status, reason, missing)


def test_index_lists_every_host_escapes_everything_and_says_redaction_happened():
    rows = [c.host_row("node1", {"collect": result(FULL), "bundle": "node1.tar.gz", "bundle_bytes": 2048}),
            c.host_row("node2", {"collect": result(HALF, HALF_MISSING), "bundle": "node2.tar.gz", "bundle_bytes": 900}),
            c.host_row("node3", {"collect": {"unreachable": True, "msg": "<script>alert(1)</script> | down"}})]
    doc = c.index(rows, "Diagnostics bundle: diag-x", 5)
    assert doc["counts"] == {"collected": 1, "partial": 1, "planned": 0, "failed": 0, "unreachable": 1}
    assert doc["summary"].startswith("3 hosts, 1 collected, 1 partial, 1 unreachable; redaction: 2 replacements")
    manifests = {"node1": c.host_files(result(FULL)), "node2": c.host_files(result(HALF, HALF_MISSING))}
    md = c.render_md(doc, manifests)
    lines = md.splitlines()
    assert "| node1 | collected | timed out: npu-smi/board-npu0.txt | - | 6 | 600 B | node1.tar.gz | 2.0 KiB | 2 |" in lines
    assert any(line.startswith("| node2 | partial | missing: no NPU driver installed (half-provisioned)") for line in lines)
    assert "| node3 | unreachable | <script>alert(1)</script> \\| down | - | 0 | 0 B | - | - | 0 |" in lines
    assert "Redaction:" in md and "## node2" in md
    assert "| npu-smi/* | missing | 0 B | 0 | npu-smi not found: the NPU driver is not installed |" in lines
    page = c.render_html(doc, manifests)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<tr class="partial">' in page and '<tr class="unreachable">' in page
    data = json.loads(c.render_json(doc, manifests))
    assert [r["status"] for r in data["rows"]] == ["collected", "partial", "unreachable"]
    assert data["manifests"]["node2"][-1]["status"] == "missing"


@pytest.mark.parametrize("data, lines, expected", [
    (b"a\nb\nc\n", 2, "b\nc\n"),
    (b"a\nb", 5, "a\nb"),
    (b"\xff\xfeok\n", None, "\ufffd\ufffdok\n"),
])
def test_tail_text(data, lines, expected):
    assert c.tail_text(data, lines) == expected


def test_archive_names_stay_under_the_host():
    assert c.archive_name("node1", "files/etc/hccn.conf") == "node1/files/etc/hccn.conf"
    assert c.archive_name("node1", "../../etc/passwd") == "node1/etc/passwd"
