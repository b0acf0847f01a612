# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of ascend_verl.cluster.ascend_facts: fills the paths the reader needs from the
shared values (ascend_root, ascend_conda_prefix, ascend_conda_env, ascend_env_file) unless the
task gives them, then runs the module on the node.  One name, one default, everywhere.
`host: {}` reads the host baseline the baseline role's knobs name (training user, sysctl keys,
firewalld zone), so a play without that role (the audit) reads the same thing; `ray: true` reads
the Ray service role ray's knobs name, with its service files and the env file (plans/ray.py paths).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.plugins.action import ActionBase
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.baseline import wanted_sysctls
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.ray import paths as ray_paths
from ansible_collections.ascend_verl.cluster.plugins.plugin_utils import role_knobs

SHARED = (("ascend_root", "ascend_root"), ("conda_prefix", "ascend_conda_prefix"),
          ("conda_env", "ascend_conda_env"), ("env_file", "ascend_env_file"))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        args = dict(self._task.args)
        for option, variable in SHARED:
            if option not in args and variable in task_vars:
                args[option] = self._templar.template(task_vars[variable])
        host = args.get("host")
        if isinstance(host, dict) and not host.get("sysctls"):
            knobs = role_knobs.values(self._loader, self._templar, task_vars, ["baseline", "ascend"])
            host = dict(host, sysctls=list(wanted_sysctls(knobs)))
            host.setdefault("user", knobs.get("ascend_train_user") or "root")
            host.setdefault("firewall_zone", knobs.get("baseline_firewall_zone") or "")
            args["host"] = host
        if args.get("ray") is True:     # the service role ray's knobs name, its files and the env file
            knobs = role_knobs.values(self._loader, self._templar, task_vars, ["ray", "ascend"])
            where = ray_paths(knobs)
            args["ray"] = knobs["ray_service_name"]
            args["files"] = list(args.get("files") or []) + [knobs["ascend_env_file"], where["unit"], where["script"]]
        result.update(self._execute_module(module_name=self._task.action, module_args=args, task_vars=task_vars))
        return result
