"""Layer 1, every knob: types as the roles' argument validation sees them, the range and format
rules of the table, the rules over several knobs and over the play, on made-up and real specs."""

import glob
import os
import re

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ascend_verl.cluster.plugins.module_utils import knobs

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def named(problems):
    return [(p["variable"], p["expected"]) for p in problems]


STR, INT, FLOAT, BOOL, PATH, RAW = ({"type": t} for t in ("str", "int", "float", "bool", "path", "raw"))
LIST_STR = {"type": "list", "elements": "str"}
LIST_INT = {"type": "list", "elements": "int"}
DICT = {"type": "dict"}
FORMATS = {"type": "list", "elements": "str", "choices": ["json", "csv", "html"]}
MODE = {"type": "str", "choices": ["tasks", "upstream_script"]}
DEST = {"type": "list", "elements": "dict", "options": {"file": {"type": "str", "required": True},
                                                        "size": {"type": "int"}}}
LIMITS = {"type": "dict", "options": {"low": {"type": "int", "required": True}, "high": {"type": "int"}}}


@pytest.mark.parametrize("spec, value, problems", [
    (INT, 5, []),
    (INT, "5", []),                                   # as the role's validation: "1" is an int
    (INT, "lots", [("k", "an integer")]),
    (INT, 1.5, [("k", "an integer")]),
    (FLOAT, "0.5", []),
    (FLOAT, "soon", [("k", "a number")]),
    (BOOL, "yes", []),
    (BOOL, 0, []),
    (BOOL, "maybe", [("k", "true or false")]),
    (BOOL, [True], [("k", "true or false")]),
    (STR, 5, []),                                     # anything converts to a string
    (PATH, "~/x", []),
    (RAW, {"any": ["thing"]}, []),
    (LIST_STR, "a,b", []),                            # a comma string is a list
    (LIST_STR, {"a": 1}, [("k", "a list of strings")]),
    (LIST_INT, ["1", 2], []),
    (LIST_INT, [1, "two"], [("k[1]", "an integer")]),
    (DICT, '{"A": 1}', []),                           # a JSON string is a dict
    (DICT, "A=1 B=2", []),
    (DICT, "lots", [("k", "a mapping (KEY: VALUE)")]),
    (DICT, [1], [("k", "a mapping (KEY: VALUE)")]),
    (MODE, "tasks", []),
    (MODE, "script", [("k", "one of tasks, upstream_script")]),
    (FORMATS, ["json", "csv"], []),
    (FORMATS, "json,pdf", [("k[1]", "one of json, csv, html")]),
    (FORMATS, ["pdf", "xls"], [("k[0]", "one of json, csv, html"), ("k[1]", "one of json, csv, html")]),
    (DEST, [{"file": "a.tgz"}, {"file": "b.tgz", "size": "9"}], []),
    (DEST, [{"file": "a"}, {"size": 1}, {"file": "c", "size": "big", "mode": 1}],
     [("k[1].file", "set (a required option)"), ("k[2].mode", "one of the options file, size"),
      ("k[2].size", "an integer")]),
    (DEST, ["a.tgz"], [("k[0]", "a mapping (KEY: VALUE)")]),
    (LIMITS, {"low": 1}, []),
    (LIMITS, {"high": 2}, [("k.low", "set (a required option)")]),
    (INT, None, []),                                  # null without a default: the role's validation skips it
    (MODE, None, [("k", "one of tasks, upstream_script")]),   # ... but not its choices
    (dict(INT, default=3), None, [("k", "an integer")]),
])
def test_check_option(spec, value, problems):
    assert named(knobs.check_option("k", spec, value)) == problems


GRID_SPECS = [STR, INT, FLOAT, BOOL, PATH, LIST_STR, LIST_INT, DICT, MODE, FORMATS, DEST, LIMITS,
              dict(BOOL, default=True), dict(LIST_STR, default=[])]
GRID_VALUES = ["1", "1.5", "yes", "maybe", "a,b", '{"low": 1}', "low=1", 7, 0, 2.0, True, None, [], ["1", "x"],
               {"low": "2"}, {"file": "f"}, [{"file": "f", "size": "1"}], ["json"], "tasks", ""]


@pytest.mark.parametrize("spec", GRID_SPECS, ids=[str(s) for s in GRID_SPECS])
def test_accepts_exactly_what_the_roles_argument_validation_accepts(spec):
    for value in GRID_VALUES:
        try:
            accepted = not ArgumentSpecValidator({"k": spec}).validate({"k": value}, validate_role_argument_spec=True).error_messages
        except TypeError:   # the validator itself trips over some wrong types: refused all the same
            accepted = False
        assert (knobs.check_option("k", spec, value) == []) is accepted, (spec, value)


