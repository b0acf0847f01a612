"""The Python half of site.yml on a simulated two-node Atlas 900 A2 PODc, seed line, fully
offline (the nodes have no route anywhere): conda, the SGLang/Megatron NPU stack and verl
with exactly the manifest's versions, a second run that changes nothing, and the faults;
then what runs on it: the env in a login shell, Ray as a service with the smoke job on every
NPU, and the recipes (playbooks/train.yml)."""

import json
import re
import shlex
import time

import pytest

import stack
from conftest import env_versions, failures, playbook, simkit, stack_args, task_results

ENV = "/opt/miniforge3/envs/verl-sglang"
SITE = ENV + "/lib/python3.11/site-packages"
WHEELHOUSE = "/var/cache/ascend_verl/wheelhouse/seed/"
SEED = stack.env_packages("seed")
REPORT_TASK = "Verify | diagnose the cluster and write the reports"


def raylets(cluster, nodes=("node1", "node2")):
    """{node: (raylet pid, seconds since it started)}; None where no raylet runs."""
    out = {}
    for node in nodes:
        text = cluster.ssh(node, "ps -o pid=,etimes= -C raylet", check=False).stdout.split()
        out[node] = (int(text[0]), int(text[1])) if text else None
    return out


def ray_report(out):
    """The Ray part of the verify report site.yml or verify.yml wrote."""
    return task_results(out, REPORT_TASK)["localhost"]["ray"]


@pytest.fixture(scope="module")
def a2():
    c = simkit.Cluster("ptest", "a2", 2).up()
    yield c
    c.down()


def test_site_installs_the_seed_stack_then_changes_nothing(a2, artifacts):
    args = stack_args(artifacts, "seed", "-e", "hdk_health_delay=1")
    start = time.monotonic()
    rc, stats, out = playbook(a2.inventory, "site.yml", *args)
    first = time.monotonic() - start
    assert rc == 0, failures(out)
    for node in ("node1", "node2"):
        assert env_versions(a2, node, SEED) == SEED
        assert a2.ssh(node, "%s/bin/python --version" % ENV).stdout.strip().startswith("Python 3.11.")
        link = a2.ssh(node, "readlink %s/deep_ep_cpp.cpython-311-$(uname -m)-linux-gnu.so" % SITE).stdout.strip()
        assert link.startswith("deep_ep/deep_ep_cpp")
        assert a2.ssh(node, "test -f %s/triton/__init__.py && ls /opt/verl/recipe/r1_ascend" % SITE).returncode == 0
        direct = json.loads(a2.ssh(node, "cat %s/verl-0.7.1.dist-info/direct_url.json" % SITE).stdout)
        assert direct["url"] == "file:///opt/verl" and direct["dir_info"]["editable"] is True
    # site.yml ends with Ray up on both nodes and the smoke job passing on all 16 NPU slots.
    ray = ray_report(out)
    assert (ray["npus"], ray["smoke_slots"], ray["ray_version"]) == ("16/16", "16/16", stack.version("seed", "ray"))
    assert all(n["devices"] == [str(d) for d in range(8)] and not n["failures"] for n in ray["nodes"].values()), ray
    pushed = a2.ssh("node1", "du -sk /var/cache/ascend_verl/artifacts").stdout.split()[0]
    before = raylets(a2)
    start = time.monotonic()
    rc, stats, out = playbook(a2.inventory, "site.yml", *args)
    second = time.monotonic() - start
    assert rc == 0 and all(s["changed"] == 0 for s in stats.values()), stats
    after = raylets(a2)
    assert [after[n][0] for n in after] == [before[n][0] for n in before]      # the same processes: no restart
    # Reported, not asserted (timings belong to `make bench`): the closing note quotes them.
    print("site.yml on 2 A2 nodes, seed line: first %.1f s, second %.1f s; %s kB pushed per node"
          % (first, second, pushed))


def test_a_login_shell_activates_the_env_as_the_seed_does(a2):
    check = ("conda activate verl-sglang && python -c 'import verl, sglang, torch, torch_npu; "
             "print(torch.npu.device_count())' && echo $HCCL_SOCKET_IFNAME")
    for node in ("node1", "node2"):
        out = a2.ssh(node, "bash -lc %s" % shlex.quote(check)).stdout.split()     # $VAR for the login shell
        assert out == ["8", "enp189s0f0"], out


def test_an_env_change_restarts_ray_head_first_and_the_smoke_job_passes_again(a2, artifacts):
    before = raylets(a2)
    rc, stats, out = playbook(a2.inventory, "site.yml", "-e", "npu_env_hccl_connect_timeout=1800",
                              *stack_args(artifacts, "seed", "-e", "hdk_health_delay=1"))
    assert rc == 0, failures(out)
    after = raylets(a2)
    assert all(after[n][0] != before[n][0] for n in after), (before, after)
    assert after["node1"][1] >= after["node2"][1]           # the head started first
    ray = ray_report(out)
    assert (ray["npus"], ray["smoke_slots"]) == ("16/16", "16/16"), ray


