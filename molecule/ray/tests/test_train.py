"""Role train in dry run (train.yml, after Ray): the two-node recipe's launch script in the report
directory (the scenario's ephemeral directory), composed for this cluster, and its NPU bundles
placed by Ray on both nodes; the dry run left nothing behind in the shared checkpoint storage."""

import json
import os

EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]


def test_the_launch_script_is_composed_for_two_a2_nodes(host):
    with open(os.path.join(EPHEMERAL, "train-qwen2_5_32b_fsdp.sh")) as f:
        script = f.read()
    assert "trainer.nnodes=2" in script and "trainer.n_gpus_per_node=8" in script
    assert "actor_rollout_ref.model.path=/data/models/Qwen2.5-32B" in script
    assert "+actor_rollout_ref.rollout.engine_kwargs.sglang.attention_backend=ascend" in script


def test_ray_placed_the_bundles_on_both_nodes(host):
    with open(os.path.join(EPHEMERAL, "train-placed.json")) as f:
        placed = json.load(f)
    assert placed["ok"] is True and placed["bundles_asked"] == [{"NPU": 8}, {"NPU": 8}]
    # one bundle on each node: this one among them (the test runs for node1 and node2)
    assert len(set(placed["node_ips"])) == 2 and host.ansible.get_variables()["ansible_host"] in placed["node_ips"]


def test_no_marker_left_in_the_shared_storage(host):
    assert host.check_output("find /shared -name '.ascend-verl-shared.*' | wc -l") == "0"
