"""artifact_source_type=mirror: the nodes fetch SHA256SUMS and the packages over HTTP from a
mirror, here a server on the simulated cluster's management bridge address (inside the
cluster's own network, reachable only from its nodes), on a fresh one-node Atlas 900 A2.
A corrupt package on the mirror and an unreachable mirror are each named before anything runs;
the good mirror installs the system half; a re-run asks the mirror nothing.  The tests run in
file order."""

import hashlib
import os
import shutil

import pytest

from conftest import failures, playbook, seed_mirror, simkit


TOOLKIT_INFO = "/usr/local/Ascend/ascend-toolkit/latest/$(uname -m)-linux/ascend_toolkit_install.info"


@pytest.fixture(scope="module")
def node():
    c = simkit.Cluster("mtest", "a2", 1).up()
    yield c
    c.down()


@pytest.fixture(scope="module")
def mirror(node, artifacts, tmp_path_factory):
    with seed_mirror(node, artifacts, tmp_path_factory) as m:
        yield m


def system(node, mirror):
    return playbook(node.inventory, "playbooks/system.yml", "-e", "stack_name=seed", "-e", "hdk_health_delay=1",
                    "-e", "artifact_source_type=mirror", "-e", "artifact_source_url=" + mirror.url)


def driver_file(root):
    return [f for f in os.listdir(root) if f.startswith("Ascend-hdk-910b-npu-driver_") and f.endswith(".run")][0]


def test_a_corrupt_package_on_the_mirror_is_refused_before_anything_runs(node, mirror):
    path = os.path.join(mirror.root, driver_file(mirror.root))
    shutil.copy(path, path + ".good")
    with open(path, "ab") as f:
        f.write(b"garbage")
    try:
        rc, stats, out = system(node, mirror)
    finally:
        os.replace(path + ".good", path)
    assert rc != 0
    msg = failures(out)["node1"]
    good = open(path, "rb").read()
    assert msg.startswith("node1: %s from %s has sha256 %s but SHA256SUMS says %s" % (
        driver_file(mirror.root), mirror.url.rstrip("/"), hashlib.sha256(good + b"garbage").hexdigest(),
        hashlib.sha256(good).hexdigest())), msg
    assert msg.endswith("the file was removed and nothing was executed"), msg
    left = node.ssh("node1", "ls /usr/local/Ascend/driver /var/cache/ascend_verl/artifacts/" + driver_file(mirror.root),
                    check=False)
    assert left.returncode != 0 and left.stdout == "", left.stdout
    assert "/SHA256SUMS" in mirror.requests and "/" + driver_file(mirror.root) in mirror.requests


def test_an_unreachable_mirror_is_named(node, mirror):
    closed = "http://%s:9/" % node.registry["plan"]["host_ip"]     # discard port, nothing listens
    rc, stats, out = playbook(node.inventory, "playbooks/system.yml", "-e", "stack_name=seed",
                              "-e", "artifact_source_type=mirror", "-e", "artifact_source_url=" + closed)
    assert rc != 0
    msg = failures(out)["node1"]
    assert msg.startswith("node1: cannot read %sSHA256SUMS - " % closed) and "refused" in msg.lower(), msg
    assert node.ssh("node1", "ls /usr/local/Ascend", check=False).returncode != 0


def test_the_mirror_installs_the_system_half(node, mirror):
    del mirror.requests[:]
    rc, stats, out = system(node, mirror)
    assert rc == 0, failures(out)
    assert node.ssh("node1", "/usr/local/bin/npu-smi info").stdout.count("| OK ") == 8
    assert node.ssh("node1", "test -s " + TOOLKIT_INFO, check=False).returncode == 0
    fetched = set(p.lstrip("/") for p in mirror.requests) - {"SHA256SUMS"}
    assert driver_file(mirror.root) in fetched and all(os.path.isfile(os.path.join(mirror.root, p)) for p in fetched)


def test_a_rerun_asks_the_mirror_nothing(node, mirror):
    """hdk and cann read the node first; with nothing to install they never call the artifact role."""
    del mirror.requests[:]
    rc, stats, out = system(node, mirror)
    assert rc == 0 and stats["node1"]["changed"] == 0, (stats, failures(out))
    assert mirror.requests == [], mirror.requests
