#!/usr/bin/python
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: hccl_bench
short_description: Run CANN's hccl_test over nodes with MPICH, judge the bandwidth, and bisect a bad run to the nodes at fault
version_added: 0.4.0
description:
  - Runs one hccl_test (for example C(all_reduce_test)) with MPICH's C(mpirun) over O(nodes), every NPU of each node a
    rank, parses rank 0's table and judges it (C(module_utils/hccl_bench.py)) - the text decides, not the exit status
    (hccl_test exits 0 when HCCL init failed).
  - When the run over all nodes is bad (failed, errors, or the bandwidth at the largest size below O(floor_gbps)) and
    O(bisect) is on, runs halves, then pairs with a node proven good, one run at a time, and names the nodes at fault
    (or the path between two nodes that are each good with others).
  - Runs on the node that launches the ranks; with more than one node, Hydra starts the remote ranks over SSH
    (O(launcher_exec)).
author:
  - ascend_verl.cluster maintainers (@ascend-verl)
options:
  test:
    description: Path of the built test binary (under the toolkit's C(tools/hccl_test/bin)).
    type: path
    required: true
  mpirun:
    description: MPICH's Hydra launcher.
    type: path
    default: mpirun
  nodes:
    description:
      - The nodes of the run, in order; C(name) is how results name the node, C(address) how MPICH reaches it (its
        hostfile takes IPv4 addresses or names). One node runs every rank locally, without a hostfile.
    type: list
    elements: dict
    required: true
  npus_per_node:
    description: Ranks (NPUs) per node (hccl_test C(-p)).
    type: int
    required: true
  begin:
    description: Smallest message size (C(-b)).
    type: str
    default: 8K
  end:
    description: Largest message size (C(-e)); its bandwidth is judged.
    type: str
    default: 64M
  factor:
    description: Size step factor (C(-f)).
    type: float
    default: 2
  dtype:
    description: Data type (C(-d)).
    type: str
    default: fp32
  op:
    description: Reduction (C(-o)).
    type: str
    choices: [sum, prod, max, min]
    default: sum
  warmup:
    description: Warm-up iterations (C(-w)).
    type: int
    default: 5
  iters:
    description: Measured iterations (C(-n)).
    type: int
    default: 20
  check:
    description: Check the results (C(-c 1)).
    type: bool
    default: true
  floor_gbps:
    description: Algorithm bandwidth at the largest size below which the run is bad; omitted, only failures count.
    type: float
  bisect:
    description: Bisect a bad run over several nodes to the nodes at fault.
    type: bool
    default: true
  max_runs:
    description: Most runs in all (the first one included).
    type: int
    default: 16
  launcher_exec:
    description: The SSH command Hydra starts remote ranks with (C(-launcher ssh -launcher-exec)).
    type: path
  env_file:
    description: A KEY=VALUE file (the NPU environment) loaded into mpirun's environment, which Hydra passes to every rank.
    type: path
  library_path:
    description: A directory put first in C(LD_LIBRARY_PATH) (MPICH's libraries where the loader does not look, as on openEuler).
    type: path
  timeout:
    description: Seconds one run may take before it is stopped and counted as failed.
    type: int
    default: 600
attributes:
  check_mode:
    support: full
    description: The benchmark changes nothing on the nodes, so it runs in check mode too.
  diff_mode:
    support: none
    description: Nothing is changed.
"""

EXAMPLES = r"""
- name: All-reduce over every node, bisected when slow
  ascend_verl.cluster.hccl_bench:
    test: /usr/local/Ascend/ascend-toolkit/latest/tools/hccl_test/bin/all_reduce_test
    mpirun: /usr/bin/mpiexec.mpich
    nodes: [{name: node1, address: 10.0.0.11}, {name: node2, address: 10.0.0.12}]
    npus_per_node: 8
    floor_gbps: 20
    launcher_exec: /etc/ascend_verl/hccl_test/ssh
    env_file: /etc/ascend_verl/npu.env
"""

RETURN = r"""
ok:
  description: Whether the run over all nodes was good.
  returned: always
  type: bool
bandwidth:
  description: Algorithm bandwidth (GB/s) of the run over all nodes at its largest size, when it printed one.
  returned: always
  type: float
blamed:
  description: Nodes every bad run holds and every good run lacks.
  returned: always
  type: list
  elements: str
unresolved:
  description: Sets of nodes good with others but bad together (the path between them).
  returned: always
  type: list
  elements: list
runs:
  description: Every run, in order, with its hosts, verdict, figures, rows and errors.
  returned: always
  type: list
  elements: dict
message:
  description: One line for people.
  returned: always
  type: str
"""

import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.plugins.module_utils import hccl_bench


def read_env(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                out[key.strip()] = value.strip().strip('"')
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            test=dict(type="path", required=True),
            mpirun=dict(type="path", default="mpirun"),
            nodes=dict(type="list", elements="dict", required=True),
            npus_per_node=dict(type="int", required=True),
            begin=dict(type="str", default="8K"),
            end=dict(type="str", default="64M"),
            factor=dict(type="float", default=2),
            dtype=dict(type="str", default="fp32"),
            op=dict(type="str", choices=list(hccl_bench.OPS), default="sum"),
            warmup=dict(type="int", default=5),
            iters=dict(type="int", default=20),
            check=dict(type="bool", default=True),
            floor_gbps=dict(type="float"),
            bisect=dict(type="bool", default=True),
            max_runs=dict(type="int", default=16),
            launcher_exec=dict(type="path"),
            env_file=dict(type="path"),
            library_path=dict(type="path"),
            timeout=dict(type="int", default=600),
        ),
        supports_check_mode=True,
    )
    p = module.params
    address = dict((n.get("name"), n.get("address") or n.get("name")) for n in p["nodes"])
    names = [n.get("name") for n in p["nodes"]]
    env = read_env(p["env_file"]) if p["env_file"] else {}
    if p["library_path"]:
        rest = env.get("LD_LIBRARY_PATH", os.environ.get("LD_LIBRARY_PATH", ""))
        env["LD_LIBRARY_PATH"] = p["library_path"] + (":" + rest if rest else "")

    def run(hosts):
        hostfile = None
        if len(hosts) > 1:
            fd, hostfile = tempfile.mkstemp(prefix="hccl-hosts-")
            with os.fdopen(fd, "w") as f:
                f.write(hccl_bench.hostfile([address[h] for h in hosts], p["npus_per_node"]))
        try:
            argv = hccl_bench.argv(p["test"], hosts, p["npus_per_node"], p["begin"], p["end"], p["factor"], p["dtype"],
                                   p["op"], p["warmup"], p["iters"], p["check"], hostfile, p["mpirun"])
            if hostfile and p["launcher_exec"]:
                argv[1:1] = ["-launcher", "ssh", "-launcher-exec", p["launcher_exec"]]
            start = time.time()
            rc, out, err = module.run_command(["timeout", str(p["timeout"])] + argv, environ_update=env)
            seconds = round(time.time() - start, 1)
            if rc == 124:
                out += "\nhccl_test over %s: execute failed, no result in %s s" % (", ".join(hosts), p["timeout"])
            return {"text": out + "\n" + err, "rc": rc, "seconds": seconds}
        finally:
            if hostfile:
                os.unlink(hostfile)

    try:
        result = hccl_bench.series(run, names, p["floor_gbps"], None, p["bisect"], p["max_runs"])
    except ValueError as e:
        module.fail_json(msg="hccl_bench: %s" % e)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
