#!/usr/bin/python
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: verify_report
short_description: Diagnose a whole cluster from every node's checks and write the verify report
version_added: 0.1.0
description:
  - Runs on the controller. Takes each node's M(ascend_verl.cluster.npu_health),
    M(ascend_verl.cluster.hccn_info) and M(ascend_verl.cluster.hccl_connectivity) results and localises the faults
    - a port that no peer reaches is blamed once with its local evidence (link down, net health), a pair of hosts
    failing on every device is a path problem between them, TLS switches that differ across the cluster are an
    error (HCCL refuses mixed TLS), a host that is down is reported as down and its peers are not blamed.
  - Writes C(<report_name>.json) (with a C(failures) list of C({host, device, check, message})), C(.md) and
    C(.junit.xml) to O(report_dir).
author:
  - ascend_verl.cluster maintainers (@ascend-verl)
options:
  hosts:
    description:
      - "Per host - C(unreachable) (bool) and C(msg), C(health) (the npu_health result), C(hccn) (the hccn_info
        result), C(connectivity) (the hccl_connectivity result), C(env) (the node's environment file as a dict, or
        null when it is missing), C(clock) (the C(offset) interval of M(ascend_verl.cluster.clock_offset), or null),
        C(fabric) (the M(ascend_verl.cluster.ascend_plan) result of role C(fabric) with
        C(ports_only): the ports whose address, gateway or netdetect address differs from the address plan), C(ray)
        (on the Ray head only: the M(ascend_verl.cluster.ray_cluster) result with the smoke job, or null), C(hccl)
        (C(intra): the node's M(ascend_verl.cluster.hccl_bench) result over its own NPUs; C(cluster), on the node that
        launched it: the run over the nodes, with its bisection; either null)."
    type: dict
    required: true
  check_env:
    description: Check the environment file (present, one visible device per NPU).
    type: bool
    default: true
  clock_threshold:
    description:
      - Seconds two hosts' clocks may differ; a host whose clock certainly differs by more from most others (both
        hosts of a pair of two) fails check C(clock). Each host's C(clock) is the interval M(ascend_verl.cluster.clock_offset)
        returns as C(offset).
    type: float
    default: 1.0
  ports:
    description:
      - What each RoCE port is held to, for the port-health fields M(ascend_verl.cluster.hccn_info) read. A port
        failing one of them is named with its host, device and check C(speed), C(duplex), C(lldp), C(optical),
        C(errors) or C(hccs).
    type: dict
    default: {}
    suboptions:
      product:
        description:
          - The Atlas product; its ports' speed and duplex are the collection's data (module_utils/hardware.py
            C(PRODUCTS)). Without a figure for the product, the speed most ports of the cluster show is expected.
        type: str
      speed_mbps:
        description: Speed every port must show, in Mb/s; 0 = the product's.
        type: int
        default: 0
      require_lldp:
        description: A port without an LLDP neighbour fails (when C(lldp) was read).
        type: bool
        default: false
      optical_temp_max_c:
        description: Highest optical module temperature, in C.
        type: float
        default: 70.0
      optical_rx_power_min_mw:
        description: Lowest receive power of any lane of an optical module, in mW.
        type: float
        default: 0.1
      optical_tx_power_min_mw:
        description: Lowest transmit power of any lane of an optical module, in mW.
        type: float
        default: 0.1
      error_growth_max:
        description:
          - How much a port's error counters (C(-stat -g) names with an err, bad, drop, fcs or crc word) may grow in
            total between the read before the probes (hccn_info) and the one after (hccl_connectivity
            O(ascend_verl.cluster.hccl_connectivity#module:stat_devices)).
        type: int
        default: 0
  report_dir:
    description: Where to write the reports; nothing is written when omitted.
    type: path
  report_name:
    description: File name without suffix.
    type: str
    default: verify
  context:
    description: Free-form facts recorded in the JSON report (stack, topology, inventory, ...).
    type: dict
    default: {}
  fail_on_failures:
    description: Fail the task when any check failed, naming every failure.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: In check mode the diagnosis runs and no report is written.
  diff_mode:
    support: none
    description: Reports are new files; there is no diff.
"""

EXAMPLES = r"""
- name: Diagnose and report
  ascend_verl.cluster.verify_report:
    hosts: "{{ verify_results }}"
    report_dir: "{{ playbook_dir }}/../reports"
    report_name: "verify-{{ now(utc=true, fmt='%Y%m%dT%H%M%SZ') }}"
"""

RETURN = r"""
ok:
  description: No check failed.
  returned: always
  type: bool
failures:
  description: Every fault, localised; C(device) is the phy id or null for host-wide faults.
  returned: always
  type: list
  elements: dict
  sample:
    - {host: node2, device: 3, check: link, message: "link DOWN, net health Fault; no peer reaches it (0 of 2 probes)"}
summary:
  description: Counts of hosts, failures and probes.
  returned: always
  type: dict
matrix:
  description: "C({src: {dst: [ok, total]}}): ping probes between each pair of reachable hosts."
  returned: always
  type: dict
ray:
  description:
    - The Ray cluster as its head saw it - C(ray_version), C(npus) (in the cluster / expected), C(smoke_slots) (passed /
      NPU slots) and C(nodes) (per node - slots, expected, devices, failures). Null when no host carried a Ray result.
  returned: always
  type: dict
  sample: {ray_version: 2.46.0, npus: 16/16, smoke_slots: 16/16}
hccl:
  description:
    - The collective benchmark (M(ascend_verl.cluster.hccl_bench)) - C(intra_gbps) (per node, its own NPUs),
      C(cluster_gbps) (the run over C(cluster_nodes) nodes) and C(runs) (with the bisection). Null when it did not run.
  returned: always
  type: dict
  sample: {intra_gbps: {node1: 17.99, node2: 18.02}, cluster_gbps: 12.4, cluster_nodes: 2, runs: 1}
lines:
  description: "One line per failure: C(host[ device N]: check: message)."
  returned: always
  type: list
  elements: str
  sample: ["node2 device 3: link: link DOWN, net health Fault; no peer reaches it (0 of 2 probes)"]
files:
  description: The reports written.
  returned: always
  type: list
  elements: str
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.plugins.module_utils import diagnosis, reports


def _markdown(result, context):
    s = result["summary"]
    lines = ["# Cluster verification: %s" % ("PASSED" if result["ok"] else "FAILED"), "",
             "%d hosts (%d unreachable), %d probes (%d failed), %d failures."
             % (s["hosts"], s["unreachable"], s["probes"], s["probes_failed"], s["failures"]), ""]
    if result.get("ray"):
        ray = result["ray"]
        lines += ["Ray%s: %s NPUs in the cluster; smoke job %s NPU slots passed." % (
            " " + ray["ray_version"] if ray.get("ray_version") else "", ray["npus"], ray["smoke_slots"]), ""]
    if result.get("hccl"):
        hccl = result["hccl"]
        figures = ", ".join("%s %s" % (h, "-" if g is None else "%.2f" % g)
                            for h, g in sorted(hccl["intra_gbps"].items(), key=lambda i: diagnosis.natural_key(i[0])))
        across = "" if not hccl["runs"] else "; across %d nodes %s (%d runs)" % (
            hccl["cluster_nodes"], "-" if hccl["cluster_gbps"] is None else "%.2f" % hccl["cluster_gbps"], hccl["runs"])
        lines += ["hccl_test (GB/s at the largest size): inside each node %s%s." % (figures or "-", across), ""]
    if context:
        lines += ["- %s: %s" % (k, context[k]) for k in sorted(context)] + [""]
    if result["failures"]:
        rows = [[f["host"], "" if f["device"] is None else f["device"], f["check"], f["message"]]
                for f in result["failures"]]
        lines += ["## Failures", "", reports.markdown_table(["host", "device", "check", "message"], rows), ""]
    names = sorted(result["matrix"], key=diagnosis.natural_key)
    if len(names) > 1:
        rows = [[a] + ["-" if a == b else "%d/%d" % tuple(result["matrix"][a][b]) for b in names] for a in names]
        lines += ["## Ping matrix (ok/probes)", "", reports.markdown_table([""] + names, rows), ""]
    return "\n".join(lines)


def _junit(result, hosts):
    cases = []
    for host in sorted(hosts, key=diagnosis.natural_key):
        mine = [f for f in result["failures"] if f["host"] == host]
        text = "\n".join("%s: %s: %s" % (_where(f), f["check"], f["message"]) for f in mine)
        cases.append({"classname": "verify", "name": host, "failure": text or None, "skipped": None})
    return reports.junit_xml("verify", cases)


def _where(failure):
    return failure["host"] + ("" if failure["device"] is None else " device %s" % failure["device"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hosts=dict(type="dict", required=True),
            clock_threshold=dict(type="float", default=1.0),
            check_env=dict(type="bool", default=True),
            ports=dict(type="dict", default={}, options=dict(
                product=dict(type="str"),
                speed_mbps=dict(type="int", default=0),
                require_lldp=dict(type="bool", default=False),
                optical_temp_max_c=dict(type="float", default=70.0),
                optical_rx_power_min_mw=dict(type="float", default=0.1),
                optical_tx_power_min_mw=dict(type="float", default=0.1),
                error_growth_max=dict(type="int", default=0),
            )),
            report_dir=dict(type="path"),
            report_name=dict(type="str", default="verify"),
            context=dict(type="dict", default={}),
            fail_on_failures=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    result = diagnosis.diagnose(p["hosts"], p["check_env"], p["clock_threshold"],
                                diagnosis.port_expectations(**(p["ports"] or {})))
    files = []
    if p["report_dir"] and not module.check_mode:
        doc = dict(result, context=p["context"])
        files = reports.write_all(p["report_dir"], p["report_name"], {
            "json": json.dumps(doc, indent=1, sort_keys=True) + "\n",
            "md": _markdown(result, p["context"]) + "\n",
            "junit.xml": _junit(result, p["hosts"]),
        })
    lines = ["%s: %s: %s" % (_where(f), f["check"], f["message"]) for f in result["failures"]]
    # The reports are output, not managed state: writing them is not a change.
    out = dict(changed=False, files=files, lines=lines, **result)
    if not result["ok"] and p["fail_on_failures"]:
        module.fail_json(msg="cluster verification failed: " + "; ".join(lines), **out)
    module.exit_json(**out)


if __name__ == "__main__":
    main()
