# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of ascend_verl.cluster.ascend_plan: the planner, on the controller only.

Gathers what a planner needs (the stack manifest, the host's facts from ascend_facts, the
role's knobs and the shared ascend_* values), renders the role's templates to learn their
checksums, and calls the planner in module_utils/plans.  No host is contacted.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.registry import PLANNERS
from ansible_collections.ascend_verl.cluster.plugins.plugin_utils import role_knobs

try:
    from ansible.template import trust_as_template
except ImportError:         # ansible-core < 2.19
    def trust_as_template(text):
        return text


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("role", "facts", "templates", "inputs", "expect_done", "fail_on_problems"))

    def _render(self, item, task_vars, extra):
        """sha1 of what the template module would write for this template (same templar call)."""
        src = self._find_needle("templates", item["src"])
        with open(src, encoding="utf-8") as f:
            text = f.read()
        variables = dict(task_vars)
        variables.update(extra)
        templar = self._templar.copy_with_new_env(available_variables=variables, searchpath=[os.path.dirname(src)])
        rendered = templar.template(trust_as_template(text), escape_backslashes=False)
        return {"src": item["src"], "dest": item["dest"], "mode": str(item.get("mode", "0644")),
                "owner": item.get("owner", "root"), "group": item.get("group", "root"),
                "checksum": hashlib.sha1(rendered.encode("utf-8")).hexdigest()}

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        args = self._task.args
        role = args.get("role")
        if role not in PLANNERS:
            raise AnsibleActionFail("role must be one of %s, got %r" % (", ".join(sorted(PLANNERS)), role))
        planner, more_roles, template_vars = PLANNERS[role]
        # Facts come from a module's result and the manifest from set_fact: data, not templates.
        facts = args.get("facts")
        if facts is None:
            facts = task_vars.get("ansible_facts", {}).get("ascend") or {}
        manifest = task_vars.get("stack_manifest")
        if not manifest:
            raise AnsibleActionFail("stack_manifest is not loaded (role ascend_verl.cluster.stack)")
        knobs = role_knobs.values(self._loader, self._templar, task_vars, [role, "ascend"] + list(more_roles))
        inputs = dict(args.get("inputs") or {})
        inputs.setdefault("check_mode", bool(self._task.check_mode))
        # Where the host sits in the inventory (the fabric plan's default host index).
        inputs.setdefault("host", task_vars.get("inventory_hostname"))
        inputs.setdefault("groups", task_vars.get("groups") or {})
        if args.get("templates"):
            extra = template_vars(manifest, facts, knobs) if template_vars else {}
            inputs["rendered"] = [self._render(item, task_vars, extra) for item in args["templates"]]
        out = planner(manifest, facts, knobs, inputs)
        host = task_vars.get("inventory_hostname", "?")
        result.update(out)
        result["changed"] = False
        if out["problems"] and args.get("fail_on_problems", True):
            result["failed"] = True
            result["msg"] = "%s: %s" % (host, "; ".join(out["problems"]))
        elif args.get("expect_done") and out["steps"]:
            # In check mode nothing was done, so what remains is what a real run would do.
            result["failed"] = not self._task.check_mode
            result["msg"] = "%s: %s%s" % (host, "" if self._task.check_mode else "still to do after acting: ",
                                          "; ".join(out["changes"]))
        else:
            result["msg"] = "%s: %s" % (host, "; ".join(out["changes"]) or "nothing to do")
        return result
