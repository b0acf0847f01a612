"""Layer 1 of preflight: bad inventory values stop the run on the controller, before any
host is contacted.  The hosts point at 127.0.0.1 and 127.0.0.2 port 1: had Ansible tried to
connect, the recap would show them unreachable.  Every problem of every host is reported in
one run, as "host: variable = value, expected ..."."""

import glob
import os

import pytest
import yaml

from conftest import REPO, failures, playbook

GOOD = {
    "ascend_product": "Atlas 900 A2 PODc",
    "ascend_npu_device": "A2",
}
HOSTS = {"n1": "127.0.0.1", "n2": "127.0.0.2"}


@pytest.fixture
def inventory(tmp_path, sums_dir):
    def make(extra=None, drop=(), ray_head=("n1",), hostvars=None):
        values = dict(GOOD, artifact_source_path=sums_dir)
        values.update(extra or {})
        for key in drop:
            values.pop(key)
        lines = ["all:", "  children:", "    npu_nodes:", "      hosts:"]
        for host, address in HOSTS.items():
            lines += ["        %s:" % host, "          ansible_host: %s" % address, "          ansible_port: 1"]
            lines += ["          %s: %s" % kv for kv in (hostvars or {}).get(host, {}).items()]
        if ray_head is not None:
            lines += ["    ray_head:", "      hosts:"] + ["        %s:" % h for h in ray_head]
        lines += ["  vars:"] + ["    %s: %s" % (k, repr(v) if isinstance(v, str) else v) for k, v in values.items()]
        path = tmp_path / "hosts.yml"
        path.write_text("\n".join(lines) + "\n")
        return str(path)
    return make


@pytest.fixture(scope="module")
def sums_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("src")
    (d / "SHA256SUMS").write_text("")
    return str(d)


def stopped_before_contact(inventory_path):
    """Run preflight; assert it failed on every host without contacting one; {host: message}."""
    rc, stats, out = playbook(inventory_path, "playbooks/preflight.yml")
    assert rc != 0
    assert all(s["unreachable"] == 0 for s in stats.values()), stats
    got = failures(out)
    assert set(got) == set(HOSTS), got
    return got


def assert_reported(got, message):
    for host in HOSTS:
        assert "%s: %s" % (host, message) in got[host], got[host]


def test_a_good_inventory_passes_layer_1(inventory):
    """No false alarm: with the shipped defaults layer 1 passes on every host; only then does
    layer 2 try the hosts (and finds them unreachable)."""
    rc, stats, out = playbook(inventory(), "playbooks/preflight.yml")
    layer1 = [t["hosts"] for t in out["tasks"] if any("problems" in r for r in t["hosts"].values())]
    assert layer1 and set(layer1[0]) == set(HOSTS), out["tasks"][:2]
    assert all(r["_status"] == "ok" and r["problems"] == [] and r["expected_devices"] == 8 for r in layer1[0].values())
    assert rc != 0 and all(s["unreachable"] == 1 for s in stats.values()), stats


