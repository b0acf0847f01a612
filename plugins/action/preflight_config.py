# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of ascend_verl.cluster.preflight_config: runs on the controller only.

Checks every knob of every role (the options of the main entry point in roles/*/meta/argument_specs.yml)
with the value this host will use: its variable, or when unset the default of the role that owns it
(roles/<role>/defaults/main.yml, templated like the variable), then the rules over the whole play.
The logic is module_utils/knobs.py and preflight.py; this file only gathers the values.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible_collections.ascend_verl.cluster.plugins.module_utils import fabric_plan, hardware, knobs, preflight, secrets
from ansible_collections.ascend_verl.cluster.plugins.plugin_utils import role_knobs


FABRIC_KNOBS = ("ascend_product", "fabric_plan", "fabric_ports", "fabric_host_index")


def controller_kind(path):
    return "dir" if os.path.isdir(path) else "file" if os.path.exists(path) else None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset()
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        host = task_vars.get("inventory_hostname", "?")
        dummy, specs, defaults, stacks = role_knobs.load(self._loader)
        templar = role_knobs.templar_with_defaults(self._templar, self._loader, task_vars)

        values, problems, vaulted = {}, [], {}
        for name in specs:
            raw = role_knobs.raw_value(task_vars, defaults, name)
            if raw is knobs.MISSING:
                continue
            try:
                values[name] = templar.template(raw)
            except AnsibleError as err:
                problems.append(preflight.problem(name, raw, "a value that templates (%s)" % (str(err).splitlines() or ["?"])[0]))
                continue
            vaulted[name] = role_knobs.from_vault(raw, values[name])
        found, good = knobs.check_host(values, specs, stacks, controller_kind)
        untemplated = set(p["variable"] for p in problems)
        problems += [p for p in found if p["variable"] not in untemplated]
        play_hosts = list(task_vars.get("ansible_play_hosts_all") or [host])
        problems += knobs.check_play(host, good.get("ascend_ray_head", ""), task_vars.get("groups") or {},
                                     self._addresses(host, play_hosts, task_vars, templar))

        if "fabric_plan" in good and "fabric_ports" in good:
            problems += knobs.check_fabric(host, good, self._fabric_ports(host, play_hosts, task_vars, templar, defaults),
                                           task_vars.get("groups") or {})

        # Secrets: a warning for each one set in plain text; no value of a secret is ever shown.
        result["warnings"] = secrets.plaintext_secrets(values, vaulted)
        problems = [secrets.mask_problem(p) for p in problems]
        result["problems"] = problems
        result["expected_devices"] = hardware.expected_devices(good.get("ascend_product"))
        result["changed"] = False
        if problems:
            result["failed"] = True
            result["msg"] = "; ".join(knobs.format_problems(host, problems))
        else:
            result["msg"] = "%d knobs of %s are consistent" % (len(values), host)
        return result

    @staticmethod
    def _fabric_ports(host, play_hosts, task_vars, templar, defaults):
        """{host: {phy_id: port}} the address plan gives every other host of the play; a host whose
        plan does not template or convert is left out (it reports its own problem)."""
        out = {}
        groups = task_vars.get("groups") or {}
        for name in play_hosts:
            if name == host:
                continue
            try:
                hv = task_vars["hostvars"][name]
                raw = [role_knobs.raw_value(hv, defaults, k) for k in FABRIC_KNOBS]
                product, plan, ports, index = templar.template([None if v is knobs.MISSING else v for v in raw])
                ports_of, dummy = fabric_plan.wanted(product, plan or [], fabric_plan.host_index(index, name, groups),
                                                     ports or {})
            except (AnsibleError, KeyError, TypeError, ValueError, AttributeError):
                continue
            out[name] = ports_of
        return out

    @staticmethod
    def _addresses(host, play_hosts, task_vars, templar):
        """{host: (address, port)} of the play's hosts, from the inventory (nothing is resolved or contacted)."""
        out = {}
        for name in play_hosts:
            try:
                hv = task_vars if name == host else task_vars["hostvars"][name]
                address, port = templar.template([hv.get("ansible_host") or name, hv.get("ansible_port") or 22])
            except (AnsibleError, KeyError):
                continue   # that host reports its own templating problem
            out[name] = (str(address), str(port))
        return out
