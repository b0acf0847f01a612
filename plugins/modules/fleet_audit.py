#!/usr/bin/python
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: fleet_audit
short_description: Compare every node's versions with the stack manifest and the fleet majority, and report
version_added: 0.1.0
description:
  - Runs on the controller with every node's M(ascend_verl.cluster.ascend_versions) result.
  - A component the manifest pins is compared with the pin (C(python) "3.11" matches any 3.11.x; the rest exactly,
    ignoring case); an unpinned one with the strict majority of the reachable hosts, absence counting as a value.
    C(triton) must be absent everywhere.
  - Writes C(<report_name>.json), C(.csv), C(.html) (drift highlighted, the expected value in the cell's tooltip),
    C(.md) and C(.junit.xml) to O(report_dir). Unreachable hosts are listed in every report, never dropped.
author:
  - ascend_verl.cluster maintainers (@ascend-verl)
options:
  hosts:
    description:
      - "Per host - either C(versions) (the ascend_versions result's versions), or C(unreachable) / C(failed) with
        C(msg)."
    type: dict
    required: true
  manifest:
    description: The stack manifest (C(stack_manifest) of the P(ascend_verl.cluster.stack#role) role).
    type: dict
    required: true
  components:
    description: Column order; by default the manifest's components first, then the rest as the nodes report them.
    type: list
    elements: str
  report_dir:
    description: Where to write the reports; nothing is written when omitted.
    type: path
  report_name:
    description: File name without suffix.
    type: str
    default: audit
  formats:
    description: Report formats to write.
    type: list
    elements: str
    choices: [json, csv, html, md, junit]
    default: [json, csv, html, md, junit]
  fail_on_drift:
    description: Fail when a host drifted or could not be audited, naming each host and component.
    type: bool
    default: false
  install_method:
    description:
      - How the Python stack reaches the nodes (C(ascend_install_method)). With C(none) the env is the site's own, so
        its components are compared with the fleet majority only, not with the manifest's pins.
    type: str
    choices: [conda, none]
    default: conda
attributes:
  check_mode:
    support: full
    description: In check mode the audit runs and no report is written.
  diff_mode:
    support: none
    description: Reports are new files; there is no diff.
"""

EXAMPLES = r"""
- name: Audit the fleet
  ascend_verl.cluster.fleet_audit:
    hosts: "{{ audit_results }}"
    manifest: "{{ stack_manifest }}"
    report_dir: /var/lib/ascend_verl/reports
    report_name: "audit-{{ now(utc=true, fmt='%Y%m%dT%H%M%SZ') }}"
    fail_on_drift: true
"""

RETURN = r"""
summary:
  description: Host counts by outcome.
  returned: always
  type: dict
  sample: {hosts: 3, ok: 2, drift: 1, unreachable: 0, failed: 0}
drift:
  description: Every component that differs, with what was expected; C(kind) is C(manifest) or C(majority).
  returned: always
  type: list
  elements: dict
  sample:
    - {host: node2, component: driver, found: 25.2.0, expected: 25.3.rc1, majority: 25.3.rc1, kind: manifest}
lines:
  description: One line per drifted component or host not audited.
  returned: always
  type: list
  elements: str
  sample: ["node2: driver 25.2.0 (expected 25.3.rc1)"]
not_audited:
  description: Hosts that could not be audited, with the reason.
  returned: always
  type: list
  elements: dict
rows:
  description: One row per host with the value of every component.
  returned: always
  type: list
  elements: dict
files:
  description: The reports written.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.plugins.module_utils import audit, reports

SUFFIX = {"json": "json", "csv": "csv", "html": "html", "md": "md", "junit": "junit.xml"}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hosts=dict(type="dict", required=True),
            manifest=dict(type="dict", required=True),
            components=dict(type="list", elements="str"),
            report_dir=dict(type="path"),
            report_name=dict(type="str", default="audit"),
            formats=dict(type="list", elements="str", choices=list(SUFFIX), default=list(SUFFIX)),
            fail_on_drift=dict(type="bool", default=False),
            install_method=dict(type="str", choices=["conda", "none"], default="conda"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    result = audit.audit(p["hosts"], p["manifest"], p["components"], p["install_method"])
    files = []
    if p["report_dir"] and not module.check_mode:
        texts = audit.render(result, p["manifest"].get("name", "?"), p["report_name"])
        files = reports.write_all(p["report_dir"], p["report_name"],
                                  dict((SUFFIX[f], texts[SUFFIX[f]]) for f in p["formats"]))
    lines = [audit.describe(d) for d in result["drift"]]
    lines += ["%s: %s (%s)" % (u["host"], u["status"], u["msg"]) for u in result["not_audited"]]
    # The reports are output, not managed state: writing them is not a change.
    out = dict(changed=False, files=files, lines=lines, **result)
    if lines and p["fail_on_drift"]:
        module.fail_json(msg="fleet audit: " + "; ".join(lines), **out)
    module.exit_json(**out)


if __name__ == "__main__":
    main()
