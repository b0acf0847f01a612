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
  - Runs on the controller only (an action plugin); never connects to the host.
  - Checks that C(ascend_npu_device) is V(A2) or V(A3) and matches C(ascend_product), that the stack named by
    C(stack_name) exists, that the HCCL socket port ranges and the Ray ports parse and do not overlap, that
    C(npu_env_visible_devices), when set, is exactly V(0..N-1) for the product's device count, that the HCCL
    timeouts and C(hdk_reboot_batch) are positive integers, and that the artifact source is coherent (a controller
    directory that holds C(SHA256SUMS), or an http(s) mirror URL).
  - A variable the inventory does not set is read from the defaults of the role that owns it.
  - "Fails listing every problem as C(host: variable = found, expected ...)."
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
  - Used by the P(ascend_verl.cluster.preflight#role) role as its first layer.
"""

EXAMPLES = r"""
- name: Layer 1 | the inventory makes sense
  ascend_verl.cluster.preflight_config:
"""

RETURN = r"""
expected_devices:
  description: NPU devices per node for the host's product (as the driver numbers them and the PCI bus shows them).
  returned: always
  type: int
  sample: 8
problems:
  description: Every problem found; empty when the variables are consistent.
  returned: always
  type: list
  elements: dict
  contains:
    variable:
      description: The variable at fault.
      type: str
    found:
      description: Its value.
      type: raw
    expected:
      description: What would be accepted.
      type: str
  sample: [{"variable": "ascend_npu_device", "found": "A3", "expected": "A2 for Atlas 900 A2 PODc"}]
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.fail_json(msg="ascend_verl.cluster.preflight_config runs as an action plugin on the controller")


if __name__ == "__main__":
    main()
