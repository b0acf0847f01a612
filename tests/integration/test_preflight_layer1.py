"""Layer 1 of preflight: bad inventory values stop the run on the controller, before any
host is contacted.  The hosts point at 127.0.0.1 port 1: had Ansible tried to connect, the
recap would show them unreachable."""

import os

import pytest

from conftest import REPO, failures, playbook

GOOD = {
    "ascend_product": "Atlas 900 A2 PODc",
    "ascend_npu_device": "A2",
    "artifact_source_path": os.path.join(REPO, "tools"),   # replaced per case where it matters
}


@pytest.fixture
def inventory(tmp_path):
    def make(extra, drop=()):
        values = dict(GOOD, **extra)
        for key in drop:
            values.pop(key)
        lines = ["all:", "  children:", "    npu_nodes:", "      hosts:"]
        for host in ("n1", "n2"):
            lines += ["        %s:" % host, "          ansible_host: 127.0.0.1", "          ansible_port: 1"]
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


CASES = [
    ({"ascend_npu_device": "A3"}, (), "ascend_npu_device = 'A3', expected A2 for Atlas 900 A2 PODc"),
    ({"ascend_npu_device": "910B"}, (), "ascend_npu_device = '910B', expected one of A2, A3"),
    ({"ascend_product": "Atlas 9000"}, (), "ascend_product = 'Atlas 9000'"),
    ({}, ("ascend_product",), "ascend_product = None, expected set in the inventory"),
    ({"stack_name": "v9.9"}, (), "stack_name = 'v9.9', expected one of seed, v0.8"),
    ({"npu_env_hccl_host_socket_port_range": "60050-60000"}, (), "npu_env_hccl_host_socket_port_range = '60050-60000'"),
    ({"npu_env_hccl_npu_socket_port_range": "60040-60100"}, (), "no overlap with npu_env_hccl_npu_socket_port_range"),
    ({"npu_env_ray_port": 61010}, (), "no overlap with npu_env_ray_port (61010-61010)"),
    ({"npu_env_visible_devices": "0,1,2,3,4,5,6,7,8"}, (), "npu_env_visible_devices = '0,1,2,3,4,5,6,7,8', expected 0,1,2,3,4,5,6,7"),
    ({"npu_env_visible_devices": "4,5,6,7"}, (), "npu_env_visible_devices = '4,5,6,7'"),
    ({"artifact_source_type": "s3"}, (), "artifact_source_type = 's3'"),
    ({"artifact_source_path": "packages"}, (), "artifact_source_path = 'packages', expected an absolute directory"),
    ({"artifact_source_path": "/nonexistent/ascend"}, (), "expected an existing directory with SHA256SUMS"),
    ({"artifact_source_type": "mirror", "artifact_source_url": "ftp://x"}, (), "artifact_source_url = 'ftp://x'"),
    ({"hdk_reboot_batch": 0}, (), "hdk_reboot_batch = 0, expected an integer >= 1"),
    ({"npu_env_hccl_connect_timeout": "soon"}, (), "npu_env_hccl_connect_timeout = 'soon'"),
]


@pytest.mark.parametrize("extra, drop, message", CASES, ids=[c[2][:40] for c in CASES])
def test_bad_value_fails_before_any_host_is_contacted(inventory, sums_dir, extra, drop, message):
    extra = dict({"artifact_source_path": sums_dir}, **extra) if "artifact_source_path" not in extra else extra
    rc, stats, out = playbook(inventory(extra, drop), "playbooks/preflight.yml")
    assert rc != 0
    assert all(s["unreachable"] == 0 for s in stats.values()), stats
    got = failures(out)
    assert set(got) == {"n1", "n2"}
    assert message in got["n1"] and got["n1"].startswith("n1: ")


def test_several_problems_are_reported_together(inventory, sums_dir):
    rc, stats, out = playbook(inventory({"artifact_source_path": sums_dir, "ascend_npu_device": "A3",
                                         "hdk_reboot_batch": 0}), "playbooks/preflight.yml")
    assert rc != 0 and all(s["unreachable"] == 0 for s in stats.values())
    assert "ascend_npu_device" in failures(out)["n2"] and "hdk_reboot_batch" in failures(out)["n2"]
