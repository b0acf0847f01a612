# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of ascend_verl.cluster.ascend_facts: fills the paths the reader needs from the
shared values (ascend_root, ascend_conda_prefix, ascend_conda_env, ascend_env_file) unless the
task gives them, then runs the module on the node.  One name, one default, everywhere.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.plugins.action import ActionBase

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
        result.update(self._execute_module(module_name=self._task.action, module_args=args, task_vars=task_vars))
        return result
