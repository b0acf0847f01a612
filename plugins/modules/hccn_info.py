#!/usr/bin/python
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: hccn_info
short_description: Read every NPU's RoCE port settings and state from hccn_tool
version_added: 0.1.0
description:
  - For each device asks C(hccn_tool -i <phy_id>) for C(-ip), C(-link), C(-net_health), C(-tls), C(-netdetect) and
    C(-gateway) (the vendor's pre-flight list) and returns the parsed values.
  - Devices are the driver's C(/dev/davinci<N>) unless O(devices) names them.
  - With the port-health fields also C(-speed), C(-duplex), C(-lldp), C(-optical), C(-stat) and on A3 C(-vnic) and
    C(-hccs_ping) to the other die of the same NPU (phy-id C(npu * 2 + die), so device N pings device C(N xor 1)
    at its vnic address).
  - Fails with the cause when hccn_tool is missing (driver not installed) or the devices are not started (C(-8005)).
    A question that fails for one device only is listed in that device's C(errors).
author:
  - ascend_verl.cluster maintainers (@ascend-verl)
options:
  hccn_tool_path:
    description:
      - Path of hccn_tool. By default the driver's C(/usr/local/Ascend/driver/tools/hccn_tool), then
        C(/usr/local/bin), C(/usr/local/sbin), C(/usr/bin).
    type: path
  devices:
    description: Phy ids to read; all of C(/dev/davinci<N>) by default.
    type: list
    elements: int
  parallel:
    description: Devices read at the same time.
    type: int
    default: 8
  timeout:
    description: Seconds one C(hccn_tool) call may take before it counts as hung (the device's error).
    type: int
    default: 30
  fields:
    description:
      - Which questions to ask besides C(-ip) (always asked); the others of C(link), C(net_health), C(tls_switch),
        C(netdetect), C(gateway) are returned as null, the port-health ones (C(speed), C(duplex), C(lldp), C(optical),
        C(stat), C(vnic), C(hccs)) are left out of the device. One C(hccn_tool) call per device and field, so a caller
        asks for what it uses.
      - C(hccs) (A3 only) reads C(vnic) too, then pings the other die of each NPU over HCCS.
    type: list
    elements: str
    choices: [link, net_health, tls_switch, netdetect, gateway, speed, duplex, lldp, optical, stat, vnic, hccs]
    default: [link, net_health, tls_switch, netdetect, gateway]
extends_documentation_fragment:
  - ascend_verl.cluster.attributes
"""

EXAMPLES = r"""
- name: Read the RoCE ports
  ascend_verl.cluster.hccn_info:
  register: roce

- name: Every port up with an address
  ansible.builtin.assert:
    that:
      - roce.hccn.devices | rejectattr('link', 'equalto', 'UP') | list | length == 0
      - roce.hccn.devices | rejectattr('address') | list | length == 0

- name: Only what an HCCL check needs (fewer hccn_tool calls)
  ascend_verl.cluster.hccn_info:
    fields: [link, net_health, tls_switch]

- name: Port health in depth on an A3 node (speed, optics, counters, die-to-die HCCS)
  ascend_verl.cluster.hccn_info:
    fields: [link, net_health, tls_switch, speed, duplex, optical, stat, hccs]
"""

RETURN = r"""
hccn:
  description: What hccn_tool reported.
  returned: success
  type: dict
  contains:
    tool:
      description: The hccn_tool that was run.
      type: str
      sample: /usr/local/Ascend/driver/tools/hccn_tool
    devices:
      description:
        - One entry per device, in phy-id order; a value hccn_tool did not give, or one not in O(fields), is null
          (the port-health keys are there only when asked).
        - C(speed) in Mb/s; C(duplex) lower case; C(lldp) the neighbour's port (C(Ifname)) or null; C(optical)
          C({present, temperature_c, tx_power_mw, rx_power_mw}) with one power per lane; C(stat) every counter of
          C(-stat -g); C(vnic) the A3 virtual NIC address; C(hccs) C({peer, address, ok, sent, received, loss_pct,
          message}) of the HCCS ping to the other die, null where the other die is not read.
      type: list
      elements: dict
      sample:
        - phy_id: 0
          address: 29.1.137.205
          netmask: 255.255.0.0
          link: UP
          net_health: Success
          tls_switch: 0
          netdetect: 29.1.0.1
          gateway: 29.1.0.1
          speed: 200000
          duplex: full
          optical: {present: true, temperature_c: 47, tx_power_mw: [4.4035], rx_power_mw: [1.0189]}
          stat: {roce_qp_status_err_num: 0, nic_tx_all_pkg_num: 122404}
          errors: []
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.plugins.module_utils import hardware, hccn


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hccn_tool_path=dict(type="path"),
            devices=dict(type="list", elements="int"),
            parallel=dict(type="int", default=8),
            timeout=dict(type="int", default=30),
            fields=dict(type="list", elements="str", choices=list(hccn.ALL_FIELDS), default=list(hccn.FIELD_NAMES)),
        ),
        supports_check_mode=True,
    )
    p = module.params
    tool = hccn.find_tool(p["hccn_tool_path"])
    if tool is None:
        module.fail_json(msg="hccn_tool not found (%s): the NPU driver is not installed"
                         % (p["hccn_tool_path"] or ", ".join(hardware.hccn_tool_candidates())))
    ids = p["devices"] if p["devices"] is not None else hccn.device_ids()
    devices, error = hccn.collect(lambda args: hccn.run(module.run_command, tool, args, p["timeout"]), ids, p["parallel"], p["fields"])
    if error:
        module.fail_json(msg="hccn_tool: " + error, hccn=dict(tool=tool, devices=[]))
    if not ids:
        module.fail_json(msg="no NPU devices: /dev/davinci* does not exist (driver not loaded?)",
                         hccn=dict(tool=tool, devices=[]))
    module.exit_json(changed=False, hccn=dict(tool=os.path.realpath(tool), devices=devices))


if __name__ == "__main__":
    main()
