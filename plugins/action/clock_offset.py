# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of ascend_verl.cluster.clock_offset: the controller's clock around the call.

Reads the controller's wall clock right before the module starts on the node and right after
its result is back; the node's clock was read in between, so node minus controller is certainly
in [node - after, node - before - elapsed] (module_utils/clock.py interval()).  With `samples`
the module runs that many times and the intervals are intersected.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.ascend_verl.cluster.plugins.module_utils import clock

STEP = 0.001        # seconds the wall and monotonic durations of a call may differ before it counts as a jump


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("service", "samples"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        try:
            samples = int(args.pop("samples", 1))
        except (TypeError, ValueError):
            raise AnsibleActionFail("samples must be an integer >= 1, got %r" % self._task.args.get("samples"))
        if samples < 1:
            raise AnsibleActionFail("samples must be an integer >= 1, got %d" % samples)
        measured, stepped, out = [], False, {}
        for index in range(samples):
            if index:
                args["service"] = False          # the service's view once is enough
            before, mono_before = time.time(), time.monotonic()
            out = self._execute_module(module_name=self._task.action, module_args=args, task_vars=task_vars)
            after, mono_after = time.time(), time.monotonic()
            if out.get("failed") or out.get("unreachable") or "clock" not in out:
                result.update(out)
                return result
            if abs((after - before) - (mono_after - mono_before)) > STEP:
                stepped = True
            if index == 0:
                first = out["clock"]
            span = clock.interval(out["clock"]["node_time"], before, after, out["clock"].get("elapsed") or 0.0)
            span["controller"] = {"before": before, "after": after}
            measured.append(span)
        combined = clock.intersect(measured)
        result.update(out)
        result["clock"] = dict(out["clock"], service=first.get("service"), kernel=first.get("kernel"))
        last = dict((k, measured[-1][k]) for k in ("low", "high", "estimate", "width"))
        result["offset"] = combined if combined is not None else last
        result["controller"] = measured[-1]["controller"]
        result["samples"] = measured
        result["samples_disagree"] = combined is None
        result["controller_stepped"] = stepped
        result["changed"] = False
        return result
