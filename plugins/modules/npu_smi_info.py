#!/usr/bin/python
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: npu_smi_info
short_description: Read the NPUs, their health and the processes on them from npu-smi
version_added: 0.1.0
description:
  - Runs C(npu-smi info) and returns every device (one entry per die on A3) and every process holding one.
  - Reads the A2 and A3 layouts of npu-smi 23.x to 26.x without relying on column offsets, including values wide
    enough to squeeze the separators and processes without a name.
  - Fails with the cause on the documented errors - C(-8005) (device not started, a reboot is needed after a driver
    or firmware change) and a missing npu-smi (driver not installed).
author:
  - ascend_verl.cluster maintainers (@ascend-verl)
options:
  npu_smi_path:
    description:
      - Path of npu-smi. By default it is looked up as a login shell would, C(PATH) first, then C(/usr/local/bin),
        C(/usr/local/sbin), C(/usr/bin), C(/usr/sbin).
    type: path
extends_documentation_fragment:
  - ascend_verl.cluster.attributes
"""

EXAMPLES = r"""
- name: Read npu-smi
  ascend_verl.cluster.npu_smi_info:
  register: npu

- name: Show the unhealthy dies
  ansible.builtin.debug:
    msg: "{{ npu.npu_smi.devices | rejectattr('health', 'eq', 'OK') | list }}"
"""

RETURN = r"""
npu_smi:
  description: What npu-smi shows.
  returned: success
  type: dict
  contains:
    version:
      description: npu-smi (driver) version.
      type: str
      sample: 25.3.rc1
    product:
      description: V(A2) or V(A3), as the layout shows.
      type: str
      sample: A2
    devices:
      description: One entry per die.
      type: list
      elements: dict
      sample:
        - {npu: 0, chip: 0, phy_id: 0, name: 910B3, health: OK, power_w: 98.2, temp_c: 41,
           bus_id: "0000:C1:00.0", aicore_pct: 0, hbm_used_mb: 3445, hbm_total_mb: 65536}
    processes:
      description: One entry per process on a die; C(name) may be empty.
      type: list
      elements: dict
      sample:
        - {npu: 0, chip: 0, pid: 582939, name: "", memory_mb: 19502}
path:
  description: The npu-smi that was run.
  returned: success
  type: str
  sample: /usr/local/bin/npu-smi
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.plugins.module_utils import npu_smi


def main():
    module = AnsibleModule(argument_spec=dict(npu_smi_path=dict(type="path")), supports_check_mode=True)
    info, error, path = npu_smi.run_info(module, module.params["npu_smi_path"])
    if error:
        module.fail_json(msg="npu-smi: %s (%s)" % (error["message"], error["hint"]) if error["hint"] else
                         "npu-smi: " + error["message"], error=error)
    module.exit_json(changed=False, npu_smi=info, path=path)


if __name__ == "__main__":
    main()
