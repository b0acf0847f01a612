#!/usr/bin/python
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: npu_health
short_description: Check that a node's NPUs are all there, healthy and (optionally) idle
version_added: 0.1.0
description:
  - Runs C(npu-smi info) and checks the device count, that every device is C(OK), optionally that no process holds
    any device and that each has a minimum of free HBM.
  - A node whose npu-smi does not answer (driver missing, or C(-8005) while a reboot is pending) is reported as a
    failure with check C(driver).
author:
  - ascend_verl.cluster maintainers (@ascend-verl)
options:
  npu_smi_path:
    description: Path of npu-smi; looked up as in M(ascend_verl.cluster.npu_smi_info) by default.
    type: path
  expected_count:
    description: Devices the node must show (8 on A2, 16 on Box16 and A3). Not checked when omitted.
    type: int
  product:
    description:
      - The Atlas product (the inventory's C(ascend_product)); when O(expected_count) is omitted, the count is this
        product's (for example 8 for C(Atlas 900 A2 PODc), 16 for C(Atlas 800T A3)).
    type: str
  require_no_processes:
    description: Every process on a device is a failure (use before a driver upgrade).
    type: bool
    default: false
  min_free_hbm_mb:
    description: Each device must have at least this much free HBM.
    type: int
  fail_on_unhealthy:
    description: Fail the task when a check fails; with V(false) the result carries RV(ok) and RV(failures) only.
    type: bool
    default: true
extends_documentation_fragment:
  - ascend_verl.cluster.attributes
"""

EXAMPLES = r"""
- name: Every NPU healthy and idle before touching the driver
  ascend_verl.cluster.npu_health:
    expected_count: 8
    require_no_processes: true

- name: Wait for the NPUs after a reboot
  ascend_verl.cluster.npu_health:
    fail_on_unhealthy: false
  register: health
  until: health.ok
  retries: 30
  delay: 10
"""

RETURN = r"""
ok:
  description: Whether every check passed.
  returned: always
  type: bool
  sample: false
failures:
  description:
    - Every failed check; C(device) (a label) and C(phy_id) are null for node-wide checks.
    - The C(driver) check also has C(kind) - C(not_started) (C(-8005), a driver or firmware change waits for a
      reboot), C(not_installed) or C(other).
  returned: always
  type: list
  elements: dict
  sample:
    - {device: "npu 3 chip 0 (phy 3)", phy_id: 3, check: processes, found: "pid 4242 python (2048 MB)", expected: no process}
    - {device: null, phy_id: null, check: driver, kind: not_started, found: "dcmi module initialize failed. ret is -8005",
       expected: npu-smi answers}
summary:
  description: "Every failed check in one line (V(<device>: <check> is <found>, expected <expected>; ...)), empty when RV(ok)."
  returned: always
  type: str
  sample: "npu 3 chip 0 (phy 3): processes is pid 4242 python (2048 MB), expected no process"
npu_smi:
  description: The parsed npu-smi output (see M(ascend_verl.cluster.npu_smi_info)); null when npu-smi did not answer.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.plugins.module_utils import hardware, npu_smi


def main():
    module = AnsibleModule(
        argument_spec=dict(
            npu_smi_path=dict(type="path"),
            expected_count=dict(type="int"),
            product=dict(type="str"),
            require_no_processes=dict(type="bool", default=False),
            min_free_hbm_mb=dict(type="int"),
            fail_on_unhealthy=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    expected = p["expected_count"]
    if expected is None and p["product"]:
        expected = hardware.expected_devices(p["product"])
        if expected is None:
            module.fail_json(msg="unknown product %r (known: %s)" % (p["product"], ", ".join(sorted(hardware.PRODUCTS))))
    info, error, dummy = npu_smi.run_info(module, p["npu_smi_path"])
    if error:
        found = error["message"] + (" (%s)" % error["hint"] if error["hint"] else "")
        failures = [{"device": None, "phy_id": None, "check": "driver", "kind": error["kind"], "found": found,
                     "expected": "npu-smi answers"}]
    else:
        failures = npu_smi.check_health(info, expected, p["require_no_processes"], p["min_free_hbm_mb"])
    result = dict(changed=False, ok=not failures, failures=failures, summary=npu_smi.describe(failures), npu_smi=info)
    if failures and p["fail_on_unhealthy"]:
        module.fail_json(msg=npu_smi.describe(failures), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
