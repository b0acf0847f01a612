# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The knobs of the collection's roles as the controller sees them (controller-side only).

A knob is an option of a role's `main` entry point (roles/<role>/meta/argument_specs.yml).
A host's value is its variable when set, else the owning role's default (roles/<role>/
defaults/main.yml), templated either way and converted as the role's argument validation
converts it, so a check or a planner sees exactly what the role will use, even for a role
that has not run in this play.  Loaded once per controller process.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import glob
import os

from ansible_collections.ascend_verl.cluster.plugins.module_utils import knobs

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MISSING = knobs.MISSING
_CACHE = {}


def _load(loader, path, trusted=False):
    if not os.path.isfile(path):
        return {}
    try:
        data = loader.load_from_file(path, trusted_as_template=trusted)
    except TypeError:       # ansible-core < 2.19: every string is a template already
        data = loader.load_from_file(path)
    return data or {}


def load(loader):
    """{role: {knob: spec}}, {knob: [spec, ...]} over all roles, {knob: default}, [stack names]."""
    if not _CACHE:
        by_role, by_name, defaults = {}, {}, {}
        for role_dir in sorted(glob.glob(os.path.join(COLLECTION_ROOT, "roles", "*", ""))):
            role = os.path.basename(os.path.dirname(role_dir))
            spec_file = _load(loader, os.path.join(role_dir, "meta", "argument_specs.yml"))
            options = ((spec_file.get("argument_specs") or {}).get("main") or {}).get("options") or {}
            role_defaults = _load(loader, os.path.join(role_dir, "defaults", "main.yml"), trusted=True)
            by_role[role] = dict(options)
            for name, spec in options.items():
                if spec not in by_name.setdefault(name, []):
                    by_name[name].append(spec)
                if name in role_defaults:
                    defaults[name] = role_defaults[name]
                elif "default" in spec:
                    defaults.setdefault(name, spec["default"])
        pattern = os.path.join(COLLECTION_ROOT, "roles", "stack", "vars", "stacks", "*.yml")
        _CACHE.update(by_role=by_role, by_name=by_name, defaults=defaults,
                      stacks=sorted(os.path.basename(p)[:-4] for p in glob.glob(pattern)))
    return _CACHE["by_role"], _CACHE["by_name"], _CACHE["defaults"], _CACHE["stacks"]


def raw_value(task_vars, defaults, name):
    """The host's untemplated value of a knob: its variable, else the role default; MISSING."""
    return task_vars[name] if name in task_vars else defaults.get(name, MISSING)


def templar_with_defaults(templar, loader, task_vars):
    """A templar that also knows every role default (a default may name another role's knob)."""
    variables = dict(load(loader)[2])
    variables.update(task_vars)
    return templar.copy_with_new_env(available_variables=variables)


def values(loader, templar, task_vars, roles):
    """{knob: value} for every knob of `roles`, templated and converted to its spec's type."""
    by_role, dummy, defaults, dummy = load(loader)
    templar = templar_with_defaults(templar, loader, task_vars)
    out = {}
    for role in roles:
        for name, spec in by_role.get(role, {}).items():
            raw = raw_value(task_vars, defaults, name)
            if name in out or raw is MISSING:
                continue
            out[name] = knobs.convert_option(name, spec, templar.template(raw))[0]
    return out
