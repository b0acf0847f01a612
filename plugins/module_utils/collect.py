# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The diagnostics bundle (playbooks/collect.yml): what to collect on a node, redaction, the index.

Pure functions, Python 3.9+, standard library only:

- ``candidates(options)``: the paths (globs) worth a look on any node; the module expands them.
- ``plan(facts, options)``: given what the node has (tools, devices, the files the globs found),
  every item of the bundle - a command, a whole file or a log's tail - and what is missing.
- ``secret_values(knobs)`` / ``redact(text, secrets)``: the secrets the controller knows, and
  every collected text with them and the generic patterns (URL userinfo, ``password=``,
  ``token=``, ``*_TOKEN=``/``*_PASSWORD=``, ``Authorization: Basic|Bearer ...``) replaced.
- ``summarize(entries, ...)``, ``host_row(host, result)``, ``render_md/render_html``: the
  manifest's summary, a host's line of the index, the index page.
"""

import base64
import html
import json
import os
import re

try:
    from urllib.parse import quote, quote_plus
except ImportError:     # pragma: no cover  (Python 2 is not a target; keeps sanity's compile test quiet)
    from urllib import quote, quote_plus

from ansible_collections.ascend_verl.cluster.plugins.module_utils import reports, secrets

MASK = secrets.MASK

# Components of a node; a node whose `required` ones are all missing is `partial`.
COMPONENTS = ("driver", "firmware", "cann", "nnal", "fabric", "env", "install_logs", "ray", "device_logs",
              "system", "extra")
DEFAULT_REQUIRED = ("driver", "firmware", "cann", "env")
WHY = {
    "driver": "no NPU driver installed (half-provisioned)",
    "firmware": "no NPU firmware installed",
    "cann": "no CANN toolkit installed",
    "nnal": "no NNAL installed",
    "fabric": "no /etc/hccn.conf and no hccn_tool",
    "env": "no environment file",
    "install_logs": "no installer logs",
    "ray": "no Ray logs",
    "device_logs": "no device logs",
}

# hccn_tool's read-only questions per port (ascend_tools_formats.md section 2): the vendor's
# pre-flight list, then port health in depth.  A3 also has a virtual NIC per die.
HCCN_QUESTIONS = ("ip", "link", "net_health", "netdetect", "gateway", "tls", "link_stat", "speed", "duplex",
                  "lldp", "optical", "stat")
HCCN_A3_QUESTIONS = ("vnic",)


def _j(*parts):
    return "/".join(p.strip("/") for p in parts if p)


def candidates(options):
    """[{pattern, kind: file|tail, component, (recursive, newest)}]: the paths the module globs on the node."""
    root = options.get("ascend_root") or "/usr/local/Ascend"
    out = []

    def add(pattern, kind, component, **extra):
        item = {"pattern": pattern, "kind": kind, "component": component}
        item.update(extra)
        out.append(item)
    add(root + "/driver/version.info", "file", "driver")
    # the installer's record outlives a driver tree that is gone: evidence, not the driver itself
    add("/etc/ascend_install.info", "file", "install_logs")
    add(root + "/firmware/version.info", "file", "firmware")
    add("/etc/Ascend/ascend_cann_install.info", "file", "cann")
    for base in (root + "/ascend-toolkit/latest", root + "/cann"):
        add(base + "/*-linux/*_install.info", "file", "cann")
        add(base + "/version.cfg", "file", "cann")
        add(base + "/toolkit/version.info", "file", "cann")
        add(base + "/opp/version.info", "file", "cann")
    add(root + "/nnae/latest/*_install.info", "file", "cann")
    add(root + "/nnal/atb/latest/version.info", "file", "nnal")
    add("/etc/hccn.conf", "file", "fabric")
    if options.get("env_file"):
        add(options["env_file"], "file", "env")
    add("/etc/profile.d/ascend*.sh", "file", "env")
    add("/var/log/ascend_seclog/*.log", "tail", "install_logs")
    add("/var/log/hotreset_status.log", "tail", "install_logs")
    add("/var/log/hccn_tool/*.log", "tail", "install_logs")
    add("/root/log/makeself/makeself.log", "tail", "install_logs")
    ray_dir = options.get("ray_temp_dir") or "/tmp/ray"
    add(ray_dir + "/session_latest/logs", "tail", "ray", recursive=True, newest=options.get("log_files", 20))
    for directory in options.get("device_log_dirs") or ():
        add(directory, "tail", "device_logs", recursive=True, newest=options.get("log_files", 20))
    add("/etc/os-release", "file", "system")
    for path in options.get("extra_files") or ():
        add(path, "tail", "extra")
    return out


def _npus(facts):
    """[(npu, chip)] as npu-smi addresses them: A3 phy-id = npu * 2 + chip, A2 one chip per NPU."""
    devices = facts.get("devices") or []
    if facts.get("npu_device") == "A3":
        return sorted(set((d // 2, d % 2) for d in devices))
    return [(d, 0) for d in devices]


def plan(facts, options):
    """-> {items: [...], missing: [...]}.

    facts: {npu_smi: path|None, hccn_tool: path|None, devices: [phy ids], npu_device: A2|A3|None,
            tools: {name: path|None} (uname, lspci, dmesg, df), found: {pattern: [{path, size}]}}
    An item is {name (in the bundle), kind: command|commands|file|tail, component, ...}; `missing` lists
    {name, component, reason} for what the node does not have (never a failure)."""
    items, missing = [], []
    lines = options.get("log_lines", 1000)
    smi = facts.get("npu_smi")
    tools = facts.get("tools") or {}

    def cmd(name, component, argv, tail=None):
        item = {"name": name, "kind": "command", "component": component, "argv": list(argv)}
        if tail:
            item["lines"] = tail
        items.append(item)

    # the node itself
    if tools.get("uname"):
        cmd("system/uname.txt", "system", [tools["uname"], "-a"])
    if tools.get("df"):
        cmd("system/df.txt", "system", [tools["df"], "-h"])
    if tools.get("lspci"):
        cmd("system/lspci-huawei.txt", "system", [tools["lspci"], "-nn", "-d", "19e5:"])
    else:
        missing.append({"name": "system/lspci-huawei.txt", "component": "system", "reason": "lspci not found"})
    if tools.get("dmesg"):
        cmd("system/dmesg-tail.txt", "system", [tools["dmesg"]], tail=lines)
    else:
        missing.append({"name": "system/dmesg-tail.txt", "component": "system", "reason": "dmesg not found"})

    # npu-smi: the summary, card list and mapping, then every NPU's (A3: every die's) board and health
    if smi:
        cmd("npu-smi/info.txt", "driver", [smi, "info"])
        cmd("npu-smi/info-l.txt", "driver", [smi, "info", "-l"])
        cmd("npu-smi/info-m.txt", "driver", [smi, "info", "-m"])
        a3 = facts.get("npu_device") == "A3"
        for npu, chip in _npus(facts):
            where = ["-i", str(npu)] + (["-c", str(chip)] if a3 else [])
            suffix = "npu%d-chip%d" % (npu, chip) if a3 else "npu%d" % npu
            cmd("npu-smi/board-%s.txt" % suffix, "driver", [smi, "info", "-t", "board"] + where)
            cmd("npu-smi/health-%s.txt" % suffix, "driver", [smi, "info", "-t", "health", "-i", str(npu), "-c", str(chip)])
    else:
        missing.append({"name": "npu-smi/*", "component": "driver", "reason": "npu-smi not found: the NPU driver is not installed"})

    # hccn_tool, one file per RoCE port
    hccn = facts.get("hccn_tool")
    questions = HCCN_QUESTIONS + (HCCN_A3_QUESTIONS if facts.get("npu_device") == "A3" else ())
    if hccn and facts.get("devices"):
        for dev in facts["devices"]:
            items.append({"name": "hccn/dev%d.txt" % dev, "kind": "commands", "component": "fabric",
                          "argvs": [[hccn, "-i", str(dev), "-" + q, "-g"] for q in questions]})
    elif hccn:
        missing.append({"name": "hccn/*", "component": "fabric", "reason": "no /dev/davinci* devices: the driver is not loaded"})
    else:
        missing.append({"name": "hccn/*", "component": "fabric", "reason": "hccn_tool not found: the NPU driver is not installed"})

    # files and log tails
    # (a pattern that finds nothing is missing only when no other pattern of its component found a
    # file: the CANN layouts of 8.3 and 8.5 are alternatives, so are the installer logs)
    seen = set()
    found = facts.get("found") or {}
    cands = candidates(options)
    has = set(cand["component"] for cand in cands if found.get(cand["pattern"]))
    for cand in cands:
        hits = found.get(cand["pattern"]) or []
        if cand.get("newest"):
            hits = sorted(hits, key=lambda h: (-h.get("mtime", 0), h["path"]))[:cand["newest"]]
        if not hits:
            if cand["component"] not in has:
                missing.append({"name": cand["pattern"], "component": cand["component"], "reason": "no such file"})
            continue
        for hit in sorted(hits, key=lambda h: h["path"]):
            if hit["path"] in seen:
                continue
            seen.add(hit["path"])
            kind = cand["kind"]
            prefix = "logs" if kind == "tail" else "files"
            item = {"name": _j(prefix, hit["path"]), "kind": kind, "component": cand["component"], "path": hit["path"]}
            if kind == "tail":
                item["lines"] = lines
            items.append(item)
    return {"items": items, "missing": missing}


def describe(item):
    """One line saying what an item reads (check mode's answer, the manifest's `source`)."""
    if item["kind"] == "command":
        return " ".join(item["argv"]) + (" | tail -n %d" % item["lines"] if item.get("lines") else "")
    if item["kind"] == "commands":
        return "; ".join(" ".join(a) for a in item["argvs"])
    if item["kind"] == "tail":
        return "tail -n %d %s" % (item["lines"], item["path"])
    return "cat %s" % item["path"]


def tail_text(data, lines):
    """The last `lines` lines of the bytes `data`, as text (undecodable bytes replaced)."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    if lines and lines > 0:
        parts = text.splitlines(True)
        if len(parts) > lines:
            text = "".join(parts[-lines:])
    return text