@pytest.mark.parametrize("name, spec, value, problems", [
    ("ascend_ray_port", INT, 6766, []),
    ("ascend_ray_port", INT, 70000, [("ascend_ray_port", "a port between 1 and 65535")]),
    ("ascend_ray_dashboard_port", INT, 0, [("ascend_ray_dashboard_port", "a port between 1 and 65535")]),
    ("ascend_hccl_host_socket_port_range", STR, "auto", []),
    ("ascend_hccl_npu_socket_port_range", STR, "61050-61000", [("ascend_hccl_npu_socket_port_range", "START <= END")]),
    ("ascend_ray_node_manager_port", INT, 6767, []),
    ("ascend_ray_node_manager_port", INT, 70000, [("ascend_ray_node_manager_port", "a port between 1 and 65535")]),
    ("ascend_ray_object_manager_port", INT, 0, [("ascend_ray_object_manager_port", "a port between 1 and 65535")]),
    ("ascend_ray_worker_port_range", STR, "10002-19999", []),
    ("ascend_ray_worker_port_range", STR, "auto", []),          # Ray's own worker ports (plans/ray.py)
    ("ascend_ray_worker_port_range", STR, "19999-10002", [("ascend_ray_worker_port_range", "START <= END")]),
    ("ascend_ray_worker_port_range", STR, "10002:19999",
     [("ascend_ray_worker_port_range", "START-END (for example 60000-60050) or auto")]),
    ("ascend_ray_worker_port_range", STR, "80-1000", [("ascend_ray_worker_port_range", "ports between 1024 and 65535")]),
    ("hdk_reboot_batch", INT, 0, [("hdk_reboot_batch", "an integer >= 1")]),
    ("hdk_reboot_timeout", INT, 1, []),
    ("hdk_health_retries", INT, 0, [("hdk_health_retries", "an integer >= 1")]),
    ("hdk_health_delay", INT, 0, []),
    ("hdk_health_delay", INT, -1, [("hdk_health_delay", "an integer >= 0")]),
    ("npu_env_hccl_exec_timeout", INT, 0, []),        # HCCL_EXEC_TIMEOUT=0: never time out
    ("npu_env_hccl_connect_timeout", INT, 0, [("npu_env_hccl_connect_timeout", "an integer >= 1")]),
    ("verify_tcp_timeout", FLOAT, 0.5, []),
    ("verify_tcp_timeout", FLOAT, 0.0, [("verify_tcp_timeout", "a number > 0")]),
    ("verify_parallel", INT, 0, [("verify_parallel", "an integer >= 1")]),
    ("hdk_uid", INT, 0, [("hdk_uid", "an integer >= 1")]),
    ("ascend_root", PATH, "/usr/local/Ascend", []),
    ("ascend_root", PATH, "relative/dir", [("ascend_root", "an absolute path on the nodes")]),
    ("ascend_root", dict(PATH, default="/usr/local/Ascend"), "", [("ascend_root", "an absolute path on the nodes")]),
    ("some_new_dir", dict(PATH, default=""), "", []),          # empty only where the default is empty
    ("sglang_npu_upstream_source", {"type": "list", "elements": "path"}, ["/a/set_env.sh", "b/set_env.sh"],
     [("sglang_npu_upstream_source[1]", "an absolute path on the nodes")]),
    ("verify_report_dir", dict(PATH, default=""), "reports/here", []),     # controller side, relative to the run
    ("artifact_checksums", DICT, {"a.run": "0" * 64}, []),
    ("artifact_checksums", DICT, {"a.run": "abc"}, [("artifact_checksums['a.run']", "a sha256 (64 hex digits)")]),
    ("npu_env_extra", DICT, {"TASK_QUEUE_ENABLE": 1}, []),
    ("npu_env_extra", DICT, "TASK_QUEUE_ENABLE=1",
     [("npu_env_extra", "a mapping of environment variables (KEY: VALUE), not a string")]),
    ("npu_env_extra", DICT, {"task queue": 1, "B": [1]},
     [("npu_env_extra['B']", "an environment variable name with a plain value"),
      ("npu_env_extra['task queue']", "an environment variable name with a plain value")]),
    ("conda_pip_index_url", dict(STR, default=""), "", []),
    ("conda_pip_index_url", dict(STR, default=""), "mirror.local/simple", [("conda_pip_index_url", "an http:// or https:// URL")]),
    ("conda_pip_extra_index_urls", LIST_STR, 5, [("conda_pip_extra_index_urls[0]", "an http:// or https:// URL")]),
    ("verl_requirements_extra_index_urls", LIST_STR, ["https://x/simple/"], []),
    ("sglang_npu_torch_index_url", dict(STR, default="https://x"), "", [("sglang_npu_torch_index_url", "an http:// or https:// URL")]),
    ("conda_pip_trusted_hosts", LIST_STR, ["mirror.local:8080"], []),
    ("verl_requirements_trusted_hosts", LIST_STR, ["https://x"],
     [("verl_requirements_trusted_hosts[0]", "a host name (HOST or HOST:PORT, no scheme)")]),
    ("verl_git_repo", STR, "git@github.com:verl-project/verl.git", []),
    ("verl_git_repo", STR, "svn:x", [("verl_git_repo", "a git URL (https://, ssh://, git@host:path)")]),
    ("conda_python_version", dict(STR, default=""), "", []),
    ("conda_python_version", dict(STR, default=""), "3.11.4", [("conda_python_version", "a Python version X.Y (for example 3.11)")]),
    ("ascend_conda_env", STR, "verl-sglang", []),
    ("ascend_conda_env", STR, "base", [("ascend_conda_env", "a conda env name other than base (no /, spaces, : or #)")]),
    ("cann_toolkit_flags", LIST_STR, ["--quiet", "--install-path=/x"], []),
    ("hdk_driver_install_flags", LIST_STR, ["quiet"], [("hdk_driver_install_flags[0]", "an installer flag (for example --quiet)")]),
    ("hdk_user", STR, "HwHiAiUser", []),
    ("hdk_group", STR, "1 group", [("hdk_group", "a user or group name")]),
    ("verify_tcp_ports", LIST_STR, ["6766", "60000-60050"], []),
    ("verify_tcp_ports", LIST_STR, ["70000", "9-8", "x", "0"],
     [("verify_tcp_ports[%d]" % i, "a port or LOW-HIGH range within 1-65535") for i in range(4)]),
    ("ascend_root", PATH, "~/Ascend", [("ascend_root", "an absolute path on the nodes")]),   # not expanded here
    ("preflight_free_mb", DICT, {"/usr/local": "8192"}, []),
    ("preflight_free_mb", DICT, {"usr": 1, "/var": "lots"},
     [("preflight_free_mb['/var']", "megabytes (an integer >= 0) per absolute path"),
      ("preflight_free_mb['usr']", "megabytes (an integer >= 0) per absolute path")]),
    ("preflight_os_allowed", {"type": "list", "elements": "dict"}, [{"distribution": "Debian", "versions": ["12"]}], []),
    ("preflight_os_allowed", {"type": "list", "elements": "dict"}, [{"distribution": "Debian"}],
     [("preflight_os_allowed[0]", "a mapping {distribution: NAME, versions: [PREFIX, ...]}")]),
    ("unknown_str_knob", STR, "anything", []),
])
def test_range_and_format_rules(name, spec, value, problems):
    converted, found = knobs.convert_option(name, spec, value)
    assert found == []
    assert named(knobs.check_rule(name, spec, converted, value)) == problems