def test_a_rebooted_worker_rejoins_by_itself(a2, artifacts):
    a2.reboot("node2")
    # The SysV service starts Ray at boot; role ray then only waits for it and changes nothing.
    rc, stats, out = playbook(a2.inventory, "playbooks/ray.yml", *stack_args(artifacts))
    assert rc == 0 and stats["node2"]["changed"] == 0, failures(out)
    assert "Ray: 16/16 NPUs in the cluster" in out["console"]


def test_a_recipe_dry_run_fits_composes_and_places_on_two_nodes(a2, artifacts, tmp_path):
    for node in ("node1", "node2"):
        a2.ssh(node, "mkdir -p /data/models/Qwen2.5-32B /data/datasets/deepscaler && "
                     "touch /data/datasets/deepscaler/train.parquet /data/datasets/deepscaler/test.parquet")
    rc, stats, out = playbook(a2.inventory, "playbooks/train.yml", "-e", "train_recipe=qwen2_5_32b_fsdp",
                              "-e", "train_dry_run=true", "-e", "train_ckpt_root=/shared/ckpt",
                              "-e", "train_report_dir=%s" % tmp_path, *stack_args(artifacts))
    assert rc == 0, failures(out)
    placed = task_results(out, "Train | the recipe's NPU bundles fit in Ray (reserved, then released)")["node1"]
    assert sorted(p["node_ip"] for p in placed["result"]["placed"]) == [a2.ip("node1"), a2.ip("node2")]
    script = (tmp_path / "train-qwen2_5_32b_fsdp.sh").read_text()
    assert "trainer.nnodes=2" in script and "trainer.n_gpus_per_node=8" in script
    assert "+actor_rollout_ref.rollout.engine_kwargs.sglang.attention_backend=ascend" in script


def test_recipes_that_cannot_run_are_refused_before_anything_launches(a2, artifacts, tmp_path):
    args = ("-e", "train_dry_run=true", "-e", "train_ckpt_root=/shared/ckpt",
            "-e", "train_report_dir=%s" % tmp_path) + stack_args(artifacts)
    rc, stats, out = playbook(a2.inventory, "playbooks/train.yml", "-e", "train_recipe=qwen3_30b_a3b_megatron", *args)
    assert rc != 0 and "runs on A3 only" in failures(out)["node1"] and "Atlas 900 A2 PODc" in failures(out)["node1"]
    rc, stats, out = playbook(a2.inventory, "playbooks/train.yml", "-e", "train_recipe=qwen2_5_32b_fsdp",
                              "-e", json.dumps({"train_extra_overrides": ["actor_rollout_ref.rollout.nn=3"]}), *args)
    assert rc != 0 and "actor_rollout_ref.rollout.nn" in failures(out)["node1"], failures(out)
    a2.ssh("node2", "mv /data/models/Qwen2.5-32B /data/models/moved")
    try:
        rc, stats, out = playbook(a2.inventory, "playbooks/train.yml", "-e", "train_recipe=qwen2_5_32b_fsdp", *args)
    finally:
        a2.ssh("node2", "mv /data/models/moved /data/models/Qwen2.5-32B")
    assert rc != 0
    assert "node2: model /data/models/Qwen2.5-32B is missing" in failures(out)["node2"], failures(out)
    assert "node1" not in failures(out) or "missing" not in failures(out)["node1"]


def test_a_submitted_job_that_fails_reports_its_last_log_lines(a2, artifacts, tmp_path):
    # The simulator's inventory leaves the dashboard off (slow to start on a shared 2-core machine);
    # ray job submit needs it: the head restarts with it, then the workers (the service's loop
    # retries a dashboard start that misses Ray's 20 s).
    rc, stats, out = playbook(a2.inventory, "playbooks/ray.yml", "-e", "ray_include_dashboard=true",
                              "-e", "ray_join_timeout=900", *stack_args(artifacts))
    assert rc == 0, failures(out)
    # Training cannot run on the simulator's stub torch: the real job fails, and says why.
    rc, stats, out = playbook(a2.inventory, "playbooks/train.yml", "-e", "train_recipe=qwen2_5_32b_fsdp",
                              "-e", "train_ckpt_root=/shared/ckpt", "-e", "train_report_dir=%s" % tmp_path,
                              "-e", "train_follow_timeout=300", "-e", "ray_include_dashboard=true",
                              *stack_args(artifacts))
    assert rc != 0
    msg = failures(out)["node1"]
    assert re.search(r"job raysubmit_\w+ FAILED", msg) and "Traceback" in msg, msg


def test_a_node_down_is_named(a2, artifacts):
    a2.fault("node2", "node-down")
    try:
        rc, stats, out = playbook(a2.inventory, "playbooks/ray.yml", "-e", "ray_join_timeout=10",
                                  "-e", "ray_include_dashboard=true", *stack_args(artifacts))
    finally:
        a2.fault("node2", "node-up")
    # node2 fails alone (unreachable); the head, still in the cluster, names it and does not fail too.
    assert rc != 0 and stats["node2"]["unreachable"] and stats["node1"]["failures"] == 0, stats
    summary = task_results(out, "Ray | the cluster")["node1"]["msg"]
    assert "not asked (failed or unreachable earlier): node2" in summary, summary


