# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet-wide version audit: every node against the stack manifest and the fleet majority.

A component the manifest pins is judged against the pin only (the majority can be wrong: a
half-upgraded fleet).  An unpinned one is judged against a strict majority of the reachable
hosts, absence counting as a value; without a majority nobody is blamed.  `triton` must be
absent everywhere (it shadows triton-ascend).
"""

import json
from collections import Counter

from ansible_collections.ascend_verl.cluster.plugins.module_utils import reports
from ansible_collections.ascend_verl.cluster.plugins.module_utils.diagnosis import natural_key
from ansible_collections.ascend_verl.cluster.plugins.module_utils.version import same
from ansible_collections.ascend_verl.cluster.plugins.module_utils.versions import ENV_COMPONENTS

ABSENT = "absent"
ALWAYS_ABSENT = ("triton",)


def _same(component, found, wanted):
    """The install roles' comparator: 25.3.RC1 is 25.3.rc1, 2.7.1-post2 is 2.7.1.post2."""
    if wanted is None or found is None:
        return found is None and wanted is None
    if component == "python":          # "3.11" pins the minor version
        return (str(found) + ".").startswith(str(wanted) + ".")
    if component == "verl_commit":
        return str(found).lower() == str(wanted).lower()
    return same(found, wanted)


def expected_versions(manifest, install_method="conda"):
    """{component: version or None (must be absent)} for what the manifest pins; with
    install_method "none" the Python env is the site's own, so only the system half is pinned."""
    out = {}
    for name, spec in ((manifest or {}).get("components") or {}).items():
        if install_method == "none" and name in ENV_COMPONENTS:
            continue
        version = spec.get("version") if isinstance(spec, dict) else spec
        out[name] = None if version in (None, ABSENT) else str(version)
    for name in ALWAYS_ABSENT:
        if install_method != "none":
            out.setdefault(name, None)
    return out


def _majority(values):
    counts = Counter(values)
    value, count = counts.most_common(1)[0]
    return (value, True) if count * 2 > len(values) else (None, False)


def audit(hosts, manifest, components=None, install_method="conda"):
    names = sorted(hosts, key=natural_key)
    expected = expected_versions(manifest, install_method)
    reachable = [h for h in names if "versions" in hosts[h]]
    seen = list(components or [])
    for h in reachable:
        seen += [c for c in hosts[h]["versions"] if c not in seen]
    columns = [c for c in seen if c in expected] + [c for c in seen if c not in expected]
    majority, drift = {}, []
    for c in columns:
        values = [hosts[h]["versions"].get(c) for h in reachable]
        majority[c], strict = _majority(values) if values else (None, False)
        for h, found in zip(reachable, values):
            if c in expected:
                if not _same(c, found, expected[c]):
                    drift.append({"host": h, "component": c, "found": found, "expected": expected[c],
                                  "majority": majority[c], "kind": "manifest"})
            elif strict and found != majority[c]:
                drift.append({"host": h, "component": c, "found": found, "expected": None,
                              "majority": majority[c], "kind": "majority"})
    # Host settings (RoCE addresses, the host baseline) are judged against each host's own plan.
    settings = []
    for h in reachable:
        settings += [c for c in hosts[h].get("settings") or {} if c not in settings and c not in columns]
    for c in settings:
        for h in reachable:
            mine = (hosts[h].get("settings") or {}).get(c) or {}
            ok = mine.get("ok")
            if ok is None:
                ok = mine.get("expected") is None or str(mine.get("found")) == str(mine["expected"])
            if not ok:
                drift.append({"host": h, "component": c, "found": mine.get("found"), "expected": mine["expected"],
                              "majority": None, "kind": "plan"})
    drifted = set(d["host"] for d in drift)
    rows, not_audited = [], []
    for h in names:
        data = hosts[h]
        if "versions" in data:
            values = dict((c, data["versions"].get(c)) for c in columns)
            values.update((c, ((data.get("settings") or {}).get(c) or {}).get("found")) for c in settings)
            rows.append({"host": h, "status": "drift" if h in drifted else "ok", "values": values})
        else:
            status = "unreachable" if data.get("unreachable") else "failed"
            rows.append({"host": h, "status": status, "values": {}, "msg": data.get("msg") or status})
            not_audited.append({"host": h, "status": status, "msg": data.get("msg") or status})
    statuses = Counter(r["status"] for r in rows)
    summary = {"hosts": len(names), "ok": statuses["ok"], "drift": statuses["drift"],
               "unreachable": statuses["unreachable"], "failed": statuses["failed"]}
    columns += settings
    return {"components": columns, "settings": settings, "rows": rows, "expected": dict((c, expected.get(c)) for c in columns),
            "pinned": [c for c in columns if c in expected], "majority": majority, "drift": drift,
            "not_audited": not_audited, "summary": summary}