def test_a_rule_whose_spec_changed_type_reports_instead_of_crashing():
    assert named(knobs.check_rule("hdk_reboot_batch", STR, "1")) == [
        ("hdk_reboot_batch", "a value the positive rule can read (a string in the argument spec)")]


def test_report_dir_is_a_directory_on_the_controller():
    kinds = {"/srv/file": "file", "/srv/dir": "dir"}
    check = knobs.check_rule
    assert check("audit_report_dir", STR, "/srv/dir", controller=kinds.get) == []
    assert check("audit_report_dir", STR, "/srv/new", controller=kinds.get) == []
    assert named(check("audit_report_dir", STR, "/srv/file", controller=kinds.get)) == [
        ("audit_report_dir", "a directory on the controller (this is a file), or empty for ./reports")]


SPECS = {
    "ascend_product": [STR], "ascend_npu_device": [{"type": "str", "choices": ["A2", "A3"]}],
    "ascend_ray_port": [INT], "ascend_ray_dashboard_port": [INT],
    "ascend_hccl_host_socket_port_range": [STR], "ascend_hccl_npu_socket_port_range": [STR],
    "ascend_ray_node_manager_port": [INT], "ascend_ray_object_manager_port": [INT], "ascend_ray_worker_port_range": [STR],
    "npu_env_visible_devices": [STR], "stack_name": [STR], "hdk_reboot_batch": [INT],
    "artifact_source_type": [{"type": "str", "choices": ["controller", "mirror"]}],
    "artifact_source_path": [STR], "artifact_source_url": [STR],
}
HOST = {"ascend_product": "Atlas 900 A2 PODc", "ascend_npu_device": "A2", "ascend_ray_port": 6766,
        "ascend_ray_dashboard_port": "8260", "ascend_hccl_host_socket_port_range": "60000-60050",
        "ascend_hccl_npu_socket_port_range": "61000-61050", "ascend_ray_node_manager_port": 6767,
        "ascend_ray_object_manager_port": "6768", "ascend_ray_worker_port_range": "10002-19999",
        "npu_env_visible_devices": "", "stack_name": "seed",
        "hdk_reboot_batch": 1, "artifact_source_type": "controller", "artifact_source_path": "/srv/ascend",
        "artifact_source_url": ""}
