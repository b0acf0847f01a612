#!/usr/bin/python
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: hccl_connectivity
short_description: Probe this node's NPU links and host ports towards its peers
version_added: 0.1.0
description:
  - Runs on every node of the cluster and probes its peers with C(hccn_tool -i <dev> -ping -g address <peer address>)
    for the device pairs the O(topology) asks for, in parallel with a bounded pool.
  - An echo proves both directions, so each unordered pair of hosts is probed once, by one of the two (the load is
    spread evenly over the nodes) unless O(both_directions) is set.
  - Also opens a TCP connection from the host network to each peer on each of O(tcp_ports). A refused connection
    proves the path is open (nothing listens yet); a timeout means a firewall drops it.
  - Peers come from the inventory's M(ascend_verl.cluster.hccn_info) results, see the example; nothing is typed in.
  - Never fails because a probe failed; the controller aggregates every node's results (the P(ascend_verl.cluster.verify#role) role, C(playbooks/verify.yml)).
author:
  - ascend_verl.cluster maintainers (@ascend-verl)
options:
  host:
    description: This node's name in O(hosts).
    type: str
    required: true
  hosts:
    description:
      - Every node of the cluster, this one included, as C({host, address, devices}) where C(address) is the
        management address for the TCP check and C(devices) the RV(ascend_verl.cluster.hccn_info#module:hccn.devices)
        list (C(phy_id) and C(address) are used).
    type: list
    elements: dict
    required: true
  topology:
    description:
      - V(same_index) probes device i to device i on every other node (the A2 PODc rail convention);
        V(full_mesh) every device to every device of every other node; V(ring) device i to device i of the next
        node in name order.
    type: str
    choices: [same_index, full_mesh, ring]
    default: same_index
  both_directions:
    description: Probe each pair from both ends.
    type: bool
    default: false
  tcp_ports:
    description: Ports (or C(low-high) ranges) to open on every peer's management address; empty for none.
    type: list
    elements: str
    default: ["6379", "60000-60015"]
  tcp_timeout:
    description: Seconds before a TCP connection counts as filtered.
    type: float
    default: 2.0
  parallel:
    description: Probes in flight at once on this node.
    type: int
    default: 32
  hccn_tool_path:
    description: Path of hccn_tool, found as in M(ascend_verl.cluster.hccn_info) by default.
    type: path
  stat_devices:
    description:
      - After the probes, read C(hccn_tool -i <dev> -stat -g) of these devices (phy ids), in the same run - the
        second read of the error counters that M(ascend_verl.cluster.hccn_info) read before the probes.
    type: list
    elements: int
    default: []
extends_documentation_fragment:
  - ascend_verl.cluster.attributes
"""

EXAMPLES = r"""
- name: Read the RoCE ports
  ascend_verl.cluster.hccn_info:
  register: roce

- name: Publish this node's addresses to its peers
  ansible.builtin.set_fact:
    hccl_peer:
      host: "{{ inventory_hostname }}"
      address: "{{ ansible_host | default(inventory_hostname) }}"
      devices: "{{ roce.hccn.devices }}"

- name: Probe the peers
  ascend_verl.cluster.hccl_connectivity:
    host: "{{ inventory_hostname }}"
    hosts: "{{ ansible_play_hosts | map('extract', hostvars, 'hccl_peer') | select('defined') | list }}"
    topology: same_index
  register: links
"""

RETURN = r"""
probes:
  description: One entry per ping this node ran.
  returned: always
  type: list
  elements: dict
  sample:
    - {src_host: node1, src_device: 3, dst_host: node2, dst_device: 3, dst_address: 198.19.0.35, ok: false,
       rc: 1, sent: 3, received: 0, loss_pct: 100.0, message: "3 packets transmitted, 0 received, 100.00% packet loss"}
tcp:
  description: One entry per peer and port; C(state) is open, refused, timeout or unreachable.
  returned: always
  type: list
  elements: dict
  sample:
    - {src_host: node1, dst_host: node2, address: 198.18.0.12, port: 6379, state: refused}
stat:
  description: The counters of each of O(stat_devices) after the probes; C(stat) null and C(error) set when unreadable.
  returned: always
  type: list
  elements: dict
  sample:
    - {phy_id: 0, stat: {roce_qp_status_err_num: 0, nic_tx_all_pkg_num: 122410}, error: null}
summary:
  description: Counts.
  returned: always
  type: dict
  sample: {probes: 8, failed: 1, tcp: 34, tcp_blocked: 0}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.plugins.module_utils import connectivity, hccn


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str", required=True),
            hosts=dict(type="list", elements="dict", required=True),
            topology=dict(type="str", choices=list(connectivity.TOPOLOGIES), default="same_index"),
            both_directions=dict(type="bool", default=False),
            tcp_ports=dict(type="list", elements="str", default=["6379", "60000-60015"]),
            tcp_timeout=dict(type="float", default=2.0),
            parallel=dict(type="int", default=32),
            hccn_tool_path=dict(type="path"),
            stat_devices=dict(type="list", elements="int", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    names = [h.get("host") for h in p["hosts"]]
    if p["host"] not in names:
        module.fail_json(msg="host %s is not in hosts (%s)" % (p["host"], ", ".join(map(str, names))))
    try:
        ports = connectivity.expand_ports(p["tcp_ports"])
        probes = connectivity.plan(p["hosts"], p["host"], p["topology"], p["both_directions"])
    except ValueError as err:
        module.fail_json(msg=str(err))
    tool = hccn.find_tool(p["hccn_tool_path"])
    if (probes or p["stat_devices"]) and tool is None:
        module.fail_json(msg="hccn_tool not found: the NPU driver is not installed")
    targets = [dict(src_host=p["host"], dst_host=h["host"], address=h["address"], port=port)
               for h in p["hosts"] if h["host"] != p["host"] and h.get("address") for port in ports]

    def runner(args):
        return hccn.run(module.run_command, tool, args, timeout=60)

    pings, tcp = connectivity.run_all(runner, probes, targets, p["parallel"], p["tcp_timeout"])
    stat = hccn.stat_all(runner, p["stat_devices"], p["parallel"])
    for probe in pings:
        probe["src_host"] = p["host"]
    summary = dict(probes=len(pings), failed=sum(1 for x in pings if not x["ok"]), tcp=len(tcp),
                   tcp_blocked=sum(1 for x in tcp if x["state"] in ("timeout", "unreachable")))
    module.exit_json(changed=False, probes=pings, tcp=tcp, stat=stat, summary=summary)


if __name__ == "__main__":
    main()
