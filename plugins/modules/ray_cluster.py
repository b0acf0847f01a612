#!/usr/bin/python
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: ray_cluster
short_description: Wait until every node has joined the Ray cluster with its NPUs, and run a smoke job on every NPU
version_added: 0.4.0
description:
  - Runs on a node of the cluster (usually the head). Connects to Ray as a driver with the verl env's Python (where Ray
    is installed; the module itself runs on the node's system Python) and polls the node table until every expected
    node is alive with its NPU count, or O(timeout) passes. Names the nodes missing and those with another NPU count.
  - With O(smoke), then starts one actor per NPU slot of every node, pinned to its node and all alive at once, so Ray
    hands each a distinct NPU. Each reports its host, the NPU id Ray gave it, C(ASCEND_RT_VISIBLE_DEVICES) and the
    variables of O(env_keys) as its worker process sees them, and whether C(torch_npu) imports and C(torch.npu) sees
    and selects its device (C(device_count()), C(set_device())). The actors are killed afterwards.
author:
  - ascend_verl.cluster maintainers (@ascend-verl)
options:
  python:
    description: The Python of the env Ray is installed in.
    type: path
    required: true
  address:
    description: The head's GCS address, C(HOST:PORT).
    type: str
    required: true
  node_ip:
    description: This node's Ray address (the one its raylet runs on); empty lets Ray find it.
    type: str
    default: ""
  expect:
    description: The nodes that must be in the cluster.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The inventory name, used in messages.
        type: str
        required: true
      address:
        description: The node's Ray address.
        type: str
        required: true
      npus:
        description: The NPUs it must offer (the C(NPU) resource).
        type: int
        required: true
  unplanned:
    description: More nodes of the cluster, by name, that could not be asked for their address (they failed or did not
      answer earlier); named in RV(unplanned) and the summary, not failed again.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds to wait for the nodes.
    type: int
    default: 300
  smoke:
    description: Also run the smoke job on every NPU slot.
    type: bool
    default: false
  smoke_timeout:
    description: Seconds the smoke job's slots have to answer.
    type: int
    default: 180
  env_keys:
    description: Variables every slot's worker process must have (non-empty).
    type: list
    elements: str
    default: [RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES, ASCEND_RT_VISIBLE_DEVICES, HCCL_SOCKET_IFNAME,
              HCCL_HOST_SOCKET_PORT_RANGE, ASCEND_TOOLKIT_HOME]
  fail_on_missing:
    description: Fail when a node is missing or offers another NPU count, or (with O(smoke)) a slot fails.
    type: bool
    default: true
extends_documentation_fragment:
  - ascend_verl.cluster.attributes
notes:
  - The driver connection shows up in Ray as a short job; nothing else is left behind.
"""

EXAMPLES = r"""
- name: Every node joined with its NPUs
  ascend_verl.cluster.ray_cluster:
    python: /opt/miniforge3/envs/verl-sglang/bin/python
    address: 10.0.0.11:6766
    node_ip: 10.0.0.11
    expect:
      - {name: node1, address: 10.0.0.11, npus: 8}
      - {name: node2, address: 10.0.0.12, npus: 8}

- name: And every NPU slot answers from a Ray worker
  ascend_verl.cluster.ray_cluster:
    python: /opt/miniforge3/envs/verl-sglang/bin/python
    address: 10.0.0.11:6766
    expect: "{{ ray_expected_nodes }}"
    smoke: true
    fail_on_missing: false
  register: smoke
"""

RETURN = r"""
nodes:
  description: The alive nodes as Ray lists them - C(address), C(node_id), C(npus).
  returned: always
  type: list
  elements: dict
by_name:
  description: NPUs each expected node offers in Ray, by name (null when it is not in the cluster).
  returned: always
  type: dict
  sample: {node1: 8, node2: null}
unplanned:
  description: The nodes of O(unplanned), not asked.
  returned: always
  type: list
  elements: str