FS = {"/srv/ascend/SHA256SUMS": "file"}


@pytest.mark.parametrize("edits, problems", [
    ({}, []),
    ({"ascend_product": knobs.MISSING}, [("ascend_product", "set in the inventory (group_vars)")]),
    ({"ascend_npu_device": "A3"}, [("ascend_npu_device", "A2 for Atlas 900 A2 PODc")]),
    ({"ascend_npu_device": "A9"}, [("ascend_npu_device", "one of A2, A3")]),        # reported once
    ({"ascend_product": "Atlas 9000", "ascend_npu_device": "A9"},
     [("ascend_npu_device", "one of A2, A3"), ("ascend_product", "one of " + ", ".join(sorted(knobs.preflight.PRODUCTS)))]),
    ({"ascend_ray_port": "61010"},
     [("ascend_hccl_npu_socket_port_range", "no overlap with ascend_ray_port (61010-61010)")]),
    ({"ascend_ray_port": 70000}, [("ascend_ray_port", "a port between 1 and 65535")]),     # not also "no overlap"
    ({"ascend_ray_worker_port_range": "60000-60100"},           # Ray's workers would take HCCL's host ports
     [("ascend_hccl_host_socket_port_range", "no overlap with ascend_ray_worker_port_range (60000-60100)")]),
    ({"ascend_ray_worker_port_range": "auto", "ascend_hccl_host_socket_port_range": "10002-10100"}, []),
    ({"ascend_ray_worker_port_range": "6000-7000"},
     [("ascend_ray_worker_port_range", "no overlap with ascend_ray_node_manager_port (6767-6767)"),
      ("ascend_ray_worker_port_range", "no overlap with ascend_ray_object_manager_port (6768-6768)"),
      ("ascend_ray_worker_port_range", "no overlap with ascend_ray_port (6766-6766)")]),
    ({"ascend_ray_object_manager_port": 6767},
     [("ascend_ray_node_manager_port", "no overlap with ascend_ray_object_manager_port (6767-6767)")]),
    ({"ascend_ray_node_manager_port": 61025},
     [("ascend_hccl_npu_socket_port_range", "no overlap with ascend_ray_node_manager_port (61025-61025)")]),
    ({"ascend_ray_worker_port_range": "19999-10002"}, [("ascend_ray_worker_port_range", "START <= END")]),
    ({"ascend_hccl_host_socket_port_range": "x"},
     [("ascend_hccl_host_socket_port_range", "START-END (for example 60000-60050) or auto")]),
    ({"npu_env_visible_devices": "4,5"},
     [("npu_env_visible_devices", "0,1,2,3,4,5,6,7 (every device of the node, in order)")]),
    ({"ascend_product": "Atlas 800T A3", "ascend_npu_device": "A3", "npu_env_visible_devices": "0,1,2,3,4,5,6,7"},
     [("npu_env_visible_devices", ",".join(str(i) for i in range(16)) + " (every device of the node, in order)")]),
    ({"stack_name": "v9.9"}, [("stack_name", "one of seed, v0.8")]),
    ({"artifact_source_path": "/srv/none"}, [("artifact_source_path", "an existing directory with SHA256SUMS")]),
    ({"artifact_source_type": "mirror", "artifact_source_url": "ftp://x"},
     [("artifact_source_url", "http:// or https:// URL of the mirror")]),
    ({"artifact_source_type": "s3"}, [("artifact_source_type", "one of controller, mirror")]),
    ({"hdk_reboot_batch": "0", "ascend_npu_device": "A3", "stack_name": "x"},
     [("hdk_reboot_batch", "an integer >= 1"), ("ascend_npu_device", "A2 for Atlas 900 A2 PODc"),
      ("stack_name", "one of seed, v0.8")]),
])
def test_check_host(edits, problems):
    values = dict(HOST, **edits)
    found = knobs.check_host(values, SPECS, ["seed", "v0.8"], FS.get)[0]
    assert named(found) == problems


PLAY = ["n1", "n2"]


