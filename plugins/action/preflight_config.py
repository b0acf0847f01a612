# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of ascend_verl.cluster.preflight_config: runs on the controller only.

Values come from the host's variables; a variable the inventory does not set is taken from
the defaults file of the role that owns it, so there is one default per knob and the check
sees exactly what the role will use.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import glob
import os

import yaml

from ansible.plugins.action import ActionBase
from ansible_collections.ascend_verl.cluster.plugins.module_utils import preflight

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = ("stack", "artifact", "hdk", "npu_env")
MISSING = object()


def role_defaults():
    out = {}
    for role in ROLES:
        path = os.path.join(COLLECTION_ROOT, "roles", role, "defaults", "main.yml")
        if os.path.isfile(path):
            with open(path) as f:
                out.update(yaml.safe_load(f) or {})
    return out


def known_stacks():
    pattern = os.path.join(COLLECTION_ROOT, "roles", "stack", "vars", "stacks", "*.yml")
    return sorted(os.path.basename(p)[:-4] for p in glob.glob(pattern))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset()
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        defaults = role_defaults()

        def value(name):
            if name in task_vars:
                return self._templar.template(task_vars[name])
            return defaults.get(name, MISSING)

        problems = []
        product, device = value("ascend_product"), value("ascend_npu_device")
        for name, found in (("ascend_product", product), ("ascend_npu_device", device)):
            if found is MISSING:
                problems.append(preflight.problem(name, None, "set in the inventory (group_vars)"))
        if not problems:
            problems += preflight.check_product(product, device)
        problems += preflight.check_stack(value("stack_name"), known_stacks())
        problems += preflight.check_ports(
            {n: value(n) for n in ("npu_env_hccl_host_socket_port_range",
                                   "npu_env_hccl_npu_socket_port_range")},
            {n: value(n) for n in ("npu_env_ray_port", "npu_env_ray_dashboard_port")})
        problems += preflight.check_visible_devices(value("npu_env_visible_devices"),
                                                    preflight.expected_devices(product))
        for name in ("npu_env_hccl_connect_timeout", "npu_env_hccl_exec_timeout", "hdk_reboot_batch"):
            problems += preflight.check_positive_int(name, value(name))
        kind, path = value("artifact_source_type"), value("artifact_source_path")
        exists = None
        if kind == "controller" and path and str(path).startswith("/"):
            exists = os.path.isfile(os.path.join(str(path), "SHA256SUMS"))
        problems += preflight.check_artifact_source(kind, path, value("artifact_source_url"), exists)

        host = task_vars.get("inventory_hostname", "?")
        result["problems"] = problems
        result["expected_devices"] = preflight.expected_devices(product)
        result["changed"] = False
        if problems:
            result["failed"] = True
            result["msg"] = "; ".join(preflight.format_problems(host, problems))
        else:
            result["msg"] = "inventory variables are consistent"
        return result
