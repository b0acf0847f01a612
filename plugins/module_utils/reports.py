# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Report formats shared by the verify and audit playbooks: Markdown, CSV, static HTML, JUnit.

Everything is rendered to text first and written at the end, each file atomically, so a
report directory never holds half a report.
"""

import csv
import html
import io
import os
import tempfile
import xml.etree.ElementTree as ET


def markdown_table(headers, rows):
    def cell(value):
        return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(cell(h) for h in headers) + " |",
             "|" + "|".join("---" for dummy in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def csv_text(headers, rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buf.getvalue()


_CSS = ("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:13px}"
        "th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;white-space:nowrap}"
        "th{background:#eee;position:sticky;top:0}td.drift{background:#f8c4c4;font-weight:bold}"
        "tr.down td{background:#e8e8e8;color:#666}p.summary{font-size:15px}")


def html_page(title, summary, headers, rows, marks=None, row_classes=None):
    """A self-contained page with one table; marks {(row, col): tooltip} highlights cells."""
    marks = marks or {}
    row_classes = row_classes or {}
    out = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\"><title>%s</title>" % html.escape(title),
           "<style>%s</style></head><body>" % _CSS, "<h1>%s</h1>" % html.escape(title),
           "<p class=\"summary\">%s</p>" % html.escape(summary), "<table><thead><tr>"]
    out += ["<th>%s</th>" % html.escape(str(h)) for h in headers]
    out.append("</tr></thead><tbody>")
    for r, row in enumerate(rows):
        cls = row_classes.get(r)
        out.append("<tr class=\"%s\">" % html.escape(cls) if cls else "<tr>")
        for c, value in enumerate(row):
            text = html.escape("" if value is None else str(value))
            if (r, c) in marks:
                out.append("<td class=\"drift\" title=\"%s\">%s</td>" % (html.escape(marks[(r, c)]), text))
            else:
                out.append("<td>%s</td>" % text)
        out.append("</tr>")
    out.append("</tbody></table></body></html>")
    return "\n".join(out) + "\n"


def junit_xml(suite_name, cases):
    """cases: [{classname, name, failure (text or None), skipped (text or None)}]."""
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name=suite_name, tests=str(len(cases)),
                          failures=str(sum(1 for c in cases if c.get("failure"))),
                          skipped=str(sum(1 for c in cases if c.get("skipped") and not c.get("failure"))),
                          errors="0")
    for case in cases:
        node = ET.SubElement(suite, "testcase", classname=case["classname"], name=case["name"])
        if case.get("failure"):
            fail = ET.SubElement(node, "failure", message=case["failure"].splitlines()[0])
            fail.text = case["failure"]
        elif case.get("skipped"):
            ET.SubElement(node, "skipped", message=case["skipped"])
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_all(directory, basename, files):
    """Write {suffix: text} as <directory>/<basename>.<suffix>, each atomically -> paths."""
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    written = []
    for suffix in sorted(files):
        target = os.path.join(directory, "%s.%s" % (basename, suffix))
        fd, tmp = tempfile.mkstemp(prefix=".%s." % basename, dir=directory)
        with os.fdopen(fd, "w") as f:
            f.write(files[suffix])
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        written.append(target)
    return written
