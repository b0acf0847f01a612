#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
module: ascend_plan
short_description: Say what a role must do on a node, and why, from the facts and the stack manifest
version_added: 0.2.0
description:
  - Runs on the controller only (an action plugin); the host is never contacted.
  - Compares the stack manifest (C(stack_manifest)) and the role's knobs with the facts M(ascend_verl.cluster.ascend_facts)
    published for the host, and returns the steps to take, in order, each with why. The planners are pure functions in
    C(plugins/module_utils/plans), unit-tested with tables; the role's tasks only act on the answer.
  - Knobs are read implicitly - the options of the role's C(main) entry point and the shared C(ascend_*) values (role
    P(ascend_verl.cluster.ascend#role)), each from the host's variables or else the owning role's default. Roles that
    install into the verl env also read the P(ascend_verl.cluster.conda#role) role's pip knobs.
  - With O(templates), each template is rendered here, as the template module would render it, and compared with the
    mode, owner, group and sha1 the facts hold for its destination, so only files that differ get a template task.
  - Versions are compared with one comparator (C(module_utils/version.py)) - C(25.3.RC1) and C(25.3.rc1) are the same
    version for the install roles and the audit alike.
author: ascend_verl.cluster maintainers (@ascend-verl)
options:
  role:
    description: The role to plan for.
    type: str
    required: true
    choices: [artifact, preflight, baseline, hdk, cann, npu_env, fabric, conda, sglang_npu, verl]
  facts:
    description: The facts to plan from; default C(ansible_facts.ascend) of the host.
    type: dict
  templates:
    description: Templates of the role whose destinations are compared (O(templates[].src) under the role's templates/).
    type: list
    elements: dict
    suboptions:
      src:
        description: Template file name.
        type: str
        required: true
      dest:
        description: Path on the node.
        type: path
        required: true
      mode:
        description: Wanted mode.
        type: str
        default: "0644"
      owner:
        description: Wanted owner.
        type: str
        default: root
      group:
        description: Wanted group.
        type: str
        default: root
  inputs:
    description: Run-time inputs a planner takes besides the facts (preflight - C(df), the raw C(df -Pk) output, and
      C(headers_package_rc)).
    type: dict
    default: {}
  expect_done:
    description:
      - Fail when steps remain (the verify phase of a role, after it acted and read the node again).
      - In check mode nothing was changed, so the remaining steps are reported without failing.
    type: bool
    default: false
  fail_on_problems:
    description: Fail the task when the plan names problems (the node cannot take this role's work).
    type: bool
    default: true
extends_documentation_fragment:
  - ascend_verl.cluster.attributes
attributes:
  action:
    support: full
    description: Runs on the controller as an action plugin; the host is never contacted.
  platform:
    support: full
    platforms: all
    description: Independent of the host's platform.
"""

EXAMPLES = r"""
- name: Read the node
  ascend_verl.cluster.ascend_facts:
    npu_smi: true

- name: What the driver and firmware need
  ascend_verl.cluster.ascend_plan:
    role: hdk
  register: hdk_plan

- name: After acting and reading again, nothing is left to do
  ascend_verl.cluster.ascend_plan:
    role: hdk
    expect_done: true
"""

RETURN = r"""
role:
  description: The role planned for.
  returned: always
  type: str
  sample: hdk
problems:
  description: Why the node cannot take this role's work; the task fails naming them unless O(fail_on_problems=false).
  returned: always
  type: list
  elements: str
  sample: ["refusing Ascend-hdk-910b-npu-driver_25.5.0_linux-aarch64.run / ...: the node has A3 NPUs"]
steps:
  description: What to do, in order. Each has C(name) and C(why); the other keys are the role's (files, flags, args, kind).
  returned: always
  type: list
  elements: dict
  sample: [{name: driver, file: Ascend-hdk-910b-npu-driver_25.3.rc1_linux-aarch64.run, flags: [--nox11, --full, --quiet],
            why: "driver: wanted 25.3.rc1, found nothing"}]
changes:
  description: The C(why) of every step.
  returned: always
  type: list
  elements: str
done:
  description: No problem and no step.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    # The argument spec documents the action plugin's arguments; the module itself never runs on a node.
    module = AnsibleModule(
        argument_spec=dict(
            role=dict(type="str", required=True, choices=["artifact", "preflight", "baseline", "hdk", "cann",
                                                          "npu_env", "fabric", "conda", "sglang_npu", "verl"]),
            facts=dict(type="dict"),
            templates=dict(type="list", elements="dict", options=dict(
                src=dict(type="str", required=True),
                dest=dict(type="path", required=True),
                mode=dict(type="str", default="0644"),
                owner=dict(type="str", default="root"),
                group=dict(type="str", default="root"),
            )),
            inputs=dict(type="dict", default={}),
            expect_done=dict(type="bool", default=False),
            fail_on_problems=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    module.fail_json(msg="ascend_verl.cluster.ascend_plan runs as an action plugin on the controller")


if __name__ == "__main__":
    main()
