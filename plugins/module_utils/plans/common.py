# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every planner shares: reading the stack manifest, naming a change, the plan's shape.

A plan is a dict: `problems` (why nothing may be done on this node; the role stops before
acting), `steps` (what to do, in order; each has a `name` and a `why` a person can read),
`done` (no problem, no step) and whatever the role's tasks select on.  Planners are pure
functions of (manifest, facts, knobs): no I/O, so they are unit-tested with tables.
Python 3.9+, standard library only.
"""

from ansible_collections.ascend_verl.cluster.plugins.module_utils.version import same


def file_for(manifest, component, npu_device, arch, key=None):
    """The package file of a component for this node: files[key or NPU_DEVICE], else files.any,
    with {arch} filled in; None when the manifest names none."""
    files = manifest["components"][component].get("files") or {}
    name = files.get(key) if key else files.get(npu_device, files.get("any"))
    return name.replace("{arch}", arch) if name else None


def wanted(manifest, component):
    return str(manifest["components"][component]["version"])


def change(name, want, found):
    return "%s: wanted %s, found %s" % (name, want, found if found not in (None, "") else "nothing")


def differs(found, want):
    return not same(found, want)


def marker_env(facts, python=None):
    """The PEP 508 marker environment of the env's interpreter on this node."""
    python = python or ((facts.get("conda") or {}).get("env") or {}).get("python") or ""
    arch = (facts.get("system") or {}).get("arch") or ""
    return {"python_version": ".".join(python.split(".")[:2]), "python_full_version": python,
            "platform_machine": arch, "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
            "implementation_name": "cpython", "platform_python_implementation": "CPython",
            "implementation_version": python}


def plan(role, problems=(), steps=(), **extra):
    out = dict(extra)
    out.update({"role": role, "problems": list(problems), "steps": list(steps)})
    out["changes"] = [s["why"] for s in out["steps"]]
    out["done"] = not out["problems"] and not out["steps"]
    return out


def python_matches(found, wanted_minor):
    """'3.11.13' is a 3.11; '3.1' is not a 3.11."""
    return found is not None and (str(found) + ".").startswith(str(wanted_minor) + ".")
