# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only callback: write run results to $RESULTS_JSON (ansible.posix.json is not installed)."""

DOCUMENTATION = r"""
name: results_json
type: aggregate
short_description: Write per-task host results and the recap to a JSON file
description:
  - Used by the collection's integration tests; the console output stays as it is.
options: {}
requirements:
  - RESULTS_JSON environment variable naming the output file
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "results_json"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.tasks = []
        self.started = time.monotonic()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.started = time.monotonic()

    def _record(self, result, status):
        task = result._task.get_name()
        if not self.tasks or self.tasks[-1]["name"] != task:
            self.tasks.append({"name": task, "hosts": {}})
        # seconds from the task's start to its last host result (for finding slow tasks)
        self.tasks[-1]["seconds"] = round(time.monotonic() - self.started, 3)
        entry = dict(result._result)
        entry["_status"] = status
        self.tasks[-1]["hosts"][result._host.get_name()] = entry

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        recap = dict((host, stats.summarize(host)) for host in sorted(stats.processed))
        with open(os.environ["RESULTS_JSON"], "w") as f:
            json.dump({"stats": recap, "tasks": self.tasks}, f, default=str)
