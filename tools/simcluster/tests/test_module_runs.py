"""The counted interpreter every node carries (/opt/simcluster/bin/python3-counted): each
start appends one line to the node's own module-run log and then is /usr/bin/python3,
unchanged, also on a full disk and after a reboot."""

import json
import os
import re
import subprocess
import sys
import tempfile

import pytest

import simkit

sys.path.insert(0, simkit.TOOL)
from sim import layers  # noqa: E402

NAME = "simcount"
NODES = ("node1", "node2")
COUNTED = layers.COUNTED_PYTHON
LOG = layers.MODULE_RUNS_LOG


@pytest.fixture(scope="module")
def cluster():
    c = simkit.Cluster(NAME, "a2", len(NODES)).up()
    try:
        yield c
    finally:
        c.down()


def module_runs(cluster, node):
    return int(cluster.ssh(node, "cat %s 2>/dev/null | wc -l" % LOG).stdout)


def counted_ping(cluster, pattern="npu_nodes"):
    """`ansible PATTERN -m ansible.builtin.ping` on the counted interpreter: every host
    answers pong; returns the recap."""
    env, results = simkit.results_env()
    env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = tempfile.mkdtemp(prefix="simtest-cp-")
    argv = [os.path.join(simkit.VENV_BIN, "ansible"), "-i", cluster.inventory, pattern,
            "-m", "ansible.builtin.ping", "-e", "ansible_python_interpreter=" + COUNTED]
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:]
    with open(results) as f:
        data = json.load(f)
    os.unlink(results)
    answers = data["tasks"][0]["hosts"]
    assert {h: r.get("ping") for h, r in answers.items()} == {h: "pong" for h in data["stats"]}, answers
    return data["stats"]


def test_each_module_run_adds_one_line_on_each_node(cluster):
    before = {n: module_runs(cluster, n) for n in NODES}
    for dummy in range(2):
        stats = counted_ping(cluster)
        assert all(stats[n]["ok"] == 1 and stats[n]["failures"] == 0 for n in NODES), stats
    after = {n: module_runs(cluster, n) for n in NODES}
    assert {n: after[n] - before[n] for n in NODES} == {n: 2 for n in NODES}
    lines = cluster.ssh("node1", "tail -2 " + LOG).stdout.splitlines()
    assert all(re.match(r"^\d+\.\d+ \d+$", l) for l in lines), lines


def test_it_is_the_nodes_python_unchanged(cluster):
    """Same arguments, stdin, environment, output and exit status (one SSH session for both)."""
    probe = ("-c 'import os, sys; print(sys.argv[1:], sys.executable, sys.stdin.read().strip(), "
             "sorted((k, v) for k, v in os.environ.items() if k != \"_\")); sys.exit(3)' 'a b' '' 2>&1")
    out = cluster.ssh("node1", "echo in | /usr/bin/python3 {0}; echo rc=$?; echo ===; "
                               "echo in | {1} {0}; echo rc=$?".format(probe, COUNTED)).stdout
    plain, counted = out.split("===\n")
    assert counted == plain
    assert counted.startswith("['a b', ''] /usr/bin/python3 in [('HOME', '/root')") and counted.endswith("\nrc=3\n")


@pytest.mark.parametrize("log_dir", ["kept", "removed"])
def test_a_full_disk_still_runs_python(cluster, log_dir):
    """The append fails (or the log's directory cannot be made): Python runs all the same,
    with nothing on stderr.  (An Ansible module itself needs a temporary directory, so a
    module run on a full disk fails with or without the wrapper.)"""
    if log_dir == "removed":
        cluster.ssh("node2", "rm -rf " + os.path.dirname(LOG))
    cluster.fault("node2", "disk-full")
    try:
        assert int(cluster.ssh("node2", "df --output=avail -k / | tail -1").stdout) == 0
        cluster.ssh("node2", "head -c 100000 /dev/urandom >> %s" % LOG, check=False)  # fill its page
        size = "cat %s 2>/dev/null | wc -c" % LOG
        before = cluster.ssh("node2", size).stdout
        result = cluster.ssh("node2", "echo 'print(6 * 7)' | %s -" % COUNTED, check=False)
        assert (result.returncode, result.stdout, result.stderr) == (0, "42\n", "")
        assert cluster.ssh("node2", size).stdout == before          # the append did fail
    finally:
        cluster.fault("node2", "disk-ok")
    cluster.ssh("node2", ": > " + LOG)
    counted_ping(cluster, "node2")
    assert module_runs(cluster, "node2") == 1


def test_the_count_survives_a_reboot(cluster):
    before = module_runs(cluster, "node2")
    boot_id = cluster.ssh("node2", "cat /proc/sys/kernel/random/boot_id").stdout
    stats = cluster.ansible("node2", "ansible.builtin.reboot", "reboot_timeout=60", timeout=10)
    assert stats["node2"]["changed"] == 1 and stats["node2"]["failures"] == 0, stats
    assert cluster.ssh("node2", "cat /proc/sys/kernel/random/boot_id").stdout != boot_id
    assert module_runs(cluster, "node2") == before      # cluster.ansible used /usr/bin/python3
    counted_ping(cluster, "node2")
    assert module_runs(cluster, "node2") == before + 1