def describe(d):
    if d["kind"] == "plan":
        return "%s: %s %s (planned %s)" % (d["host"], d["component"], d["found"] if d["found"] is not None else "unset",
                                           d["expected"])
    want = ("expected %s" % (d["expected"] or ABSENT)) if d["kind"] == "manifest" else \
        ("fleet majority %s" % (d["majority"] or ABSENT))
    return "%s: %s %s (%s)" % (d["host"], d["component"], d["found"] or ABSENT, want)


def _summary_line(result, stack):
    s = result["summary"]
    return ("stack %s: %d hosts, %d match, %d drifted, %d unreachable, %d failed"
            % (stack, s["hosts"], s["ok"], s["drift"], s["unreachable"], s["failed"]))


def render(result, stack, label):
    """-> {suffix: text} for json, csv, html, md and junit.xml."""
    cols = result["components"]
    headers = ["host", "status"] + cols
    table = [[r["host"], r["status"]] + [r["values"].get(c, r.get("msg") if i == 0 else None)
                                         for i, c in enumerate(cols)] for r in result["rows"]]
    index = dict((r["host"], i) for i, r in enumerate(result["rows"]))
    marks = {}
    for d in result["drift"]:
        marks[(index[d["host"]], 2 + cols.index(d["component"]))] = describe(d)
    row_classes = dict((i, "down") for i, r in enumerate(result["rows"]) if r["status"] in ("unreachable", "failed"))
    expected_row = ["(manifest)", ""] + [result["expected"][c] or ABSENT if c in result["pinned"] else
                                         "(per host)" if c in result.get("settings", ()) else "" for c in cols]
    title = "Fleet version audit %s (stack %s)" % (label, stack)
    md = ["# " + title, "", _summary_line(result, stack), ""]
    if result["drift"]:
        md += ["## Drift", "", reports.markdown_table(
            ["host", "component", "found", "expected", "fleet majority"],
            [[d["host"], d["component"], d["found"] or ABSENT, (d["expected"] or ABSENT) if d["kind"] == "manifest"
              else "%s (this host's plan)" % d["expected"] if d["kind"] == "plan" else "(not pinned)",
              d["majority"] or ABSENT if d["kind"] != "plan" else ""] for d in result["drift"]]), ""]
    if result["not_audited"]:
        md += ["## Not audited", ""] + ["- %s: %s (%s)" % (u["host"], u["status"], u["msg"])
                                        for u in result["not_audited"]] + [""]
    cases = []
    for r in result["rows"]:
        mine = [describe(d) for d in result["drift"] if d["host"] == r["host"]]
        if r["status"] in ("unreachable", "failed"):
            mine = ["%s: %s" % (r["status"], r.get("msg"))]
        cases.append({"classname": "audit", "name": r["host"], "failure": "\n".join(mine) or None, "skipped": None})
    doc = dict(result, stack=stack, report=label)
    return {
        "json": json.dumps(doc, indent=1, sort_keys=True) + "\n",
        "csv": reports.csv_text(headers, [expected_row] + table),
        "html": reports.html_page(title, _summary_line(result, stack), headers, [expected_row] + table,
                                  dict(((r + 1, c), t) for (r, c), t in marks.items()),
                                  dict((r + 1, c) for r, c in row_classes.items())),
        "md": "\n".join(md) + "\n",
        "junit.xml": reports.junit_xml("audit", cases),
    }