# --- redaction ---------------------------------------------------------------------------------

_SECRET_KEY = r"[A-Za-z0-9_.-]*(?:password|passwd|pwd|token|secret|api[_-]?key)"
_GENERIC = (
    # Authorization: Basic dXNlcjpwYXNz / Bearer eyJ... (curl -v, pip -vvv, HTTP logs)
    re.compile(r"(?i)(\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:basic|bearer|token|digest)\s+)([^\s\"',;]+)"),
    # KEY=value, KEY: value, "key": "value", export HF_TOKEN=..., ?token=...&, password=...
    re.compile(r"(?i)(\b" + _SECRET_KEY + r"\b[\"']?\s*[=:]\s*)(\"[^\"\n]*\"|'[^'\n]*'|[^\s&,;\"'}]+)"),
    # --password VALUE, -p is too common to mask
    re.compile(r"(?i)(--" + _SECRET_KEY + r"[ =])([^\s\"']+)"),
    # netrc: machine H login U password P
    re.compile(r"(?i)(\bmachine\s+\S+\s+login\s+\S+\s+password\s+)(\S+)"),
)


def _mask_value(match):
    value = match.group(2)
    if value == MASK:
        return match.group(0)
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return match.group(1) + value[0] + MASK + value[0]
    return match.group(1) + MASK