# One bad value per role, and the rules over several knobs, with the names of today.
CASES = [
    ({"ascend_npu_device": "A3"}, (), "ascend_npu_device = 'A3', expected A2 for Atlas 900 A2 PODc"),
    ({"ascend_npu_device": "A9"}, (), "ascend_npu_device = 'A9', expected one of A2, A3"),
    ({"ascend_product": "Atlas 9000"}, (), "ascend_product = 'Atlas 9000'"),
    ({}, ("ascend_product",), "ascend_product = None, expected set in the inventory"),
    ({"ascend_root": "relative/dir"}, (), "ascend_root = 'relative/dir', expected an absolute path"),
    ({"ascend_conda_env": "base"}, (), "ascend_conda_env = 'base', expected a conda env name"),
    ({"ascend_ray_port": 70000}, (), "ascend_ray_port = 70000, expected a port between 1 and 65535"),
    ({"ascend_ray_port": 61010}, (),
     "ascend_hccl_npu_socket_port_range = '61000-61050', expected no overlap with ascend_ray_port (61010-61010)"),
    ({"ascend_hccl_host_socket_port_range": "60050-60000"}, (), "ascend_hccl_host_socket_port_range = '60050-60000'"),
    ({"ascend_hccl_npu_socket_port_range": "60040-60100"}, (),
     "ascend_hccl_host_socket_port_range = '60000-60050', expected no overlap with ascend_hccl_npu_socket_port_range"),
    ({"stack_name": "v9.9"}, (), "stack_name = 'v9.9', expected one of seed, v0.8"),
    ({"artifact_source_type": "s3"}, (), "artifact_source_type = 's3', expected one of controller, mirror"),
    ({"artifact_source_path": "packages"}, (), "artifact_source_path = 'packages', expected an absolute directory"),
    ({"artifact_source_path": "/nonexistent/ascend"}, (),
     "artifact_source_path = '/nonexistent/ascend', expected an existing directory with SHA256SUMS"),
    ({"artifact_source_type": "mirror", "artifact_source_url": "ftp://x"}, (), "artifact_source_url = 'ftp://x'"),
    ({"artifact_download_timeout": 0}, (), "artifact_download_timeout = 0, expected an integer >= 1"),
    ({"preflight_host_checks_fatal": "maybe"}, (), "preflight_host_checks_fatal = 'maybe', expected true or false"),
    ({"preflight_free_mb": "lots"}, (), "preflight_free_mb = 'lots', expected a mapping"),
    ({"hdk_reboot_batch": 0}, (), "hdk_reboot_batch = 0, expected an integer >= 1"),
    ({"hdk_force": "perhaps"}, (), "hdk_force = 'perhaps', expected true or false"),
    ({"cann_toolkit_flags": {"a": 1}}, (), "cann_toolkit_flags = {'a': 1}, expected a list of strings"),
    ({"npu_env_visible_devices": "4,5"}, (), "npu_env_visible_devices = '4,5', expected 0,1,2,3,4,5,6,7"),
    ({"npu_env_visible_devices": "0,1,2,3,4,5,6,7,8"}, (), "npu_env_visible_devices = '0,1,2,3,4,5,6,7,8'"),
    ({"npu_env_hccl_connect_timeout": "soon"}, (), "npu_env_hccl_connect_timeout = 'soon', expected an integer"),
    ({"npu_env_extra": "TASK_QUEUE_ENABLE=1"}, (), "npu_env_extra = 'TASK_QUEUE_ENABLE=1', expected a mapping"),
    ({"conda_installer": "anaconda"}, (), "conda_installer = 'anaconda', expected one of miniforge, miniconda"),
    ({"conda_pip_extra_index_urls": 5}, (), "conda_pip_extra_index_urls[0] = '5', expected an http:// or https:// URL"),
    ({"sglang_npu_method": "script"}, (), "sglang_npu_method = 'script', expected one of tasks, upstream_script"),
    ({"verl_source": "svn"}, (), "verl_source = 'svn', expected one of archive, git"),
    ({"verify_topology": "star"}, (), "verify_topology = 'star', expected one of same_index, full_mesh, ring"),
    ({"verify_parallel": 0}, (), "verify_parallel = 0, expected an integer >= 1"),
    ({"audit_formats": ["pdf"]}, (), "audit_formats[0] = 'pdf', expected one of json, csv, html, md, junit"),
]


def batches(cases, size=6):
    """The cases in a few playbook runs: a batch takes at most `size` cases and one case per
    family of knobs whose rules tie them together (a product decides the device count, ports
    must not overlap, the artifact source's type decides which of path and URL counts)."""
    out = []
    for extra, drop, message in cases:
        knobs = set(extra) | set(drop) | set(w for w in message.replace("(", " ").split() if w.startswith(PREFIXES))
        families = set(next((f for f, members in FAMILIES.items() if k in members), k) for k in knobs)
        for batch in out:
            if len(batch["messages"]) < size and not families & batch["families"]:
                batch["extra"].update(extra)
                batch["drop"] += list(drop)
                batch["messages"].append(message)
                batch["families"] |= families
                break
        else:
            out.append({"extra": dict(extra), "drop": list(drop), "messages": [message], "families": families})
    return out


PREFIXES = ("ascend_", "artifact_", "npu_env_")
FAMILIES = {
    "product": ("ascend_npu_device", "ascend_product", "npu_env_visible_devices"),
    "ports": ("ascend_ray_port", "ascend_ray_dashboard_port", "ascend_hccl_host_socket_port_range",
              "ascend_hccl_npu_socket_port_range"),
    "artifact": ("artifact_source_type", "artifact_source_path", "artifact_source_url"),
}
BATCHES = batches(CASES)


@pytest.mark.parametrize("batch", BATCHES, ids=["+".join(sorted(b["extra"]) + ["-" + d for d in b["drop"]])[:60]
                                                for b in BATCHES])
def test_bad_values_fail_before_any_host_is_contacted(inventory, batch):
    """One bad value per knob case; the cases of a batch share one run (each is reported on its own)."""
    got = stopped_before_contact(inventory(batch["extra"], batch["drop"]))
    for message in batch["messages"]:
        assert_reported(got, message)


def test_several_problems_across_roles_are_reported_together(inventory):
    bad = {"ascend_npu_device": "A3", "hdk_reboot_batch": 0, "verl_source": "svn", "ascend_ray_port": 70000,
           "audit_formats": ["json", "pdf"], "conda_pip_index_url": "mirror.local"}
    got = stopped_before_contact(inventory(bad))
    for message in ("ascend_npu_device = 'A3'", "hdk_reboot_batch = 0", "verl_source = 'svn'", "ascend_ray_port = 70000",
                    "audit_formats[1] = 'pdf'", "conda_pip_index_url = 'mirror.local'"):
        assert_reported(got, message)


