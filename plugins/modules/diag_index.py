#!/usr/bin/python
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: diag_index
short_description: Write the index page of a diagnostics run (every host, its status and its bundle)
version_added: 0.3.0
description:
  - Runs on the controller after M(ascend_verl.cluster.diag_bundle) ran and its bundles were fetched into
    O(report_dir) (role P(ascend_verl.cluster.collect#role), entry point C(index)).
  - Writes C(index.md), C(index.html) (every value escaped) and C(index.json) into O(report_dir). Every host of
    O(hosts) is listed, never dropped, as C(collected), C(partial) (a required component missing, for example no
    driver installed, with what was missing), C(failed) (with the reason), C(unreachable) or C(planned) (check mode),
    with its file count, collected and bundle sizes, the bundle's path and the number of redactions.
author:
  - ascend_verl.cluster maintainers (@ascend-verl)
options:
  hosts:
    description:
      - "Per host: C(collect) (the diag_bundle result), C(fetch) (the fetch result) and C(bundle) (the fetched file on
        the controller); or C(unreachable) / C(failed) with C(msg) for a host that got no further."
    type: dict
    required: true
  report_dir:
    description: The run's directory on the controller (where the bundles are); the index is written there.
    type: path
    required: true
  title:
    description: Heading of the page.
    type: str
    default: Diagnostics bundle
  redacted_values:
    description: How many secret values the controller passed for redaction (shown, never the values).
    type: int
    default: 0
attributes:
  check_mode:
    support: full
    description: In check mode the rows are computed and nothing is written.
  diff_mode:
    support: none
    description: The index is a new file; there is no diff.
"""

EXAMPLES = r"""
- name: Write the index
  ascend_verl.cluster.diag_index:
    hosts:
      node1: {collect: "{{ bundle_result }}", fetch: "{{ fetch_result }}", bundle: reports/diag-x/node1.tar.gz}
      node3: {unreachable: true, msg: "ssh: connect to host 198.18.0.13 port 22: No route to host"}
    report_dir: reports/diag-x
  register: diag
"""

RETURN = r"""
rows:
  description: One row per host, sorted by host.
  returned: always
  type: list
  elements: dict
  sample:
    - {host: node2, status: partial, reason: "missing: no NPU driver installed (half-provisioned)", missing: [driver],
       items: 12, bytes: 20480, bundle: node2.tar.gz, bundle_bytes: 3100, redactions: 0}
summary:
  description: One line - hosts per status and the replacements made.
  returned: always
  type: str
counts:
  description: Hosts per status.
  returned: always
  type: dict
lines:
  description: One line per host that is not plainly C(collected) (its status and reason).
  returned: always
  type: list
  elements: str
  sample: ["node3: unreachable (ssh: connect to host 198.18.0.13 port 22: No route to host)"]
files:
  description: The index files written.
  returned: always
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.plugins.module_utils import collect, reports


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hosts=dict(type="dict", required=True),
            report_dir=dict(type="path", required=True),
            title=dict(type="str", default="Diagnostics bundle"),
            redacted_values=dict(type="int", default=0),
        ),
        supports_check_mode=True,
    )
    p = module.params
    rows, manifests = [], {}
    for host in sorted(p["hosts"]):
        given = dict(p["hosts"][host] or {})
        bundle = given.get("bundle")
        if bundle:
            if os.path.isfile(bundle):
                given["bundle_bytes"] = os.path.getsize(bundle)
                given["bundle"] = os.path.relpath(bundle, p["report_dir"])
            else:
                given["bundle"] = None
        rows.append(collect.host_row(host, given))
        if "collect" in given and (given["collect"] or {}).get("summary"):
            manifests[host] = collect.host_files(given["collect"])
    doc = collect.index(rows, "%s: %s" % (p["title"], os.path.basename(p["report_dir"].rstrip("/"))), p["redacted_values"])
    files = []
    if not module.check_mode:
        files = reports.write_all(p["report_dir"], "index", {
            "md": collect.render_md(doc, manifests),
            "html": collect.render_html(doc, manifests),
            "json": collect.render_json(doc, manifests),
        })
    lines = ["%s: %s%s" % (r["host"], r["status"], " (%s)" % r["reason"] if r["reason"] else "")
             for r in rows if r["status"] != "collected" or r["reason"]]
    # The index is output, not managed state: writing it is not a change.
    module.exit_json(changed=False, files=files, rows=rows, lines=lines, summary=doc["summary"], counts=doc["counts"])


if __name__ == "__main__":
    main()
