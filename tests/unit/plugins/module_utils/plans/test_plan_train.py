"""The train planner (plans/train.py) on the seed page's Qwen2.5-32B recipe: the paths every node
reads, the fit to the cluster Ray reports, the paths judged per node, the launch script."""

import os

import pytest
import yaml

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans import train as t

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".."))
RECIPE = os.path.join(ROOT, "roles", "stack", "vars", "recipes", "qwen2_5_32b_fsdp.yml")
MODEL = "/data/models/Qwen2.5-32B"
TRAIN = "/data/datasets/deepscaler/train.parquet"
VAL = "/data/datasets/deepscaler/test.parquet"
REWARD = "/opt/verl/recipe/r1_ascend/deepscaler.py"
HERE = {"exists": True, "isdir": False}
DIR = {"exists": True, "isdir": True}
ALL_THERE = {MODEL: DIR, TRAIN: HERE, VAL: HERE, REWARD: HERE}
BOTH = {"by_name": {"node1": 8, "node2": 8}}


def plan(manifest, knobs, ray=None, files=None, host="node1", device="A2", **knob):
    with open(RECIPE) as f:
        recipe = yaml.safe_load(f)
    k = knobs("train", ascend_npu_device=device, verl_src_dir="/opt/verl", npu_env_deepep_enabled=False,
              npu_env_dp_attention=False, npu_env_disable_chunked_prefill=False, **knob)
    inputs = {"recipe": recipe, "recipe_source": RECIPE, "hosts": ["node1", "node2"], "host": host,
              "head_address": "198.18.0.11", "ray": ray, "judge_paths": files is not None}
    return t.train(manifest("seed"), {} if files is None else {"files": files}, k, inputs)


def test_before_ray_is_asked_every_node_learns_the_paths_to_read(manifest, knobs):
    out = plan(manifest, knobs)
    assert out["read"] == sorted([MODEL, TRAIN, VAL, REWARD])      # the checkpoint dir need not exist
    assert out["uses"] == [] and "qwen2_5_32b_fsdp needs 2 nodes in Ray, found 0" in out["problems"][0]


def test_on_two_a2_nodes_in_ray_with_every_path_it_fits(manifest, knobs):
    out = plan(manifest, knobs, ray=BOTH, files=ALL_THERE)
    assert out["problems"] == [] and out["uses"] == ["node1", "node2"]
    assert out["shared"] == ["/data/ckpt/GRPO-Qwen2.5-32B-BASE-SGLang/GRPO-Qwen2.5-32B-BASE-FSDP-SGLang"]
    assert "trainer.nnodes=2" in out["launch"] and "trainer.n_gpus_per_node=8" in out["launch"]
    assert "http://198.18.0.11:8260" in out["launch"]
    assert out["placement"]["bundles"] == [{"NPU": 8}, {"NPU": 8}]
    assert out["compose"]["config_name"] == "ppo_trainer"


@pytest.mark.parametrize("files, problem", [
    (dict(ALL_THERE, **{MODEL: {"exists": False}}),
     "node2: model %s is missing (Hugging Face weights of Qwen/Qwen2.5-32B" % MODEL),
    (dict(ALL_THERE, **{MODEL: HERE}), "node2: model %s is a file, expected a dir" % MODEL),
    (dict(ALL_THERE, **{TRAIN: DIR}), "node2: train_file %s is a directory, expected a file" % TRAIN),
])
def test_a_path_that_is_wrong_is_named_for_the_node(manifest, knobs, files, problem):
    out = plan(manifest, knobs, ray=BOTH, files=files, host="node2")
    assert len(out["problems"]) == 1 and out["problems"][0].startswith(problem), out["problems"]


def test_a_node_the_job_does_not_use_is_not_judged(manifest, knobs):
    out = plan(manifest, knobs, ray={"by_name": {"node1": 8, "node2": 8}}, files={}, host="node3")
    assert out["problems"] == [] and out["paths"] == []


@pytest.mark.parametrize("ray, device, problem", [
    ({"by_name": {"node1": 8, "node2": None}}, "A2", "qwen2_5_32b_fsdp needs 2 nodes in Ray, found 1; not in Ray: node2"),
    ({"by_name": {"node1": 8, "node2": 4}}, "A2", "needs 8 NPUs on each of 2 nodes in Ray; 1 node has them (node2 has 4)"),
])
def test_what_ray_has_must_fit(manifest, knobs, ray, device, problem):
    out = plan(manifest, knobs, ray=ray, files=ALL_THERE, device=device)
    assert any(problem in p for p in out["problems"]), out["problems"]


def test_without_the_python_stack_nothing_is_composed(manifest, knobs):
    out = plan(manifest, knobs, ray=BOTH, files=ALL_THERE, ascend_install_method="none")
    assert out["problems"] == ["ascend_install_method is none: the nodes have no Python env or Ray from this "
                               "collection to run a recipe on"] and out["uses"] == []