@pytest.mark.parametrize("head, groups, addresses, problems", [
    ("", {"ray_head": ["n1"]}, {"n1": ("10.0.0.1", "22"), "n2": ("10.0.0.2", "22")}, []),
    ("n2", {}, {}, []),
    ("", {"ray_head": ["n1"]}, {"n1": ("10.0.0.1", "22"), "n2": ("10.0.0.1", "2222")}, []),   # ports differ
    ("", {"ray_head": ["n1"]}, {"n1": ("10.0.0.1", "22"), "n2": ("10.0.0.1", "22")},
     [("ansible_host", "an address (and port) no other host of the play has; n2 has 10.0.0.1:22 too")]),
    ("", {}, {}, [("ascend_ray_head", "the Ray head's inventory name, or exactly one host in group ray_head "
                                      "(there is no ray_head group)")]),
    ("", {"ray_head": []}, {}, [("ascend_ray_head", "the Ray head's inventory name, or exactly one host in group "
                                                    "ray_head (ray_head has 0 hosts)")]),
    ("", {"ray_head": ["n1", "n2"]}, {}, [("ascend_ray_head", "the Ray head's inventory name, or exactly one host "
                                                              "in group ray_head (ray_head has 2 hosts: n1, n2)")]),
    ("", {"ray_head": ["n3"]}, {}, []),     # the head outside this play (--limit): still the head
    ("n9", {"ray_head": ["n1"]}, {}, [("ascend_ray_head", "a host of the inventory (n1, n2, n3)")]),
])
def test_check_play(head, groups, addresses, problems):
    assert named(knobs.check_play("n1", head, dict(groups, all=PLAY + ["n3"]), addresses)) == problems


def test_message_shape():
    problems = knobs.check_option("hdk_force", BOOL, "perhaps") + knobs.check_option("k", FORMATS, ["pdf"])
    assert knobs.format_problems("node1", problems) == ["node1: hdk_force = 'perhaps', expected true or false",
                                                        "node1: k[0] = 'pdf', expected one of json, csv, html"]


def _real_knobs():
    specs, defaults = {}, {}
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml"))):
        with open(path) as f:
            options = (((yaml.safe_load(f) or {}).get("argument_specs") or {}).get("main") or {}).get("options") or {}
        defaults_file = os.path.join(os.path.dirname(os.path.dirname(path)), "defaults", "main.yml")
        role_defaults = {}
        if os.path.isfile(defaults_file):
            with open(defaults_file) as f:
                role_defaults = yaml.safe_load(f) or {}
        for name, spec in options.items():
            specs.setdefault(name, []).append(spec)
            if name in role_defaults or "default" in spec:
                defaults[name] = role_defaults.get(name, spec.get("default"))
    return specs, defaults


def _render(value, variables):
    """Enough of Jinja for the defaults files: "{{ name }}" inside strings."""
    if isinstance(value, str):
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: str(variables.get(m.group(1), m.group(0))), value)
    if isinstance(value, list):
        return [_render(v, variables) for v in value]
    return value


def test_the_shipped_defaults_pass_their_own_rules():
    specs, defaults = _real_knobs()
    values = dict(defaults, ascend_product="Atlas 900 A2 PODc", ascend_npu_device="A2", artifact_source_path="/srv")
    values = {name: _render(value, values) for name, value in values.items()}
    stacks = [os.path.basename(p)[:-4] for p in glob.glob(os.path.join(ROOT, "roles", "stack", "vars", "stacks", "*.yml"))]
    problems, good = knobs.check_host(values, specs, stacks, {"/srv/SHA256SUMS": "file"}.get)
    assert problems == []
    assert len(good) >= 60


def test_every_row_of_the_rules_table_names_a_knob():
    specs, dummy = _real_knobs()
    for patterns, rule, _arg in knobs.RULES:
        for pattern in patterns:
            assert any(knobs.fnmatch.fnmatchcase(name, pattern) for name in specs), (pattern, rule)


def test_a_credential_bound_for_a_file_on_the_nodes_is_refused_without_showing_it():
    specs = dict(SPECS, conda_channels=[{"type": "list", "elements": "str"}], npu_env_extra=[{"type": "dict"}])
    values = dict(HOST, conda_channels=["https://u:S3cret@conda.site/forge"], npu_env_extra={"HTTPS_PROXY": "http://p:3128"})
    found = knobs.check_host(values, specs, ["seed", "v0.8"], FS.get)[0]
    assert [(p["variable"], p["found"]) for p in found] == [("conda_channels[0]", "***")]
    assert "S3cret" not in " ".join(knobs.format_problems("n1", found))