@pytest.mark.parametrize("ray_head, extra, hostvars, message", [
    (("n1",), {}, {"n2": {"ansible_host": "127.0.0.1"}}, "ansible_host = '127.0.0.1', expected an address"),
    (None, {}, None, "ascend_ray_head = '', expected the Ray head's inventory name, or exactly one host in group "
                     "ray_head (there is no ray_head group)"),
    (("n1", "n2"), {}, None, "ascend_ray_head = '', expected the Ray head's inventory name, or exactly one host in "
                             "group ray_head (ray_head has 2 hosts: n1, n2)"),
    (("n1",), {"ascend_ray_head": "n9"}, None, "ascend_ray_head = 'n9', expected a host of the inventory (n1, n2)"),
], ids=["same-address", "no-ray_head-group", "two-heads", "head-not-in-inventory"])
def test_rules_over_the_play(inventory, ray_head, extra, hostvars, message):
    assert_reported(stopped_before_contact(inventory(extra, ray_head=ray_head, hostvars=hostvars)), message)


A3_ONE_SUBNET = {"ascend_product": "Atlas 800T A3", "ascend_npu_device": "A3",
                 "fabric_plan": [{"cidr": "10.20.0.0/16", "gateway": "10.20.0.1"}]}


@pytest.mark.parametrize("extra, hostvars, message", [
    (A3_ONE_SUBNET, None, "fabric_plan (device 1) = '10.20.0.%s', expected a subnet other than device 0's "
                          "(10.20.0.0/16): the two dies of NPU 0 must sit in different subnets on A3"),
    ({"fabric_plan": [{"cidr": "10.20.0.0/16", "gateway": "10.20.0.1"}]}, {"n2": {"fabric_host_index": 0}},
     "fabric_plan (device 0) = '10.20.0.16', expected an address no other host gets"),
    ({"fabric_plan": [{"cidr": "10.20.0.0/16", "gateway": "10.21.0.1"}]}, None,
     "fabric_plan[0].gateway = '10.21.0.1', expected an address inside 10.20.0.0/16"),
], ids=["a3-dies-in-one-subnet", "address-twice", "gateway-outside"])
def test_address_plans_that_collide_are_refused(inventory, extra, hostvars, message):
    got = stopped_before_contact(inventory(extra, hostvars=hostvars))
    for host, device_1 in (("n1", "17"), ("n2", "33")):      # host index 0 and 1
        assert "%s: %s" % (host, message.replace("%s", device_1)) in got[host], got[host]


# Knobs with cases of their own above (controller-side paths; the product, which decides the
# device count other rules need); str knobs outside BAD_STR accept any string.
OWN_CASES = {"ascend_product", "artifact_source_path", "artifact_source_url", "verify_report_dir", "audit_report_dir"}
BAD_STR = {"ascend_ray_head": "n9", "stack_name": "v9.9", "npu_env_visible_devices": "4,5",
           "ascend_hccl_host_socket_port_range": "sixty", "ascend_hccl_npu_socket_port_range": "sixty",
           "conda_python_version": "three", "preflight_python_min": "three", "ascend_conda_env": "base",
           "hdk_user": "1 user", "hdk_group": "1 group", "verl_git_repo": "svn:x", "conda_pip_index_url": "ftp://x",
           "conda_channel_alias": "ftp://x", "sglang_npu_torch_index_url": "ftp://x"}
BAD_BY_TYPE = {"bool": "maybe", "int": "lots", "float": "soon", "list": {"a": 1}, "dict": [1], "path": "relative/dir"}


def every_knob():
    """{knob: a value its type, choices or format refuses} for every main option of every role."""
    out = {}
    for path in sorted(glob.glob(os.path.join(REPO, "roles", "*", "meta", "argument_specs.yml"))):
        with open(path) as f:
            options = (((yaml.safe_load(f) or {}).get("argument_specs") or {}).get("main") or {}).get("options") or {}
        for name, spec in options.items():
            kind = spec.get("type", "str")
            if name in OWN_CASES:
                continue
            if spec.get("choices"):
                out[name] = ["bogus"] if kind == "list" else "bogus"
            elif name in BAD_STR:
                out[name] = BAD_STR[name]
            elif kind in BAD_BY_TYPE:
                out[name] = BAD_BY_TYPE[kind]
    return out


def test_every_knob_of_every_role_is_checked_in_one_run(inventory):
    bad = every_knob()
    assert len(bad) > 60, sorted(bad)
    got = stopped_before_contact(inventory(bad))
    missed = [name for name in bad if "n1: %s = " % name not in got["n1"] and "n1: %s[0] = " % name not in got["n1"]]
    assert not missed, (missed, got["n1"])
