"""Module hccl_bench with a stand-in mpirun: the argv and hostfile it is given, the NPU
environment it runs with, and a bisection over real process runs."""

import os
import stat
import tempfile

from ansible_collections.ascend_verl.cluster.plugins.modules import hccl_bench

from ansible_collections.ascend_verl.cluster.tests.unit.compat import run_module

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures", "hccl_test")

# Records its argv, hostfile and one env var; answers with the good table, or the init failure
# when the hostfile names 10.0.0.13 (a node whose port is down).
MPIRUN = """#!/bin/sh
printf '%%s\n' "$*" >> "%(log)s"
echo "env ASCEND_HOME_PATH=$ASCEND_HOME_PATH" >> "%(log)s"
hosts=""
while [ $# -gt 0 ]; do [ "$1" = -f ] && [ -z "$hosts" ] && hosts=$2 && cat "$2" >> "%(log)s"; shift; done
if [ -n "$hosts" ] && grep -q 10.0.0.13 "$hosts"; then cat "%(fixtures)s/init_failure.txt"; else cat "%(fixtures)s/success.txt"; fi
"""


def fake(tmp_path):
    log = tmp_path / "log"
    mpirun = tmp_path / "mpirun"
    mpirun.write_text(MPIRUN % {"log": log, "fixtures": os.path.abspath(FIXTURES)})
    mpirun.chmod(mpirun.stat().st_mode | stat.S_IEXEC)
    env = tmp_path / "npu.env"
    env.write_text("# npu_env\nASCEND_HOME_PATH=/usr/local/Ascend/ascend-toolkit/latest\n")
    return str(mpirun), str(env), log


def args(mpirun, env, nodes, **more):
    return dict({"test": "/usr/local/Ascend/ascend-toolkit/latest/tools/hccl_test/bin/all_reduce_test",
                 "mpirun": mpirun, "env_file": env, "npus_per_node": 8, "timeout": 30,
                 "nodes": [{"name": "node%d" % i, "address": "10.0.0.1%d" % i} for i in nodes]}, **more)


def test_one_node_runs_locally_with_the_npu_env(tmp_path, capsys):
    mpirun, env, log = fake(tmp_path)
    rc, out = run_module(hccl_bench, capsys, args(mpirun, env, [1], floor_gbps=10))
    assert rc == 0 and out["ok"] and out["changed"] is False and out["bandwidth"] == 17.99397
    lines = log.read_text().splitlines()
    assert lines[0] == ("-n 8 /usr/local/Ascend/ascend-toolkit/latest/tools/hccl_test/bin/all_reduce_test -p 8 "
                        "-b 8K -e 64M -f 2 -d fp32 -o sum -w 5 -n 20 -c 1")
    assert lines[1] == "env ASCEND_HOME_PATH=/usr/local/Ascend/ascend-toolkit/latest"


def test_a_failing_node_is_found_through_the_ssh_launcher(tmp_path, capsys, monkeypatch):
    mpirun, env, log = fake(tmp_path)
    hostfiles = tmp_path / "tmp"
    hostfiles.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(hostfiles))
    rc, out = run_module(hccl_bench, capsys, args(mpirun, env, [1, 2, 3, 4], launcher_exec="/etc/x/ssh"))
    assert rc == 0 and not out["ok"] and out["blamed"] == ["node3"]
    # alone, node3's NPUs talk over HCCS only (good): its fault shows with another node, so the pairs settle it
    assert [r["hosts"] for r in out["runs"]] == [["node1", "node2", "node3", "node4"], ["node1", "node2"],
                                                 ["node3", "node4"], ["node3"], ["node4"], ["node1", "node3"],
                                                 ["node1", "node4"]]
    first = log.read_text().split("\n")
    assert first[0].startswith("-launcher ssh -launcher-exec /etc/x/ssh -f ") and " -n 32 " in first[0]
    assert first[2:6] == ["10.0.0.11:8", "10.0.0.12:8", "10.0.0.13:8", "10.0.0.14:8"]
    assert os.listdir(str(hostfiles)) == []          # every run's hostfile removed after it


def test_a_value_hccl_test_refuses_fails_before_any_run(tmp_path, capsys):
    mpirun, env, log = fake(tmp_path)
    rc, out = run_module(hccl_bench, capsys, args(mpirun, env, [1, 2], dtype="bf16"))
    assert rc == 1 and out["msg"].startswith("hccl_bench: dtype 'bf16' is not one of") and not log.exists()
