#!/usr/bin/python
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: clock_offset
short_description: The node's clock offset to the controller as a certain interval, and its time service's own view
version_added: 0.3.0
description:
  - Reads the node's wall clock and, when it can, what the node's time service says about its own sync state
    (C(chronyc tracking), C(timedatectl timesync-status), C(ntpq -pn)) and the kernel's clock discipline state
    (C(adjtimex)).
  - The action plugin reads the controller's wall clock right before the module starts and right after its result is
    back, so the node's offset (node minus controller) is certainly in [node - after, node - before]. The node also
    reports how long its process had certainly run when it read its clock (from C(/proc/self/stat)), which narrows the
    upper end. No symmetric-delay guess.
  - Give the intervals of all nodes and a threshold to C(module_utils/clock.py) C(compare()) to name the nodes whose
    clocks certainly differ by more than the threshold.
author:
  - ascend_verl.cluster maintainers (@ascend-verl)
options:
  service:
    description: Also ask the time service in use for its sync state, and the kernel for its own.
    type: bool
    default: true
  samples:
    description:
      - Measure this many times and keep the intersection of the intervals (each is certain; together they are
        narrower). Handled by the action plugin.
    type: int
    default: 1
extends_documentation_fragment:
  - ascend_verl.cluster.attributes
attributes:
  action:
    support: full
    description: The action plugin reads the controller's clock around the remote call and computes the interval.
notes:
  - Every offset is node minus reference - positive means the node's clock is ahead.
  - The interval assumes the controller's clock does not jump during the call; RV(controller_stepped) says when its
    wall clock and its monotonic clock disagreed about the call's duration by more than a millisecond.
"""

EXAMPLES = r"""
- name: Clock offset of every node to the controller
  ascend_verl.cluster.clock_offset:
  register: clock

- name: The node's clock is within a second of the controller's, certainly
  ansible.builtin.assert:
    that:
      - clock.offset.low > -1
      - clock.offset.high < 1
"""

RETURN = r"""
clock:
  description: What the node read.
  returned: always
  type: dict
  contains:
    node_time:
      description: The node's wall clock (seconds since the epoch) when it was read.
      type: float
      sample: 1764633600.123456
    elapsed:
      description: Seconds the module's process had certainly been running when it read its clock (a lower bound).
      type: float
      sample: 0.084
    service:
      description:
        - The time service in use (C(chrony), C(timesyncd), C(ntpd)) and whether it runs; C(sync) is its own view -
          C(synced), C(offset) (node minus its reference, seconds), C(error_bound) (the service's own bound or
          estimate), C(server), C(stratum), C(source) (the command asked), or C(error). Null when not asked or none is
          installed.
      type: dict
      sample: {name: chrony, running: true, sync: {synced: true, offset: 1.2e-05, error_bound: 0.0061, server: 10.0.0.1}}
    kernel:
      description: The kernel's view (C(adjtimex)) - C(synced), C(maxerror) and C(esterror) in seconds; null when unknown.
      type: dict
      sample: {synced: true, maxerror: 0.0155, esterror: 0.000004}
offset:
  description:
    - Node minus controller, seconds, as a certain interval (added by the action plugin) - C(low), C(high), C(estimate)
      (the midpoint) and C(width). With several samples, their intersection.
  returned: always
  type: dict
  sample: {low: -0.41, high: -0.02, estimate: -0.215, width: 0.39}
controller:
  description: The controller's wall clock right before and right after the (last) remote call.
  returned: always
  type: dict
  sample: {before: 1764633599.9, after: 1764633600.53}
samples:
  description: The interval of each sample.
  returned: always
  type: list
  elements: dict
controller_stepped:
  description: The controller's wall clock jumped during a sample (its duration differs from the monotonic clock's).
  returned: always
  type: bool
samples_disagree:
  description: The samples' intervals do not overlap (a clock was stepped between them); RV(offset) is the last one.
  returned: always
  type: bool
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.plugins.module_utils import host_facts
from ansible_collections.ascend_verl.cluster.plugins.module_utils.node_facts import Node


def process_elapsed():
    """Seconds this process has certainly been running: CLOCK_BOOTTIME now minus its start time
    (/proc/self/stat, in clock ticks since boot, rounded up to the next tick); 0 when unknown."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        start = (int(fields[19]) + 1) / float(os.sysconf("SC_CLK_TCK"))
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - start)
    except (IOError, OSError, ValueError, IndexError, AttributeError):
        return 0.0


def service_state(module):
    node = Node("/")
    sync = host_facts.time_sync(module.run_command, node, host_facts.systemd_running(node))
    if not sync["service"]:
        return None, sync["kernel"]
    entry = sync["services"][sync["service"]]
    return {"kind": sync["service"], "name": entry["name"], "running": entry["running"], "sync": sync["sync"]}, sync["kernel"]


def main():
    module = AnsibleModule(
        argument_spec=dict(service=dict(type="bool", default=True), samples=dict(type="int", default=1)),
        supports_check_mode=True,
    )
    service, kernel = service_state(module) if module.params["service"] else (None, None)
    elapsed = process_elapsed()        # read first: the wall clock below is read later still
    node_time = time.time()
    module.exit_json(changed=False, clock={"node_time": node_time, "elapsed": elapsed, "service": service,
                                           "kernel": kernel})


if __name__ == "__main__":
    main()
