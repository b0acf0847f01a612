# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan for conda, its .condarc, the login shells' hook (/etc/profile.d/conda.sh) and the verl
env with CANN's Python dependencies (role conda).  The managed files are the role's templates,
rendered by the action; only those whose node copy differs are planned (plans/files.py).

An env of that name with another Python is never deleted or recreated silently: the node
stops, naming both versions, unless conda_recreate_env says so.  pip runs only for
requirements the env's metadata does not meet (pip's resolver takes seconds even when
everything is there).  Python 3.9+, standard library only.
"""

import re

from ansible_collections.ascend_verl.cluster.plugins.module_utils import version
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.common import marker_env, plan, python_matches
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.files import stale


def wanted_python(manifest, knobs):
    return str(knobs["conda_python_version"] or manifest["components"]["python"]["version"])


def conda(manifest, facts, knobs, inputs=None):
    conda_facts, arch = facts["conda"], facts["system"]["arch"]
    env = conda_facts["env"]
    python = wanted_python(manifest, knobs)
    files = manifest["components"]["conda"].get("files") or {}
    installer = (files.get(knobs["conda_installer"]) or "").replace("{arch}", arch)
    problems, steps = [], []
    if not installer:
        problems.append("conda_installer = %s, but the stack manifest has installers for %s"
                        % (knobs["conda_installer"], ", ".join(sorted(files)) or "none"))
    if not re.match(r"^3\.[0-9]+$", python):
        problems.append("the env's Python is %s; want X.Y (conda_python_version)" % python)
    name = knobs["ascend_conda_env"]
    if not re.match(r"^[A-Za-z0-9_.-]+$", name) or name == "base":
        problems.append("ascend_conda_env = %s: letters, digits, . _ - and not base" % name)
    if not conda_facts["installed"]:
        steps.append({"name": "conda", "file": installer,
                      "why": "conda: not installed under %s (%s)" % (conda_facts["prefix"], knobs["conda_installer"])})
    steps += stale((inputs or {}).get("rendered", []), facts.get("files") or {})
    requirements = list(knobs["conda_build_requirements"]) + list(knobs["conda_cann_python_deps"])
    if env["exists"] and not python_matches(env["python"], python):
        if not knobs["conda_recreate_env"]:
            problems.append("conda env %s (%s) has Python %s, not %s; it was left untouched. Choose another "
                            "ascend_conda_env, or set conda_recreate_env=true to delete it and create it again"
                            % (name, env["path"], env["python"], python))
        else:
            steps.append({"name": "env", "action": "recreate",
                          "why": "env %s: wanted Python %s, found %s (conda_recreate_env)" % (name, python, env["python"])})
    elif not env["exists"]:
        steps.append({"name": "env", "action": "create", "why": "env %s: absent, created with Python %s" % (name, python)})
    fresh = not env["exists"] or not python_matches(env["python"], python)
    unmet = requirements if fresh else version.unmet(requirements, env["packages"], marker_env(facts))
    if unmet:
        steps.append({"name": "pip", "what": "CANN Python dependencies", "args": requirements,
                      "why": "CANN Python dependencies: " + ", ".join(unmet)})
    named = dict((s["name"], s) for s in steps)
    return plan("conda", problems, steps, python=python, installer=installer, install=named.get("conda"),
                files=[s for s in steps if s["name"] == "file"], env_action=named.get("env", {}).get("action"),
                pip=named.get("pip"))
