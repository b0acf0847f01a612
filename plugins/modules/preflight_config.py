#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
module: preflight_config
short_description: Check a host's inventory variables before any host is contacted
version_added: 0.1.0
description:
  - Runs on the controller only (an action plugin); never connects to any host. Meant to run once per host before any
    role starts (in C(pre_tasks), with C(any_errors_fatal)), so that a bad value stops the run before a host is touched.
  - Checks every knob of every role - the options of the C(main) entry point in each C(roles/*/meta/argument_specs.yml),
    roles found by directory - with the value this host will use - its variable, templated; or, when unset, the default
    from the owning role's C(defaults/main.yml), templated the same way (a default may refer to other knobs).
  - Types, C(choices), C(elements) and nested C(options) are checked exactly as the role's own argument validation
    checks them (V(1) is an int, V(yes) a bool, V(a,b) a list, a JSON string a dict); nested names read C(outer[2].inner).
  - Then the rules argument specs cannot express - ports 1-65535 (C(ascend_ray_port), C(ascend_ray_dashboard_port)); the
    HCCL socket port ranges V(START-END) or V(auto); positive counts, timeouts and batch sizes; absolute paths for every
    node-side C(type=path) knob (V("") only where the default is V("")); index and mirror URLs, trusted hosts, installer
    flags, conda env and user names, Python versions, sha256 checksums, environment variable maps.
  - Then the rules over several knobs - C(ascend_npu_device) matches C(ascend_product); the stack named by C(stack_name)
    exists; the HCCL ranges and the Ray ports do not overlap; C(npu_env_visible_devices), when set, is exactly V(0..N-1)
    for the product; the artifact source is a controller directory holding C(SHA256SUMS), or an http(s) mirror URL.
  - Then the rules over the whole play - exactly one Ray head (C(ascend_ray_head) names a host of the play, or, when it is
    empty, the group C(ray_head) holds exactly one host, which is in the play); no other host of the play has the same
    address (C(ansible_host), or the inventory name) and port.
  - "Fails listing every problem of the host at once, each as C(host: variable = 'found', expected ...)."
  - Secrets are never shown - the value of a knob named C(*_password) or C(*_token) reads V(***), a URL's password
    C(http://USER:***@host/...). A warning, not a failure, names each secret knob set in plain text rather than from
    Ansible Vault (an inline C(!vault) value, a variable of a vault-encrypted file, or a template naming one), and each
    knob whose URL carries a password.
author: ascend_verl.cluster maintainers (@ascend-verl)
options: {}
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
notes:
  - Layer 1 of C(playbooks/preflight.yml) (in C(pre_tasks), before any role and so before the roles' own argument
    validation) and of the P(ascend_verl.cluster.preflight#role) role.
  - Values of other hosts (for the rules over the play) come from C(hostvars), from the inventory only; nothing is resolved.
"""

EXAMPLES = r"""
- name: Preflight | the inventory, then every host
  hosts: npu_nodes
  gather_facts: false
  pre_tasks:
    - name: Layer 1 | every knob of every role, before any host is contacted
      ascend_verl.cluster.preflight_config:
      any_errors_fatal: true
  roles:
    - role: ascend_verl.cluster.preflight
"""

RETURN = r"""
expected_devices:
  description:
    - NPU devices per node for the host's product (as the driver numbers them and the PCI bus shows them); null when the
      product is unknown.
  returned: always
  type: int
  sample: 8
msg:
  description: "Every problem as C(host: variable = 'found', expected ...), joined with C(; ); or a one-line all-clear."
  returned: always
  type: str
  sample: "n1: hdk_reboot_batch = 0, expected an integer >= 1; n1: audit_formats[0] = 'pdf', expected one of json, csv"
problems:
  description: Every problem found; empty when the variables are consistent.
  returned: always
  type: list
  elements: dict
  contains:
    variable:
      description: The variable at fault; an element or nested option reads C(name[2]), C(name.inner) or C(name['key']).
      type: str
    found:
      description: Its value (V(***) for a secret knob, URLs with their password masked).
      type: raw
    expected:
      description: What would be accepted.
      type: str
  sample:
    - {"variable": "ascend_npu_device", "found": "A3", "expected": "A2 for Atlas 900 A2 PODc"}
    - {"variable": "audit_formats[0]", "found": "pdf", "expected": "one of json, csv, html, md, junit"}
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.fail_json(msg="ascend_verl.cluster.preflight_config runs as an action plugin on the controller")


if __name__ == "__main__":
    main()