missing:
  description: Expected nodes that are not in the cluster, by name.
  returned: always
  type: list
  elements: str
  sample: [node2]
wrong:
  description: Expected nodes that joined with another NPU count, name to reason.
  returned: always
  type: dict
npu_total:
  description: NPUs of the alive nodes.
  returned: always
  type: int
  sample: 16
expected_total:
  description: NPUs of the expected nodes.
  returned: always
  type: int
  sample: 16
ray_version:
  description: The Ray version the driver runs.
  returned: always
  type: str
  sample: 2.46.0
error:
  description: Why the driver could not connect or list the nodes (the last error), else null.
  returned: always
  type: str
smoke:
  description:
    - Per node (by name) - C(slots) that answered, C(passed), C(expected), C(devices) (NPU ids Ray handed out),
      C(failures) (one line per failed slot or check). Null without O(smoke).
  returned: always
  type: dict
  sample: {node1: {slots: 8, passed: 8, expected: 8, devices: ["0", "1", "2", "3", "4", "5", "6", "7"], failures: []}}
slots:
  description: What every smoke slot reported (host, address, npu_ids, visible, env, torch_npu, device_count, error).
  returned: always
  type: list
  elements: dict
summary:
  description: One line for people.
  returned: always
  type: str
  sample: "Ray: 16/16 NPUs in the cluster; smoke job 16/16 NPU slots"
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.plugins.module_utils import ray_cluster


def main():
    module = AnsibleModule(
        argument_spec=dict(
            python=dict(type="path", required=True),
            address=dict(type="str", required=True),
            node_ip=dict(type="str", default=""),
            expect=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                address=dict(type="str", required=True),
                npus=dict(type="int", required=True),
            )),
            unplanned=dict(type="list", elements="str", default=[]),
            timeout=dict(type="int", default=300),
            smoke=dict(type="bool", default=False),
            smoke_timeout=dict(type="int", default=180),
            env_keys=dict(type="list", elements="str", no_log=False, default=[
                "RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES", "ASCEND_RT_VISIBLE_DEVICES", "HCCL_SOCKET_IFNAME",
                "HCCL_HOST_SOCKET_PORT_RANGE", "ASCEND_TOOLKIT_HOME"]),
            fail_on_missing=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    request = {"address": p["address"], "node_ip": p["node_ip"], "expect": p["expect"], "timeout": p["timeout"],
               "smoke": p["smoke"], "smoke_timeout": p["smoke_timeout"], "env_keys": p["env_keys"]}
    rc, out, err = module.run_command([p["python"], "-c", ray_cluster.PROBE], data=json.dumps(request),
                                      binary_data=True)
    answer = ray_cluster.parse(out)
    if answer is None:
        module.fail_json(msg="the Ray probe gave no answer (rc %d): %s" % (rc, (err or out).strip()[-2000:]))
    nodes = ray_cluster.judge_nodes(answer, p["expect"], p["unplanned"])
    smoke = ray_cluster.judge_smoke(answer["smoke"], p["expect"], p["env_keys"]) if p["smoke"] else None
    result = dict(changed=False, nodes=answer["nodes"], by_name=nodes["by_name"], missing=nodes["missing"],
                  unplanned=nodes["unplanned"],
                  wrong=nodes["wrong"],
                  npu_total=nodes["npu_total"], expected_total=nodes["expected_total"],
                  ray_version=answer["ray_version"], error=answer["error"], smoke=smoke,
                  slots=(answer["smoke"] or {}).get("slots") or [], summary=ray_cluster.summary(nodes, smoke))
    bad = nodes["missing"] or nodes["wrong"] or (smoke and any(n["failures"] for n in smoke.values()))
    if bad and p["fail_on_missing"]:
        detail = "" if not answer["error"] else " (last error: %s)" % answer["error"]
        module.fail_json(msg=result["summary"] + detail, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
