#!/usr/bin/python
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: verl_job
short_description: Compose a verl recipe's Hydra config, place its NPU bundles in Ray, or follow its Ray job
version_added: 0.4.0
description:
  - Runs one of three small programs in the verl env's Python (where verl, Hydra and Ray are; the module itself runs on
    the node's system Python), hands it O(input) as JSON and reads back its one-line JSON answer.
  - V(compose) composes the recipe's config with verl's own config tree and overrides, as C(verl.trainer.main_ppo)
    would, and resolves it - an unknown key, a bad value or an SGLang argument SGLang does not have fails here, before
    anything is launched, naming the key.
  - V(place) reserves the recipe's NPU bundles (one per node, on distinct nodes) as a Ray placement group, reports where
    they landed, and releases them; when they do not fit it says how many NPUs were free.
  - V(follow) follows a submitted Ray job until it ends or its C(timeout_s) passes, with the tail of its log.
author:
  - ascend_verl.cluster maintainers (@ascend-verl)
options:
  python:
    description: The Python of the verl env.
    type: path
    required: true
  script:
    description: Which program to run.
    type: str
    required: true
    choices: [compose, place, follow]
  input:
    description:
      - The program's input - V(compose) C({config_dir, config_name, overrides}), V(place) C({bundles, strategy,
        timeout_s, address, node_ip}), V(follow) C({address, submission_id, timeout_s, poll_s, lines}).
    type: dict
    required: true
  fail_on_problems:
    description: Fail when the program reports a problem (a bad override, bundles that do not fit, a failed job).
    type: bool
    default: true
extends_documentation_fragment:
  - ascend_verl.cluster.attributes
"""

EXAMPLES = r"""
- name: The recipe's config composes with verl's config tree
  ascend_verl.cluster.verl_job:
    python: /opt/miniforge3/envs/verl-sglang/bin/python
    script: compose
    input:
      config_name: ppo_trainer
      overrides: [actor_rollout_ref.rollout.name=sglang, trainer.nnodes=2]

- name: Follow the job until it ends
  ascend_verl.cluster.verl_job:
    python: /opt/miniforge3/envs/verl-sglang/bin/python
    script: follow
    input: {address: "http://10.0.0.11:8260", submission_id: raysubmit_abc, timeout_s: 3600}
"""

RETURN = r"""
result:
  description: The program's answer (always with C(ok) and C(error); see the options for the rest).
  returned: always
  type: dict
  sample: {ok: false, error: "Could not override 'trainer.nnode'. Key 'nnode' is not in struct", key: trainer.nnode}
problems:
  description: What is wrong, one line each (a job that failed carries its last log lines).
  returned: always
  type: list
  elements: str
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.plugins.module_utils import recipe_scripts

SCRIPTS = {"compose": recipe_scripts.COMPOSE_SCRIPT, "place": recipe_scripts.PLACEMENT_SCRIPT,
           "follow": recipe_scripts.FOLLOW_SCRIPT}


def problems_of(script, result):
    if script == "place":
        return recipe_scripts.placement_problems(result)
    if script == "follow":
        return recipe_scripts.follow_problems(result)
    if result.get("ok"):
        return []
    return [result.get("error") or "the config does not compose"]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            python=dict(type="path", required=True),
            script=dict(type="str", required=True, choices=list(SCRIPTS)),
            input=dict(type="dict", required=True),
            fail_on_problems=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    rc, out, err = module.run_command([p["python"], "-c", SCRIPTS[p["script"]]], data=json.dumps(p["input"]),
                                      binary_data=True, environ_update={"RAY_USAGE_STATS_ENABLED": "0"})
    result = recipe_scripts.script_result(out)
    if rc != 0 and not result.get("error"):
        result["error"] = (err or out).strip()[-2000:]
    problems = problems_of(p["script"], result)
    if problems and p["fail_on_problems"]:
        module.fail_json(msg="; ".join(problems), result=result, problems=problems)
    module.exit_json(changed=False, result=result, problems=problems)


if __name__ == "__main__":
    main()
