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

import yaml

from ansible_collections.ascend_verl.cluster.plugins.module_utils import knobs

try:
    from ansible.template import trust_as_template
except ImportError:         # ansible-core < 2.19: every string is a template already
    def trust_as_template(text):
        return text

try:                        # ansible-core 2.19+: values carry where they came from
    from ansible._internal._datatag._tags import Origin
    from ansible.parsing.vault import VaultHelper
    AnsibleVaultEncryptedUnicode = ()
except ImportError:         # before: an inline vault value has a type of its own
    Origin = VaultHelper = None
    from ansible.parsing.yaml.objects import AnsibleVaultEncryptedUnicode

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MISSING = knobs.MISSING
_CACHE = {}
_VAULT_FILES = {}       # path -> whether it is vault-encrypted, read once per process
# Every plan and check runs in a fresh worker process, so this is read for each of them:
# libyaml takes a tenth of the time of Ansible's own loader.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _trusted(value):
    """The collection's own files are trusted: their Jinja strings are templates."""
    if isinstance(value, str):
        return trust_as_template(value) if "{{" in value or "{%" in value else value
    if isinstance(value, dict):
        return dict((k, _trusted(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    return value


def _load(loader, path, trusted=False):
    del loader          # kept for the callers' signature; the files are plain YAML
    if not os.path.isfile(path):
        return {}
    with open(path) as f:
        data = yaml.load(f, Loader=_LOADER) or {}
    return _trusted(data) if trusted else data


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


def has_template(value):
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, dict):
        return any(has_template(k) or has_template(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_template(v) for v in value)
    return False


def values(loader, templar, task_vars, roles):
    """{knob: value} for every knob of `roles`, templated and converted to its spec's type.
    Most values are plain data: only those that hold a template go through the templar."""
    by_role, dummy, defaults, dummy = load(loader)
    with_defaults = []
    out = {}
    for role in roles:
        for name, spec in by_role.get(role, {}).items():
            raw = raw_value(task_vars, defaults, name)
            if name in out or raw is MISSING:
                continue
            if has_template(raw):
                if not with_defaults:
                    with_defaults.append(templar_with_defaults(templar, loader, task_vars))
                raw = with_defaults[0].template(raw)
            out[name] = knobs.convert_option(name, spec, raw)[0]
    return out


def _vault_file(path):
    if path not in _VAULT_FILES:
        try:
            with open(path, "rb") as f:
                _VAULT_FILES[path] = f.read(14) == b"$ANSIBLE_VAULT"
        except (OSError, TypeError):
            _VAULT_FILES[path] = False
    return _VAULT_FILES[path]


def from_vault(raw, value):
    """Whether a knob's value came from Ansible Vault: an inline !vault value, or a variable of a
    vault-encrypted file, directly or through "{{ vault_var }}" (the templated value keeps the
    origin of the variable it names).  Before ansible-core 2.19 values carry no origin: an
    inline vault value is known, a template is given the benefit of the doubt."""
    if isinstance(raw, AnsibleVaultEncryptedUnicode):
        return True
    if VaultHelper is None:
        return has_template(raw)
    for item in (raw, value):
        if VaultHelper.get_ciphertext(item, with_tags=True) is not None:
            return True
        origin = Origin.get_tag(item)
        if origin is not None and origin.path and _vault_file(origin.path):
            return True
    return False
