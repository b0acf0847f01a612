# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Layer 1: every knob of every role, checked on the controller before any host is contacted.

A knob is an option of a role's C(main) entry point (meta/argument_specs.yml).  check_option
accepts exactly what the role's own argument validation accepts (the same check_type_*
converters: "1" is an int, "yes" a bool, "a,b" a list, a JSON string a dict); RULES adds the
range and format rules argument specs cannot express (ansible/ansible#77159); check_host adds
the rules that tie knobs together (preflight.py) and check_play those over the whole play.
Pure functions, Python 3.9+, no Ansible runtime.
"""

import fnmatch
import re

from ansible.module_utils.common.validation import (
    check_type_bool, check_type_dict, check_type_float, check_type_int, check_type_list, check_type_raw, check_type_str)
from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE
from ansible_collections.ascend_verl.cluster.plugins.module_utils import fabric_plan, hardware, preflight, secrets
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans import baseline as baseline_plan
from ansible_collections.ascend_verl.cluster.plugins.module_utils.preflight import parse_port_range, problem

MISSING = object()   # neither set nor defaulted
format_problems = preflight.format_problems   # "host: variable = 'value', expected ..." per problem

# spec type -> (converter, "expected" text, plural for "a list of ...").  A path is converted as a
# string: check_type_path accepts exactly the same values, but would expand ~ and $VARS here, on
# the controller, where the node sees the text as it is.
TYPES = {
    "str": (check_type_str, "a string", "strings"),
    "int": (check_type_int, "an integer", "integers"),
    "float": (check_type_float, "a number", "numbers"),
    "bool": (check_type_bool, "true or false", "true/false values"),
    "list": (check_type_list, "a list", "lists"),
    "dict": (check_type_dict, "a mapping (KEY: VALUE)", "mappings"),
    "path": (check_type_str, "a path", "paths"),
    "raw": (check_type_raw, "any value", "values"),
}

# Knobs the inventory must set (no default can be right for every cluster).
REQUIRED = ("ascend_product", "ascend_npu_device")

# Range and format rules, one row per rule: knob name patterns (fnmatch), rule, argument.
# The first row whose pattern matches a knob decides; a rule on a list applies to each element.
# A type: path knob (or list of paths) that no row names is node-side: an absolute path, or ""
# where its spec's default is "".  Controller-side paths have rows of their own.
RULES = (
    (("ascend_ray_*port",), "port", None),
    (("ascend_hccl_*_port_range", "ascend_ray_worker_port_range"), "port_range", None),
    # 0 is meaningful here: HCCL_EXEC_TIMEOUT=0 never times out; no pause between health checks.
    (("npu_env_hccl_exec_timeout", "hdk_health_delay"), "minimum", 0),
    # Counts, timeouts and batch sizes.  hdk_health_retries 0 would give up at the first health check,
    # right after a reboot, before the NPUs are back; HwHiAiUser must not be root (uid/gid 0).
    (("*_timeout", "*_batch", "*_retries", "verify_parallel", "hdk_uid", "hdk_gid"), "positive", None),
    # Rules over several knobs (check_host, preflight.py): the artifact source (a controller directory
    # holding SHA256SUMS, or an http(s) mirror URL), visible devices, the stack's name.
    (("artifact_source_*", "npu_env_visible_devices", "stack_name", "ascend_product"), "cross", None),
    # The address plan: its subnets, the product rules and the addresses of every host of the play
    # (module_utils/fabric_plan.py, from preflight_config); a host index starts at 0.
    (("fabric_plan", "fabric_ports"), "cross", None),
    (("fabric_host_index",), "minimum", 0),
    (("verify_report_dir", "audit_report_dir"), "report_dir", None),
    (("artifact_checksums",), "sha256_map", None),
    (("npu_env_extra", "sglang_npu_upstream_env"), "environment", None),
    (("*index_url", "*index_urls", "conda_channel_alias"), "url", None),
    (("*_trusted_hosts",), "host_name", None),
    (("verl_git_repo",), "git_url", None),
    (("conda_python_version", "preflight_python_min"), "python_version", None),
    (("ascend_conda_env",), "conda_env", None),
    (("*_flags",), "flag", None),
    (("hdk_user", "hdk_group"), "user_name", None),
    (("verify_tcp_ports",), "port_or_range", None),
    (("preflight_free_mb",), "free_mb", None),
    (("preflight_os_allowed",), "os_allowed", None),
    # The host baseline (plans/baseline.py, KNOB_CHECKS): false/empty leaves a setting alone.
    (("baseline_nofile_soft", "baseline_nofile_hard"), "nofile", None),
    (("baseline_shm_size",), "shm_size", None),
    (("baseline_sysctls", "baseline_sysctls_extra"), "sysctl_map", None),
    (("baseline_limits_file",), "conf_file", ("/etc/security/limits.d",)),
    (("baseline_sysctl_file",), "conf_file", ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d")),
    (("baseline_cpu_governor", "baseline_firewall_zone"), "plain_name", None),
    (("baseline_ntp_servers",), "ntp_server", None),
    (("baseline_firewall_ports",), "firewall_port", None),
    (("baseline_firewall_sources",), "cidr", None),
)

_PATTERNS = {
    "url": (r"^https?://[^/\s]+\S*$", "an http:// or https:// URL"),
    "host_name": (r"^[A-Za-z0-9_.-]+(:\d+)?$", "a host name (HOST or HOST:PORT, no scheme)"),
    "git_url": (r"^((https?|ssh|git|file)://\S+|[\w.-]+@[\w.-]+:\S+|/\S+)$", "a git URL (https://, ssh://, git@host:path)"),
    "python_version": (r"^3\.\d+$", "a Python version X.Y (for example 3.11)"),
    "conda_env": (r"^(?!base$)[^/\s:#]+$", "a conda env name other than base (no /, spaces, : or #)"),
    "flag": (r"^-\S", "an installer flag (for example --quiet)"),
    "user_name": (r"^[A-Za-z_][A-Za-z0-9_.-]*$", "a user or group name"),
}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def describe(spec):
    """The 'expected' text of a spec's type: 'an integer', 'a list of strings', ..."""
    kind = spec.get("type") or "str"
    if kind == "list" and spec.get("elements"):
        return "a list of " + TYPES.get(spec["elements"], (None, None, spec["elements"]))[2]
    return TYPES.get(kind, (None, "a " + str(kind)))[1]


def _one_of(choices):
    return "one of " + ", ".join(str(c) for c in choices)


def _in_choices(value, choices):
    if value in choices:
        return True
    for text, booleans in (("True", BOOLEANS_TRUE), ("False", BOOLEANS_FALSE)):   # as Ansible does
        if value == text and len(booleans.intersection(c for c in choices if isinstance(c, str))) == 1:
            return True
    return False


def _convert(name, kind, value, expected):
    converter = TYPES.get(kind, (None,))[0]
    if converter is None:
        return value, [problem(name, value, "a known option type, not %s (the argument spec)" % kind)]
    try:
        return converter(value), []
    except (TypeError, ValueError):
        return value, [problem(name, value, expected)]


def convert_option(name, spec, value):
    """(the value as the role's argument validation converts it, problems)."""
    choices, elements = spec.get("choices"), spec.get("elements")
    if value is None and not spec.get("required") and spec.get("default") is None:   # not converted, choices still apply
        return None, [] if not choices or None in choices else [problem(name, None, _one_of(choices))]
    kind = spec.get("type") or "str"
    value, problems = _convert(name, kind, value, describe(spec))
    if problems:
        return value, problems
    if kind == "list":
        items = []
        for index, item in enumerate(value):
            item_name = "%s[%d]" % (name, index)
            found = []
            if elements:
                item, found = _convert(item_name, elements, item, TYPES.get(elements, (0, "a " + elements))[1])
            if not found and choices and not _in_choices(item, choices):
                found = [problem(item_name, item, _one_of(choices))]
            if not found and elements == "dict" and spec.get("options"):
                found = _check_suboptions(item_name, spec["options"], item)
            problems += found
            items.append(item)
        return items, problems
    if choices and not _in_choices(value, choices):
        problems.append(problem(name, value, _one_of(choices)))
    if kind == "dict" and spec.get("options"):
        problems += _check_suboptions(name, spec["options"], value)
    return value, problems


def _check_suboptions(name, options, value):
    known = "one of the options " + ", ".join(sorted(options))
    problems = [problem("%s.%s" % (name, key), value[key], known) for key in sorted(value, key=str) if key not in options]
    for key, sub in sorted(options.items()):
        if key in value:
            problems += convert_option("%s.%s" % (name, key), sub, value[key])[1]
        elif sub.get("required"):
            problems.append(problem("%s.%s" % (name, key), None, "set (a required option)"))
    return problems


def check_option(name, spec, value):
    """Problems of one option's value against its argument spec."""
    return convert_option(name, spec, value)[1]


def rule_for(name):
    for patterns, rule, arg in RULES:
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return rule, arg
    return None, None


def _elements(name, value):
    if isinstance(value, list):
        return [("%s[%d]" % (name, i), item) for i, item in enumerate(value)]
    return [(name, value)]


def check_rule(name, spec, value, raw=None, controller=None):
    """Problems of one converted value against the range/format rule of its knob (RULES).
    raw: the value as set; controller: path -> 'dir' | 'file' | None on the controller."""
    rule, arg = rule_for(name)
    empty_ok = spec.get("default") == ""
    if rule is None and "path" in (spec.get("type"), spec.get("elements")):
        rule, arg = "absolute", None
    if rule in _PATTERNS:
        regex, expected = _PATTERNS[rule]
        return [problem(n, v, expected) for n, v in _elements(name, value)
                if not (v == "" and empty_ok) and not re.match(regex, str(v))]
    if rule in _CHECKS:
        try:
            return _CHECKS[rule](name, value, {"arg": arg, "raw": raw, "empty_ok": empty_ok, "controller": controller})
        except (AttributeError, TypeError, ValueError):   # the spec's type no longer matches the rule's row
            return [problem(name, value, "a value the %s rule can read (%s in the argument spec)" % (rule, describe(spec)))]
    return []


def _port_or_range(name, value, ctx):
    out = []
    for item_name, item in _elements(name, value):
        ends = [int(p) for p in str(item).split("-")] if re.match(r"^\d+(-\d+)?$", str(item)) else [0]
        if not all(1 <= p <= 65535 for p in ends) or ends[0] > ends[-1]:
            out.append(problem(item_name, item, "a port or LOW-HIGH range within 1-65535"))
    return out


def _absolute(name, value, ctx):
    return [problem(n, v, "an absolute path on the nodes") for n, v in _elements(name, value)
            if not (v == "" and ctx["empty_ok"]) and not str(v).startswith("/")]


def _port(name, value, ctx):
    return [] if 1 <= value <= 65535 else [problem(name, value, "a port between 1 and 65535")]


def _port_range(name, value, ctx):
    try:
        parse_port_range(value)
    except ValueError as err:
        return [problem(name, value, str(err))]
    return []


def _minimum(name, value, ctx):
    return [] if value >= ctx["arg"] else [problem(name, value, "an integer >= %d" % ctx["arg"])]


def _positive(name, value, ctx):
    if isinstance(value, float):
        return [] if value > 0 else [problem(name, value, "a number > 0")]
    return [] if value >= 1 else [problem(name, value, "an integer >= 1")]


def _report_dir(name, value, ctx):
    if value and ctx["controller"] and ctx["controller"](value) == "file":
        return [problem(name, value, "a directory on the controller (this is a file), or empty for ./reports")]
    return []


def _sha256_map(name, value, ctx):
    return [problem("%s[%r]" % (name, key), sha, "a sha256 (64 hex digits)")
            for key, sha in sorted(value.items(), key=str) if not _SHA256.match(str(sha))]


def _environment(name, value, ctx):
    if not isinstance(ctx["raw"], dict):   # the role merges the variable itself (combine), not its conversion
        return [problem(name, ctx["raw"], "a mapping of environment variables (KEY: VALUE), not a string")]
    return [problem("%s[%r]" % (name, key), item, "an environment variable name with a plain value")
            for key, item in sorted(value.items(), key=str)
            if not _ENV_NAME.match(str(key)) or isinstance(item, (dict, list))]


def _free_mb(name, value, ctx):
    out = []
    for path, need in sorted(value.items(), key=str):
        try:
            ok = str(path).startswith("/") and check_type_int(need) >= 0
        except TypeError:
            ok = False
        if not ok:
            out.append(problem("%s[%r]" % (name, path), need, "megabytes (an integer >= 0) per absolute path"))
    return out


def _os_allowed(name, value, ctx):
    return [problem(n, v, "a mapping {distribution: NAME, versions: [PREFIX, ...]}") for n, v in _elements(name, value)
            if not isinstance(v, dict) or not v.get("distribution") or not isinstance(v.get("versions"), list)]


_CHECKS = {"absolute": _absolute, "port": _port, "port_range": _port_range, "minimum": _minimum,
           "positive": _positive, "report_dir": _report_dir, "sha256_map": _sha256_map,
           "environment": _environment, "free_mb": _free_mb, "os_allowed": _os_allowed, "port_or_range": _port_or_range}
_CHECKS.update(baseline_plan.KNOB_CHECKS)


def check_host(values, specs, stacks=None, controller=None):
    """Every knob of one host.  values: {knob: the value the host will use (templated), or MISSING};
    specs: {knob: [spec, ...]} from every role's main entry point; stacks: the known stack names;
    controller: path -> 'dir' | 'file' | None as found on the controller (None: do not look).
    Returns (problems, {knob: converted value} of the knobs without problems)."""
    problems, good = [], {}
    for name in sorted(specs):
        raw = values.get(name, MISSING)
        if raw is MISSING:
            if name in REQUIRED or any(spec.get("required") for spec in specs[name]):
                problems.append(problem(name, None, "set in the inventory (group_vars)"))
            continue
        found = []
        for spec in specs[name]:
            value, more = convert_option(name, spec, raw)
            found += more or check_rule(name, spec, value, raw, controller)
        problems += found
        if not found:
            good[name] = value
    return unique(problems + _cross(good, values, stacks, controller)), good


def _cross(good, values, stacks, controller):
    """The rules over several knobs of one host, on the knobs that passed their own checks."""
    out = []
    product = good.get("ascend_product")
    if "ascend_product" in good and values.get("ascend_npu_device", MISSING) is not MISSING:
        out += preflight.check_product(product, values["ascend_npu_device"])
    if "stack_name" in good and stacks is not None:
        out += preflight.check_stack(good["stack_name"], stacks)
    out += preflight.check_ports({n: v for n, v in good.items() if rule_for(n)[0] == "port_range"},
                                 {n: v for n, v in good.items() if rule_for(n)[0] == "port"})
    if "npu_env_visible_devices" in good:
        out += preflight.check_visible_devices(good["npu_env_visible_devices"], hardware.expected_devices(product))
    if "artifact_source_type" in good:
        kind, path = good["artifact_source_type"], good.get("artifact_source_path")
        exists = None
        if controller and kind == "controller" and str(path).startswith("/"):
            exists = controller(str(path).rstrip("/") + "/SHA256SUMS") == "file"
        out += preflight.check_artifact_source(kind, path, good.get("artifact_source_url"), exists)
    out += secrets.on_disk_problems(good)
    return out


def check_fabric(host, values, others, groups):
    """The address plan of one host, and addresses it shares with another host of the play.
    values: the host's converted knobs; others: {host: {phy_id: port}} of the other hosts."""
    index = fabric_plan.host_index(values.get("fabric_host_index"), host, groups)
    mine, problems = fabric_plan.wanted(values.get("ascend_product"), values.get("fabric_plan") or [], index,
                                        values.get("fabric_ports") or {})
    return problems + fabric_plan.duplicates(host, mine, others)


def check_play(host, ray_head, groups, addresses):
    """Rules over the whole play, as this host sees them: exactly one Ray head in the inventory,
    and no other host of the play at this host's address (and port).
    addresses: {host: (ansible_host or the inventory name, ansible_port)} of every host of the play."""
    return preflight.check_ray_head(ray_head or "", groups) + preflight.check_address(host, addresses)


def unique(problems):
    seen, out = set(), []
    for item in problems:
        key = (item["variable"], item["expected"])
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