def redact(text, secret_list=()):
    """-> (text with every secret replaced by ***, how many replacements).

    The secrets the controller knows (``secret_values``) and URL userinfo go through
    secrets.mask_text (literal secrets of fewer than 4 characters only inside URLs); then the
    generic patterns.  The count is the number of *** that were not there before."""
    before = str(text).count(MASK)
    out = secrets.mask_text(text, secret_list)
    for pattern in _GENERIC:
        out = pattern.sub(_mask_value, out)
    return out, max(0, out.count(MASK) - before)


def _strings(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def secret_values(knobs, extra=()):
    """Every form in which the secrets among `knobs` ({name: value}, the controller's variables
    named like ``*_password``, ``*_token``, ``*_username``, URLs, env dicts) may show up in a file:
    the values of secret-named knobs, the passwords of URLs with userinfo, the secret entries of
    env dicts (``HF_TOKEN``, a proxy URL with a password), each also percent-encoded, and the
    base64 of ``user:password`` for every known user (an HTTP basic-auth header). Sorted, unique."""
    found, users = set(), set()
    for name, value in sorted((knobs or {}).items(), key=lambda kv: str(kv[0])):
        lname = str(name).lower()
        if secrets.is_secret(lname) or lname.endswith("_pass") or lname.endswith("_secret"):
            found.update(s for s in _strings(value) if s)
        elif lname.endswith("_username") or lname.endswith("_user"):
            users.update(s for s in _strings(value) if s)
        if isinstance(value, dict):
            found.update(s for s in _strings(secrets.env_secrets(value)) if s)
        for text in _strings(value):
            for match in re.finditer(r"[A-Za-z][A-Za-z0-9+.-]*://\S+", text):
                dummy, user, password = secrets.split_url(match.group(0))
                if password:
                    found.add(password)
                    users.add(user)
    found.update(str(s) for s in (extra or ()) if s not in (None, ""))
    out = set(found)
    for value in found:
        out.add(quote(value, safe=""))
        out.add(quote_plus(value, safe=""))
        for user in users:
            out.add(base64.b64encode(("%s:%s" % (user, value)).encode("utf-8")).decode("ascii"))
    return sorted(s for s in out if s)


# --- the manifest's summary and the index --------------------------------------------------------

def summarize(entries, missing, required=DEFAULT_REQUIRED):
    """The manifest's summary from its entries ({name, component, status, bytes, redactions}) and
    the plan's missing list: components present, components missing (a required one makes the node
    partial), redactions, bytes, timeouts and failed commands."""
    present = set(e["component"] for e in entries if e["status"] == "ok")
    absent = sorted(set(m["component"] for m in missing) - present, key=COMPONENTS.index)
    required_missing = [c for c in COMPONENTS if c in (required or ()) and c not in present]
    return {
        "items": len(entries),
        "ok": sum(1 for e in entries if e["status"] == "ok"),
        "bytes": sum(e.get("bytes", 0) for e in entries),
        "redactions": sum(e.get("redactions", 0) for e in entries),
        "components": [c for c in COMPONENTS if c in present],
        "missing_components": absent,
        "required_missing": required_missing,
        "missing": len(missing),
        "timeouts": [e["name"] for e in entries if e["status"] == "timeout"],
        "failed": [e["name"] for e in entries if e["status"] == "failed"],
    }


def host_row(host, result):
    """A host's line of the index from what the node half recorded:
    {collect: the module's result, fetch: fetch's result, bundle: path on the controller,
    bundle_bytes}, or {unreachable, msg} for a host that never got that far."""
    collect = result.get("collect") if "collect" in result else result
    collect = collect or {}
    fetch = result.get("fetch") or {}
    row = {"host": host, "status": "collected", "reason": "", "missing": [], "items": 0, "bytes": 0,
           "bundle": "", "bundle_bytes": None, "redactions": 0, "timeouts": [], "failed_items": []}
    if collect.get("unreachable"):
        row.update(status="unreachable", reason=secrets.mask_text(collect.get("msg") or "unreachable"))
        return row
    if collect.get("failed") or "summary" not in collect:
        row.update(status="failed", reason=secrets.mask_text(collect.get("msg") or "no result"))
        return row
    summary = collect["summary"]
    row.update(items=summary.get("items", 0), bytes=summary.get("bytes", 0), redactions=summary.get("redactions", 0),
               missing=list(summary.get("missing_components") or []), timeouts=list(summary.get("timeouts") or []),
               failed_items=list(summary.get("failed") or []))
    if collect.get("check_mode"):
        row.update(status="planned", reason="check mode: %d items would be collected" % len(collect.get("plan") or []))
        return row
    if fetch.get("unreachable") or fetch.get("failed") or not result.get("bundle"):
        row.update(status="failed", reason="fetch: " + secrets.mask_text(fetch.get("msg") or "the bundle was not fetched"))
        return row
    row.update(bundle=result["bundle"], bundle_bytes=result.get("bundle_bytes"))
    required = summary.get("required_missing") or []
    if required:
        row.update(status="partial", reason="missing: " + "; ".join(WHY.get(c, c) for c in required))
    notes = []
    if row["timeouts"]:
        notes.append("timed out: " + ", ".join(row["timeouts"]))
    if row["failed_items"]:
        notes.append("commands failed: " + ", ".join(row["failed_items"]))
    if notes:
        row["reason"] = "; ".join([row["reason"]] + notes if row["reason"] else notes)
    return row


STATUSES = ("collected", "partial", "planned", "failed", "unreachable")


def index(rows, title, redacted_secrets):
    """{summary, rows, totals} of the index."""
    counts = dict((s, sum(1 for r in rows if r["status"] == s)) for s in STATUSES)
    parts = ["%d hosts" % len(rows)] + ["%d %s" % (counts[s], s) for s in STATUSES if counts[s]]
    redactions = sum(r["redactions"] for r in rows)
    summary = "%s; redaction: %d replacements (%d secrets known to the controller and the generic patterns)" % (
        ", ".join(parts), redactions, redacted_secrets)
    return {"title": title, "summary": summary, "counts": counts, "redactions": redactions, "rows": rows}


def _size(n):
    if n is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n = n / 1024.0
    return str(n)


HEADERS = ("host", "status", "reason", "missing", "files", "collected", "bundle", "bundle size", "redactions")


def _cells(row):
    return [row["host"], row["status"], row["reason"], ", ".join(row["missing"]) or "-", row["items"],
            _size(row["bytes"]), row["bundle"] or "-", _size(row["bundle_bytes"]), row["redactions"]]


REDACTION_NOTE = ("Redaction: before archiving, every collected text had the secrets the controller knows "
                  "(values of *_password / *_token knobs, passwords in URLs, secret env entries, their "
                  "percent-encoded and base64 user:password forms) and the generic patterns (URL userinfo, "
                  "password=, token=, *_PASSWORD=, *_TOKEN=, Authorization: Basic/Bearer) replaced by ***; "
                  "the column redactions counts the replacements per host.")


def render_md(doc, manifests=None):
    """The index page in Markdown; manifests {host: [entries]} adds each bundle's file list."""
    out = ["# %s" % doc["title"], "", doc["summary"], "", REDACTION_NOTE, "",
           reports.markdown_table(HEADERS, [_cells(r) for r in doc["rows"]]), ""]
    for host in sorted(manifests or {}):
        entries = manifests[host]
        out += ["## %s" % host, "", reports.markdown_table(
            ("file", "status", "size", "redactions", "source"),
            [[e["name"], e["status"], _size(e.get("bytes", 0)), e.get("redactions", 0), e.get("source", "")]
             for e in entries]), ""]
    return "\n".join(out)


def render_html(doc, manifests=None):
    """The same page as static HTML; every value escaped."""
    esc = html.escape

    def table(headers, rows, classes=None):
        out = ["<table><thead><tr>" + "".join("<th>%s</th>" % esc(str(h)) for h in headers) + "</tr></thead><tbody>"]
        for i, row in enumerate(rows):
            cls = (classes or {}).get(i)
            out.append(("<tr class=\"%s\">" % esc(cls) if cls else "<tr>")
                       + "".join("<td>%s</td>" % esc("" if v is None else str(v)) for v in row) + "</tr>")
        out.append("</tbody></table>")
        return "\n".join(out)
    css = ("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:13px;margin-bottom:1em}"
           "th,td{border:1px solid #bbb;padding:3px 6px;text-align:left}th{background:#eee}"
           "tr.unreachable td,tr.failed td{background:#f8c4c4}tr.partial td{background:#fbe7b5}")
    out = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\"><title>%s</title>" % esc(doc["title"]),
           "<style>%s</style></head><body>" % css, "<h1>%s</h1>" % esc(doc["title"]),
           "<p>%s</p>" % esc(doc["summary"]), "<p>%s</p>" % esc(REDACTION_NOTE),
           table(HEADERS, [_cells(r) for r in doc["rows"]], dict((i, r["status"]) for i, r in enumerate(doc["rows"])))]
    for host in sorted(manifests or {}):
        out.append("<h2>%s</h2>" % esc(host))
        out.append(table(("file", "status", "size", "redactions", "source"),
                         [[e["name"], e["status"], _size(e.get("bytes", 0)), e.get("redactions", 0), e.get("source", "")]
                          for e in manifests[host]]))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render_json(doc, manifests=None):
    return json.dumps(dict(doc, manifests=manifests or {}), indent=2, sort_keys=True) + "\n"


def host_files(collect_result):
    """A bundle's file list for the index: the manifest's entries, then what was missing."""
    collect_result = collect_result or {}
    out = [dict(e) for e in collect_result.get("manifest") or []]
    out += [{"name": m["name"], "component": m["component"], "status": "missing", "bytes": 0, "redactions": 0,
             "source": m["reason"]} for m in collect_result.get("missing") or []]
    return out


def archive_name(host, name):
    """Where an item goes in the tarball: under a directory named after the host."""
    clean = os.path.normpath("/" + name).lstrip("/")
    return "%s/%s" % (host, clean)
