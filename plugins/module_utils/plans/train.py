# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan for running a recipe on the Ray cluster (role train, playbooks/train.yml).

The recipe (module_utils/recipes.py) is checked, then fitted to the cluster as Ray sees it
(the product, the nodes in Ray and their NPUs), then turned into a request: the Hydra
overrides with this cluster's values, the job's environment, the paths each node must have,
the launch script, and the inputs of the compose and placement programs.  The first call
(before Ray is asked) names the paths to `read` on every node; with the node's file stats and
`judge_paths` the second judges those of the nodes the job uses: a missing model or data file
is named per node.  Nothing here runs anything.  Python 3.9+, standard library only.
"""

import json

from ansible_collections.ascend_verl.cluster.plugins.module_utils import recipe_scripts, recipes
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.common import plan


def _env(knobs):
    return "%s/envs/%s" % (knobs["ascend_conda_prefix"].rstrip("/"), knobs["ascend_conda_env"])


def _judge_paths(paths, found, host):
    out = []
    for p in paths:
        have = found.get(p["path"]) or {}
        if not p["must_exist"]:
            continue
        if not have.get("exists"):
            out.append("%s: %s %s is missing (%s)" % (host, p["name"], p["path"], p["what"]))
        elif (p["kind"] == "dir") != bool(have.get("isdir")):
            out.append("%s: %s %s is a %s, expected a %s" % (
                host, p["name"], p["path"], "directory" if have.get("isdir") else "file", p["kind"]))
    return out


def train(manifest, facts, knobs, inputs=None):
    inputs = inputs or {}
    host = inputs.get("host")
    if knobs.get("ascend_install_method") == "none":
        return plan("train", ["ascend_install_method is none: the nodes have no Python env or Ray from this collection "
                              "to run a recipe on"], [], request=None, paths=[], uses=[])
    recipe, problems = recipes.load(inputs.get("recipe"), inputs.get("recipe_source"))
    if problems:
        return plan("train", problems, [], request=None, paths=[], uses=[])
    ray = inputs.get("ray") or {}
    cluster = {"product": knobs.get("ascend_product"), "hosts": list(inputs.get("hosts") or []),
               "nodes": dict((h, n) for h, n in (ray.get("by_name") or {}).items() if n)}
    fitted = recipes.fit(recipe, cluster)
    problems = list(fitted["problems"])
    roots = {"model_root": knobs["train_model_root"], "data_root": knobs["train_data_root"],
             "ckpt_root": knobs["train_ckpt_root"], "verl_root": knobs["verl_src_dir"]}
    request = recipes.compose_request(recipe, cluster, knobs, roots)
    problems += request["problems"]
    mine = [p for p in request["paths"] if host in p["hosts"]]
    found = facts.get("files")
    if found is not None and inputs.get("judge_paths"):
        problems += _judge_paths(mine, found, host)
    env = _env(knobs)
    launch = recipe_scripts.launch_script(
        request, inputs.get("head_address") or "", knobs["ascend_ray_dashboard_port"],
        entrypoint=[env + "/bin/python", "-m", "verl.trainer.main_ppo"], ray=env + "/bin/ray")
    return plan("train", problems, [], request=request, recipe=recipe["name"], uses=fitted["uses"],
                paths=mine, read=sorted(set(p["path"] for p in request["paths"] if p["must_exist"])),
                shared=[p["path"] for p in request["paths"] if p["shared"]],
                launch=launch, compose=json.loads(recipe_scripts.compose_input(request)),
                placement=json.loads(recipe_scripts.placement_input(recipe, knobs["train_placement_timeout"])),
                notes=request["notes"])
