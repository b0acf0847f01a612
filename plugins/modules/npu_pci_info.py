#!/usr/bin/python
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: npu_pci_info
short_description: List the Ascend NPUs a node shows on its PCI bus
version_added: 0.1.0
description:
  - Reads C(/sys/bus/pci/devices) and returns every function of vendor C(0x19e5) that is an
    Ascend NPU (device ids C(d801) 910, C(d802) 910B/A2, C(d803) 910_93/A3, C(d500) 310P).
  - Works before any driver is installed, the way C(lspci) does, so it can tell whether a
    node has the hardware its inventory claims before anything is changed.
author:
  - ascend_verl.cluster maintainers (@ascend-verl)
options:
  sysfs_path:
    description:
      - Directory that holds one entry per PCI function.
    type: path
    default: /sys/bus/pci/devices
extends_documentation_fragment:
  - ascend_verl.cluster.attributes
notes:
  - Each NPU die is a PCI function, so an Atlas 800T A3 (8 NPUs x 2 dies) shows 16.
"""

EXAMPLES = r"""
- name: Count the NPUs on the PCI bus
  ascend_verl.cluster.npu_pci_info:
  register: pci

- name: Stop when the node does not show eight A2 NPUs
  ansible.builtin.assert:
    that:
      - pci.npu_pci.count == 8
      - pci.npu_pci.npu_device == 'A2'
"""

RETURN = r"""
npu_pci:
  description: The Ascend NPU functions found.
  returned: always
  type: dict
  contains:
    count:
      description: Number of NPU functions.
      type: int
      sample: 8
    npu_device:
      description: V(A2) or V(A3) (the NPU_DEVICE of the verl install scripts), V(A1) for 910,
        V(mixed) when kinds differ, null for none or 310P only.
      type: str
      sample: A2
    by_device_id:
      description: Count per PCI device id.
      type: dict
      sample: {"0xd802": 8}
    devices:
      description: One entry per function, sorted by slot.
      type: list
      elements: dict
      sample:
        - slot: "0000:c1:00.0"
          device_id: "0xd802"
          subsystem_device_id: "0x3003"
          revision: "0x20"
          chip: 910b
          npu_device: A2
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.plugins.module_utils import npu_pci


def main():
    module = AnsibleModule(
        argument_spec=dict(sysfs_path=dict(type="path", default="/sys/bus/pci/devices")),
        supports_check_mode=True,
    )
    devices = npu_pci.scan(module.params["sysfs_path"])
    module.exit_json(changed=False, npu_pci=npu_pci.summarize(devices))


if __name__ == "__main__":
    main()