def test_a_corrupt_wheel_is_named_and_nothing_installed_from_it(a2, artifacts):
    wheel = WHEELHOUSE + "torch_npu-2.7.1.post2-py3-none-any.whl"
    a2.ssh("node2", "%s/bin/python -m pip uninstall -y -q torch_npu && cp %s /root/w.bak && "
                    "printf 'garbage' >> %s" % (ENV, wheel, wheel))
    try:
        rc, stats, out = playbook(a2.inventory, "playbooks/python.yml", "--limit", "node2", *stack_args(artifacts))
    finally:
        a2.ssh("node2", "mv /root/w.bak " + wheel)
    assert rc != 0
    msg = failures(out)["node2"]
    assert "does not match its SHA256SUMS" in msg and "torch_npu-2.7.1.post2-py3-none-any.whl: FAILED" in msg
    assert env_versions(a2, "node2", ["torch-npu"]) == {"torch-npu": None}


def test_a_missing_wheel_is_named(a2, artifacts):
    wheel = "torch_npu-2.7.1.post2-py3-none-any.whl"
    a2.ssh("node2", "cd %s && mv %s /root/ && cp SHA256SUMS /root/sums.bak && sed -i '/%s/d' SHA256SUMS"
           % (WHEELHOUSE, wheel, wheel))
    try:
        rc, stats, out = playbook(a2.inventory, "playbooks/python.yml", "--limit", "node2", *stack_args(artifacts))
    finally:
        a2.ssh("node2", "mv /root/%s %s && mv /root/sums.bak %s/SHA256SUMS" % (wheel, WHEELHOUSE, WHEELHOUSE))
    assert rc != 0
    msg = failures(out)["node2"]
    assert "pip could not install the torch stack" in msg and "torch_npu==" + stack.version("seed", "torch_npu") in msg
    rc, stats, out = playbook(a2.inventory, "playbooks/python.yml", "--limit", "node2", *stack_args(artifacts))
    assert rc == 0, failures(out)
    assert env_versions(a2, "node2", ["torch-npu"]) == {"torch-npu": stack.version("seed", "torch_npu")}


def test_an_env_with_python_310_is_left_untouched(a2, artifacts):
    legacy = "/opt/miniforge3/envs/legacy"
    a2.ssh("node1", "mkdir -p %s/conda-meta %s/bin && touch %s/conda-meta/python-3.10.14-h0_cpython.json && "
                    "printf '#!/bin/sh\\necho 3.10.14\\n' > %s/bin/python && chmod 755 %s/bin/python && "
                    "echo mine > %s/keep" % ((legacy,) * 6))
    rc, stats, out = playbook(a2.inventory, "playbooks/python.yml", "--limit", "node1",
                              "-e", "ascend_conda_env=legacy", *stack_args(artifacts))
    assert rc != 0
    msg = failures(out)["node1"]
    assert "conda env legacy (%s) has Python 3.10.14, not 3.11; it was left untouched" % legacy in msg
    assert a2.ssh("node1", "cat %s/keep; ls %s/conda-meta" % (legacy, legacy)).stdout.split() == [
        "mine", "python-3.10.14-h0_cpython.json"]


def test_the_upstream_script_on_line_b_is_caught_skipping_verl(a2, artifacts):
    """sglang_npu_method=upstream_script: verl's own script, reaching GitHub/GitCode through git
    mirrors (the simulated internet), exits 0 without installing verl (verl_npu_stack.md 1.4
    item 1); the role's check says so and points at the log."""
    net = "file:///opt/simcluster/internet/"
    extra = {"ascend_conda_env": "upstream", "sglang_npu_method": "upstream_script",
             "sglang_npu_upstream_git_mirrors": {"https://github.com/": net + "github.com/",
                                                 "https://gitcode.com/": net + "gitcode.com/"},
             "sglang_npu_upstream_env": {"PATH": "/opt/simcluster/internet/bin:/usr/local/bin:/usr/bin:/bin"}}
    rc, stats, out = playbook(a2.inventory, "playbooks/python.yml", "--limit", "node1", "-e", json.dumps(extra),
                              *stack_args(artifacts, "v0.8"))
    assert rc != 0
    msg = failures(out)["node1"]
    assert "env upstream: " in msg and "verl: wanted %s, found nothing" % stack.version("v0.8", "verl") in msg, msg
    assert "after the upstream install script exited 0" in msg
    log = a2.ssh("node1", "cat " + re.search(r"log on the node: (\S+)\)", msg).group(1)).stdout
    assert "verl/recipe: No such file or directory" in log and log.rstrip().endswith("Successfully installed all packages")
    env = "/opt/miniforge3/envs/upstream"
    got = env_versions(a2, "node1", ["torch-npu", "deep-ep", "megatron-core", "verl"], env=env)
    v08 = stack.env_packages("v0.8")
    assert got == {"torch-npu": v08["torch-npu"], "deep-ep": v08["deep-ep"], "megatron-core": v08["megatron-core"],
                   "verl": None}, got
