"""verl recipes: the files, their schema, the fit to a cluster, the request, the launch script.

Composition with verl's real config tree runs when a Python with hydra-core is at hand
(RECIPES_HYDRA_PYTHON, else this one) and verl's sdist is cached (or RECIPES_VERL_CONFIG_DIR);
the placement script when RECIPES_TEST_RAY_ADDRESS names a Ray cluster with NPU resources.
"""

import copy
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import recipe_scripts, recipes

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILTIN = os.path.join(ROOT, "roles", "stack", "vars", "recipes")
NAMES = ["qwen2_5_32b_fsdp", "qwen3_30b_a3b_megatron", "qwen3_8b_1k", "qwen3_8b_32k"]
ROOTS = {"model_root": "/models", "data_root": "/data", "ckpt_root": "/shared/ckpt", "verl_root": "/opt/verl"}
A2, BOX16, A3, SUPERPOD = "Atlas 900 A2 PODc", "Atlas 200T A2 Box16", "Atlas 800T A3", "Atlas 900 A3 SuperPoD"
SG = "actor_rollout_ref.rollout.engine_kwargs.sglang."
DELETE = object()
PYPI = os.path.join(os.environ.get("SIMCLUSTER_CACHE", "/var/cache/simcluster"), "pypi")   # tools/simcluster/sim/pypi.py


def recipe(name):
    loaded, problems = recipes.load_file(os.path.join(BUILTIN, name + ".yml"))
    assert problems == []
    return loaded


def cluster(product, nodes, hosts=None):
    return {"product": product, "nodes": nodes, "hosts": hosts if hosts is not None else sorted(nodes)}


def request(name, knobs=None, roots=None, product=A2, nodes=None):
    r = recipe(name)
    nodes = nodes or dict(("n%d" % i, r["npus_per_node"]) for i in range(r["nodes"]))
    return recipes.compose_request(r, cluster(product, nodes), knobs or {}, roots or ROOTS)


def keys(overrides):
    return [recipes.parse_override(o)[1] for o in overrides]


# ---- the files ------------------------------------------------------------------------

def test_the_builtin_recipes():
    assert recipes.builtin_names(BUILTIN) == NAMES
    shapes = dict((n, (recipe(n)["nodes"], recipe(n)["npus_per_node"], recipe(n)["config_name"])) for n in NAMES)
    assert shapes == {"qwen2_5_32b_fsdp": (2, 8, "ppo_trainer"), "qwen3_30b_a3b_megatron": (1, 16, "ppo_megatron_trainer"),
                      "qwen3_8b_1k": (1, 4, "ppo_trainer"), "qwen3_8b_32k": (1, 8, "ppo_trainer")}


@pytest.mark.parametrize("data, source, problem", [
    ({"name": "x"}, None, "the recipe file: expected one top-level key `stack_recipe`, found name"),
    ([], "/u/mine.yml", "/u/mine.yml: expected one top-level key `stack_recipe`, found a list"),
    (None, None, "the recipe file: expected one top-level key `stack_recipe`, found NoneType"),
    ({"stack_recipe": "x"}, "/u/mine.yml", "/u/mine.yml: stack_recipe: expected a mapping, found a string"),
    ("ok", "/u/mine.yml", "/u/mine.yml: the file of recipe qwen3_8b_1k must be named qwen3_8b_1k.yml"),
])
def test_load(data, source, problem):
    data = {"stack_recipe": recipe("qwen3_8b_1k")} if data == "ok" else data
    assert recipes.load(data, source)[1] == [problem]


def test_load_file_of_a_user(tmp_path):
    mine = dict(recipe("qwen3_8b_1k"), name="mine", nodes="1")
    (tmp_path / "mine.yml").write_text(json.dumps({"stack_recipe": mine}))       # JSON is YAML
    (tmp_path / "broken.yml").write_text("stack_recipe: [\n")
    assert recipes.load_file(str(tmp_path / "mine.yml"))[1] == [
        "%s: stack_recipe.nodes: expected an integer, found a string '1'" % (tmp_path / "mine.yml")]
    assert "while parsing" in recipes.load_file(str(tmp_path / "broken.yml"))[1][0]
    assert recipes.load_file(str(tmp_path / "absent.yml"))[1][0].endswith("No such file or directory: '%s'"
                                                                          % (tmp_path / "absent.yml"))
    assert recipes.recipe_path("qwen3_8b_1k", BUILTIN) == os.path.join(BUILTIN, "qwen3_8b_1k.yml")
    assert recipes.recipe_path("./mine.yml", BUILTIN) == "./mine.yml"


# ---- the schema -----------------------------------------------------------------------

def mutate(r, where, value):
    """where: a dotted field, "overrides+" (append) or "overrides:KEY" (that override)."""
    if where == "overrides+":
        r["overrides"].append(value)
    elif where.startswith("overrides:"):
        index = keys(r["overrides"]).index(where.split(":", 1)[1])
        r["overrides"][index:index + 1] = [] if value is DELETE else [value]
    else:
        *parents, last = where.split(".")
        node = r
        for part in parents:
            node = node[part]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    return r


BAD = [
    ("nodez", 1, "stack_recipe.nodez: unknown field (known: config_name, description, env, model, moe, name, nodes, "
     "npus_per_node, overrides, paths, products, trainer, upstream, verl)"),
    ("overrides", DELETE, "stack_recipe.overrides: missing"),
    ("nodes", "2", "stack_recipe.nodes: expected an integer, found a string '2'"),
    ("nodes", True, "stack_recipe.nodes: expected an integer, found a boolean True"),
    ("nodes", 0, "stack_recipe.nodes: 0, at least 1"),
    ("moe", "no", "stack_recipe.moe: expected a boolean, found a string 'no'"),
    ("verl", 0.8, "stack_recipe.verl: expected a string, found float 0.8"),
    ("name", "Qwen3-8B", "stack_recipe.name: 'Qwen3-8B' is not lower_case_with_underscores"),
    ("trainer", "deepspeed", "stack_recipe.trainer: 'deepspeed', expected one of fsdp, megatron"),
    ("config_name", "ppo_megatron_trainer", "stack_recipe.config_name: 'ppo_megatron_trainer', the fsdp trainer's is ppo_trainer"),
    ("products.reason", DELETE, "stack_recipe.products.reason: missing"),
    ("products.allowed", ["A2", "Atlas 9000"], "stack_recipe.products.allowed: 'Atlas 9000' is no product"),
    ("products.allowed", ["A3"], "stack_recipe.products.recommended: Atlas 900 A2 PODc is not allowed by products.allowed"),
    ("env.HCCL_HOST_SOCKET_PORT_RANGE", "1-2", "stack_recipe.env.HCCL_HOST_SOCKET_PORT_RANGE: npu_env sets it on every node"),
    ("env.TASK_QUEUE_ENABLE", True, "stack_recipe.env.TASK_QUEUE_ENABLE: expected a string, found a boolean True"),
    ("env.ASCEND_RT_VISIBLE_DEVICES", "0,1", "stack_recipe.env.ASCEND_RT_VISIBLE_DEVICES: 0,1 names 2 devices, npus_per_node is 4"),
    ("env", ["A=1"], "stack_recipe.env: expected a mapping, found a list ['A=1']"),
    ("paths.model.kind", "folder", "stack_recipe.paths.model.kind: 'folder', expected one of file, dir"),
    ("paths.model.path", "{model_rot}/x", "stack_recipe.paths.model.path: unknown placeholder model_rot"),
    ("paths.ckpt_dir.shared", "yes", "stack_recipe.paths.ckpt_dir.shared: 'yes', expected one of never, multi_node, always"),
    ("paths.model.size", 1, "stack_recipe.paths.model.size: unknown field (known: kind, must_exist, path, shared, what)"),
    ("paths.model.what", DELETE, "stack_recipe.paths.model.what: missing"),
    ("paths.nnodes", {"path": "/x", "what": "x", "kind": "dir"}, "stack_recipe.paths.nnodes: a path name is lower_case"),
    ("overrides+", "not an override", "stack_recipe.overrides[45]: 'not an override' is not a Hydra override"),
    ("overrides+", 5, "stack_recipe.overrides[45]: 5 is not a Hydra override"),
    ("overrides+", "a.b={modle}", "stack_recipe.overrides[45]: unknown placeholder {modle} in a.b (paths: model, train_file,"),
    ("overrides+", "a.b=x{model}", "stack_recipe.overrides[45]: the path {model} must be the whole value of a.b"),
    ("overrides+", "trainer.logger=wandb", "stack_recipe.overrides[45]: trainer.logger is set again (first at [33])"),
    ("overrides:trainer.nnodes", "trainer.nnodes=1", "stack_recipe.overrides[38]: trainer.nnodes is computed: write {nnodes}"),
    ("overrides:actor_rollout_ref.rollout.name", DELETE, "stack_recipe.overrides: SGLang on NPU needs actor_rollout_ref.rollout.name"),
    ("overrides:%sattention_backend" % SG, "+%sattention_backend=fa3" % SG, "stack_recipe.overrides: SGLang on NPU needs %s" % SG),
]


@pytest.mark.parametrize("where, value, problem", BAD, ids=["%s-%d" % (b[0], i) for i, b in enumerate(BAD)])
def test_validate_names_the_bad_field(where, value, problem):
    problems = recipes.validate(mutate(copy.deepcopy(recipe("qwen3_8b_1k")), where, value))
    assert len(problems) == 1 and problems[0].startswith(problem), problems


@pytest.mark.parametrize("value, problem", [
    ([], "stack_recipe: expected a mapping, found a list"),
    ({}, "stack_recipe.name: missing"),
])
def test_validate_no_recipe(value, problem):
    assert recipes.validate(value)[0] == problem


def test_quoted_required_values_pass():
    r = mutate(recipe("qwen3_8b_1k"), "overrides:%sattention_backend" % SG, '+%sattention_backend="ascend"' % SG)
    assert recipes.validate(r) == []


# ---- the fit --------------------------------------------------------------------------

FITS = [
    # recipe, product, NPUs in Ray per host, inventory hosts (None: sorted), problems, uses
    ("qwen3_30b_a3b_megatron", A3, {"a": 16}, None, [], ["a"]),
    ("qwen3_30b_a3b_megatron", SUPERPOD, {"a": 16.0}, None, [], ["a"]),
    ("qwen3_30b_a3b_megatron", A2, {"a": 8, "b": 8}, None, [
        "qwen3_30b_a3b_megatron runs on A3 only (TP4 x EP4 (ETP4) Megatron with 16 devices per node, tested upstream "
        "only on Atlas 800T A3); this cluster is Atlas 900 A2 PODc",
        "qwen3_30b_a3b_megatron needs 16 NPUs on each of 1 node in Ray; 0 nodes have them (a has 8, b has 8)"], []),
    ("qwen3_30b_a3b_megatron", BOX16, {"a": 16}, None, [
        "qwen3_30b_a3b_megatron runs on A3 only (TP4 x EP4 (ETP4) Megatron with 16 devices per node, tested upstream "
        "only on Atlas 800T A3); this cluster is Atlas 200T A2 Box16"], ["a"]),
    ("qwen2_5_32b_fsdp", A2, {"a": 8, "b": 8}, None, [], ["a", "b"]),
    ("qwen2_5_32b_fsdp", BOX16, {"a": 16, "b": 16}, None, [], ["a", "b"]),
    ("qwen2_5_32b_fsdp", A2, {"a": 8}, ["a", "b"], ["qwen2_5_32b_fsdp needs 2 nodes in Ray, found 1; not in Ray: b"], ["a"]),
    ("qwen2_5_32b_fsdp", A2, {}, ["a", "b"], ["qwen2_5_32b_fsdp needs 2 nodes in Ray, found 0; not in Ray: a, b"], []),
    ("qwen2_5_32b_fsdp", A2, {"a": 8, "b": 4}, None,
     ["qwen2_5_32b_fsdp needs 8 NPUs on each of 2 nodes in Ray; 1 node has them (b has 4)"], ["a"]),
    ("qwen2_5_32b_fsdp", A2, {"c": 8, "a": 0, "b": 8}, ["c", "a", "b"], [], ["c", "b"]),   # inventory order
    ("qwen2_5_32b_fsdp", A2, {"a": 8, "z": 8}, ["a"], [], ["a", "z"]),                    # Ray knows a host more
    ("qwen3_8b_1k", A2, {"a": 8}, None, [], ["a"]),
    ("qwen3_8b_1k", A3, {"a": 16}, None, [], ["a"]),
    ("qwen3_8b_1k", A2, {"a": 2.5}, None, ["qwen3_8b_1k needs 4 NPUs on each of 1 node in Ray; 0 nodes have them "
                                           "(a has 2.5)"], []),
    ("qwen3_8b_32k", "", {"a": 8}, None, ["qwen3_8b_32k runs on A2, A3 only (FSDP with Ulysses SP4 and SGLang TP4 on 8 "
                                          "NPUs of one node; the seed page lists it for Atlas A2 and A3); this cluster "
                                          "is of an unknown product"], ["a"]),
]


@pytest.mark.parametrize("name, product, nodes, hosts, problems, uses", FITS)
def test_fit(name, product, nodes, hosts, problems, uses):
    assert recipes.fit(recipe(name), cluster(product, nodes, hosts)) == {"problems": problems, "uses": uses}


# ---- the request ----------------------------------------------------------------------

def test_request_fills_the_cluster_values():
    out = request("qwen2_5_32b_fsdp")
    assert (out["recipe"], out["config_name"], out["nodes"], out["problems"], out["notes"]) == \
        ("qwen2_5_32b_fsdp", "ppo_trainer", ["n0", "n1"], [], [])
    assert not [o for o in out["overrides"] if re.search(r"(?<!\$)\{[a-z_]+\}", o)]
    for word in ("trainer.nnodes=2", "trainer.n_gpus_per_node=8", "actor_rollout_ref.model.path=/models/Qwen2.5-32B",
                 "data.train_files=/data/datasets/deepscaler/train.parquet",
                 "reward.custom_reward_function.path=/opt/verl/recipe/r1_ascend/deepscaler.py",
                 "trainer.default_local_dir=/shared/ckpt/GRPO-Qwen2.5-32B-BASE-SGLang/GRPO-Qwen2.5-32B-BASE-FSDP-SGLang"):
        assert word in out["overrides"]
    assert len(out["overrides"]) == len(recipe("qwen2_5_32b_fsdp")["overrides"])
    assert out["env"] == {"HCCL_CONNECT_TIMEOUT": "1500", "RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES": "1",
                          "DISABLE_L2_CACHE": "1", "TASK_QUEUE_ENABLE": "1", "ASCEND_RT_VISIBLE_DEVICES": "0,1,2,3,4,5,6,7"}
    paths = dict((p["name"], p) for p in out["paths"])
    assert paths["ckpt_dir"] == {"name": "ckpt_dir", "kind": "dir", "must_exist": False, "shared": True, "hosts": ["n0", "n1"],
                                 "path": "/shared/ckpt/GRPO-Qwen2.5-32B-BASE-SGLang/GRPO-Qwen2.5-32B-BASE-FSDP-SGLang",
                                 "what": "checkpoints (trainer.default_local_dir)"}
    assert [(n, p["kind"], p["must_exist"], p["shared"]) for n, p in paths.items() if n != "ckpt_dir"] == [
        ("model", "dir", True, False), ("train_file", "file", True, False), ("val_file", "file", True, False),
        ("reward_file", "file", True, False)]


@pytest.mark.parametrize("name, visible, nnodes, per_node, ckpt_shared", [
    ("qwen3_8b_1k", "0,1,2,3", "1", "4", False),
    ("qwen3_8b_32k", "0,1,2,3,4,5,6,7", "1", "8", False),
    ("qwen3_30b_a3b_megatron", ",".join(map(str, range(16))), "1", "16", False),
    ("qwen2_5_32b_fsdp", "0,1,2,3,4,5,6,7", "2", "8", True),
])
def test_request_shape(name, visible, nnodes, per_node, ckpt_shared):
    out = request(name)
    assert out["env"]["ASCEND_RT_VISIBLE_DEVICES"] == visible
    assert sorted(o for o in out["overrides"] if o.split("=")[0] in ("trainer.nnodes", "trainer.n_gpus_per_node")) == [
        "trainer.n_gpus_per_node=" + per_node, "trainer.nnodes=" + nnodes]
    assert [p["shared"] for p in out["paths"] if p["name"] == "ckpt_dir"] == [ckpt_shared]


@pytest.mark.parametrize("roots, model, problems", [
    (dict(ROOTS, model_root="/mnt/my models/"), "actor_rollout_ref.model.path='/mnt/my models/Qwen3-8B'", []),
    (dict(ROOTS, model_root="/"), "actor_rollout_ref.model.path=/Qwen3-8B", []),
    (dict(ROOTS, model_root="/m,1"), "actor_rollout_ref.model.path='/m,1/Qwen3-8B'", []),
    (dict(ROOTS, model_root=""), "actor_rollout_ref.model.path='{model_root}/Qwen3-8B'",
     ["paths.model: no value for {model_root}"]),
])
def test_request_roots(roots, model, problems):
    out = request("qwen3_8b_1k", roots=roots)
    assert (model in out["overrides"], out["problems"]) == (True, problems)


DEEPEP = ["++%sdeepep_mode=auto" % SG, "++%smoe_a2a_backend=deepep" % SG]
FEATURES = [
    # recipe, knobs, words that must be there (each key once), words that must not, env added, notes
    ("qwen3_30b_a3b_megatron", {"npu_env_deepep_enabled": True}, DEEPEP + ["+%senable_dp_attention=False" % SG], [],
     {"SGLANG_DEEPEP_BF16_DISPATCH": "1"}, []),
    ("qwen3_30b_a3b_megatron", {"npu_env_deepep_enabled": True,
                                "train_extra_overrides": ["actor_rollout_ref.rollout.data_parallel_size=2"]},
     DEEPEP + ["+%senable_dp_attention=True" % SG], [], {"SGLANG_DEEPEP_BF16_DISPATCH": "1"},
     ["deepep with rollout data_parallel_size 2: enable_dp_attention=True (SGLang needs it for MoE with more than one "
      "DP rank)"]),
    ("qwen3_30b_a3b_megatron", {"npu_env_deepep_enabled": True, "train_extra_overrides": [
        "actor_rollout_ref.rollout.data_parallel_size=2", "%senable_dp_attention=False" % SG]},
     ["+%senable_dp_attention=False" % SG], [], {"SGLANG_DEEPEP_BF16_DISPATCH": "1"}, []),
    ("qwen2_5_32b_fsdp", {"npu_env_deepep_enabled": True}, [], DEEPEP, {},
     ["npu_env_deepep_enabled: no deepep for Qwen/Qwen2.5-32B, a dense model (deepep dispatches MoE experts)"]),
    ("qwen3_30b_a3b_megatron", {"npu_env_dp_attention": True}, ["+%senable_dp_attention=True" % SG], [], {}, []),
    ("qwen2_5_32b_fsdp", {"npu_env_dp_attention": True}, ["+%senable_dp_attention=True" % SG], [], {}, []),
    ("qwen3_30b_a3b_megatron", {"npu_env_disable_chunked_prefill": True}, ["+%schunked_prefill_size=-1" % SG], [], {}, []),
    ("qwen3_8b_1k", {"npu_env_disable_chunked_prefill": True}, ["+%schunked_prefill_size=-1" % SG], [], {}, []),
    ("qwen3_8b_1k", {"npu_env_disable_chunked_prefill": False, "npu_env_dp_attention": False}, [],
     ["+%schunked_prefill_size=-1" % SG, "+%senable_dp_attention=True" % SG], {}, []),
]


@pytest.mark.parametrize("name, knobs, present, absent, env, notes", FEATURES)
def test_request_features(name, knobs, present, absent, env, notes):
    out = request(name, knobs, product=A3 if "30b" in name else A2)
    base = request(name, product=A3 if "30b" in name else A2)
    for word in present:
        assert word in out["overrides"] and keys(out["overrides"]).count(recipes.parse_override(word)[1]) == 1
    assert not [w for w in absent if w in out["overrides"]]
    assert (dict(set(out["env"].items()) - set(base["env"].items())), out["notes"], out["problems"]) == (env, notes, [])
    # a knob replaces the recipe's own word where it stands
    for word in present:
        key = recipes.parse_override(word)[1]
        if key in keys(base["overrides"]) and not knobs.get("train_extra_overrides"):
            assert keys(out["overrides"]).index(key) == keys(base["overrides"]).index(key)


def test_user_overrides_come_last_and_win():
    extra = ["trainer.total_epochs=1", "+%senable_dp_attention=True" % SG, "%schunked_prefill_size=4096" % SG,
             "+new.key=1", "++trainer.nnodes=1", "~trainer.logger"]
    out = request("qwen3_30b_a3b_megatron", {"train_extra_overrides": extra, "train_extra_env": {"TASK_QUEUE_ENABLE": 2}},
                  product=A3)
    assert out["overrides"][-6:] == ["trainer.total_epochs=1", "+%senable_dp_attention=True" % SG,
                                     "+%schunked_prefill_size=4096" % SG, "+new.key=1", "++trainer.nnodes=1",
                                     "~trainer.logger"]
    assert len(keys(out["overrides"])) == len(set(keys(out["overrides"])))
    assert out["env"]["TASK_QUEUE_ENABLE"] == "2"


@pytest.mark.parametrize("knobs, problem", [
    ({"train_extra_overrides": "a=1"}, "train_extra_overrides: expected a list of strings, found 'a=1'"),
    ({"train_extra_overrides": [1]}, "train_extra_overrides: expected a list of strings, found [1]"),
    ({"train_extra_env": ["A=1"]}, "train_extra_env: expected a mapping, found ['A=1']"),
])
def test_request_bad_knobs(knobs, problem):
    assert request("qwen3_8b_1k", knobs)["problems"] == [problem]


def test_request_of_a_bad_recipe():
    out = recipes.compose_request(dict(recipe("qwen3_8b_1k"), nodes=0), cluster(A2, {"a": 8}), {}, ROOTS)
    assert (out["overrides"], out["problems"]) == ([], ["stack_recipe.nodes: 0, at least 1"])


@pytest.mark.parametrize("text, word", [
    ("/models/Qwen3-8B", "/models/Qwen3-8B"),
    ("/a:b@c%d+e", "/a:b@c%d+e"),
    ("/my models/x", "'/my models/x'"),
    ("/it's", "'/it\\'s'"),
    ("/end\\", "'/end\\\\'"),
    ("/q\\'x", "'/q\\\\\\'x'"),
    ("/x${y}", "'/x\\${y}'"),
    ("123", "'123'"),
    ("true", "'true'"),
    ("./rel", "'./rel'"),
])
def test_hydra_value(text, word):
    assert recipes.hydra_value(text) == word


def test_stdin_of_the_scripts():
    out = request("qwen2_5_32b_fsdp")
    assert json.loads(recipe_scripts.compose_input(out)) == {
        "config_dir": None, "config_name": "ppo_trainer", "overrides": out["overrides"]}
    assert json.loads(recipe_scripts.placement_input(recipe("qwen2_5_32b_fsdp"), 30)) == {
        "bundles": [{"NPU": 8}, {"NPU": 8}], "strategy": "STRICT_SPREAD", "timeout_s": 30}


# ---- the launch script: exact words through both shells -----------------------------------

# What `ray job submit` and the job supervisor do with the words (ray/dashboard/modules/job):
# list2cmdline, then /bin/sh.  Records the runtime env next to the script.
FAKE_RAY = """\
import json, subprocess, sys
args = sys.argv[1:]
words = args[args.index("--") + 1:]
env = json.loads(args[args.index("--runtime-env-json") + 1])["env_vars"]
open(sys.argv[0] + ".env", "w").write(json.dumps(env))
sys.exit(subprocess.call(subprocess.list2cmdline(words), shell=True))
"""
ECHO = "import json, sys; open(sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))"
TRICKY = ["data.train_files='/my data/it''s.parquet'", "trainer.experiment_name=cost$5 `id` $(id) ${HOME}",
          'x="double" \\ back\\\\', "q=\\\"", "t=\\", "a=[npu,cpu]", "b=*", "ünï=ç", 'trainer.logger=["console"]',
          "nl=a\\\nb\nc", "tab=a\tb", "~trainer.logger", "#hash", "e=", "semi=a;b&c|d>e<f"]


def test_launch_script_passes_every_word_exactly(tmp_path):
    fake, out = tmp_path / "ray", tmp_path / "argv.json"
    fake.write_text("#!%s\n%s" % (sys.executable, FAKE_RAY))
    os.chmod(str(fake), 0o755)
    req = {"recipe": "probe", "config_name": "ppo_trainer", "overrides": TRICKY,
           "env": {"ODD": "a 'b' \"c\" $HOME `id`", "ASCEND_RT_VISIBLE_DEVICES": "0,1,2,3"}}
    (tmp_path / "launch.sh").write_text(recipe_scripts.launch_script(
        req, "10.0.0.1", 8265, entrypoint=[sys.executable, "-c", ECHO, str(out)], ray=str(fake)))
    subprocess.check_call(["bash", str(tmp_path / "launch.sh")], cwd=str(tmp_path))
    assert json.loads(out.read_text()) == ["--config-name=ppo_trainer"] + TRICKY
    assert json.loads((tmp_path / "ray.env").read_text()) == req["env"]


def test_launch_script_text():
    req = {"recipe": "r", "config_name": "ppo_trainer", "overrides": ["a=1", "b=x y", "c=$5"], "env": {"B": "2", "A": "1"}}
    assert recipe_scripts.launch_script(req, "fd00::1", 8265, "/env/bin/python3 -m verl.trainer.main_ppo", "/env/bin/ray") == """\
#!/usr/bin/env bash
# verl recipe r, written by ascend_verl.cluster (playbooks/train.yml).
# Submits the job to the Ray head and returns; each run submits a new job.  Follow it with
#   /env/bin/ray job logs --address http://[fd00::1]:8265 --follow <the submission id printed below>
set -euo pipefail
# The job's command.  Ray runs it with /bin/sh inside double quotes: a $, ` or \\ in it
# carries one backslash more than on a command line.
job=$(cat <<'JOB'
/env/bin/python3 -m verl.trainer.main_ppo --config-name=ppo_trainer \\
  a=1 \\
  'b=x y' \\
  'c=\\$5'
JOB
)
exec /env/bin/ray job submit --address 'http://[fd00::1]:8265' --no-wait \\
  --runtime-env-json '{"env_vars": {"A": "1", "B": "2"}}' \\
  -- bash -c "$job"
"""


# ---- what Ray and the scripts print -------------------------------------------------------

SUBMIT = ("2026-12-02 06:15:50,390\tINFO cli.py:65 -- \x1b[32m-------------------------------------------------------\x1b[39m\n"
          "2026-12-02 06:15:50,390\tSUCC cli.py:66 -- \x1b[32mJob 'raysubmit_z7mTnmagJZYd1WkM' submitted successfully"
          "\x1b[39m\n")


@pytest.mark.parametrize("text, sid", [(SUBMIT, "raysubmit_z7mTnmagJZYd1WkM"), ("Error: connection refused", None), (None, None)])
def test_submission_id(text, sid):
    assert recipe_scripts.submission_id(text) == sid


@pytest.mark.parametrize("text, status", [
    ("INFO cli.py:91 -- Status for job 'raysubmit_x': RUNNING\nStatus message: Job is currently running.", "RUNNING"),
    ("INFO cli.py:91 -- Status for job 'raysubmit_x': JobStatus.PENDING", "PENDING"),
    ("SUCC cli.py:66 -- \x1b[32mJob 'raysubmit_x' succeeded\x1b[39m", "SUCCEEDED"),
    ("ERR cli.py:74 -- \x1b[31mJob 'raysubmit_x' failed\x1b[39m\nStatus message: exit code 3", "FAILED"),
    ("WARN cli.py:84 -- Job 'raysubmit_x' was stopped", "STOPPED"),
    ("RuntimeError: Request failed with status code 404: Job raysubmit_x does not exist.", None),
])
def test_job_status(text, status):
    assert recipe_scripts.job_status(text) == status


@pytest.mark.parametrize("stdout, result", [
    ('noise\n{"ok": true, "key": null}\n', {"ok": True, "key": None}),
    ('{"ok": false}\nwarning after\n', {"ok": False}),
    ("Traceback\nImportError: hydra\n",
     {"ok": False, "error": "no result line in the script's output: Traceback | ImportError: hydra"}),
    ("{broken\n", {"ok": False, "error": "no result line in the script's output: {broken"}),
])
def test_script_result(stdout, result):
    assert recipe_scripts.script_result(stdout) == result


@pytest.mark.parametrize("result, problems", [
    ({"ok": True, "status": "RUNNING", "submission_id": "s"}, []),
    ({"ok": True, "status": "SUCCEEDED", "submission_id": "s"}, []),
    ({"ok": True, "status": "FAILED", "submission_id": "s", "message": "exit code 1", "last_lines": ["a", "Boom"]},
     ["job s FAILED: exit code 1\na\nBoom"]),
    ({"ok": True, "status": "STOPPED", "submission_id": "s", "message": None, "last_lines": []}, ["job s STOPPED: \n"]),
    ({"ok": False, "error": "RuntimeError: 404", "submission_id": "s"}, ["job s: RuntimeError: 404"]),
])
def test_follow_problems(result, problems):
    assert recipe_scripts.follow_problems(result) == problems


@pytest.mark.parametrize("result, problems", [
    ({"ok": True, "placed": [{"bundle": 0, "node_ip": "10.0.0.1"}]}, []),
    ({"ok": False, "error": "not placed within 5s", "bundles_asked": [{"NPU": 8}, {"NPU": 8}], "asked_npu": 16,
      "free_npu": 8.0, "total_npu": 8.0, "free_per_node": {"10.0.0.2": 0, "10.0.0.1": 8.0}},
     ["placing bundles of 8+8 NPUs failed: not placed within 5s (16 NPUs asked, 8 free of 8: 10.0.0.1 8, 10.0.0.2 0)"]),
    ({"ok": False, "error": "ConnectionError: no cluster", "bundles_asked": [], "asked_npu": 0, "free_npu": None,
      "total_npu": None, "free_per_node": {}},
     ["placing bundles of ? NPUs failed: ConnectionError: no cluster (0 NPUs asked, ? free of ?)"]),
])
def test_placement_problems(result, problems):
    assert recipe_scripts.placement_problems(result) == problems


# ---- for real: verl's config tree with hydra, a Ray cluster -------------------------------

def _python_with(module):
    python = os.environ.get("RECIPES_HYDRA_PYTHON") or sys.executable
    if subprocess.call([python, "-c", "import %s" % module], stderr=subprocess.DEVNULL) != 0:
        pytest.skip("%s cannot import %s (set RECIPES_HYDRA_PYTHON)" % (python, module))
    return python


@pytest.fixture(scope="module")
def verl_tree(tmp_path_factory):
    """PYTHONPATH where verl (0.7.1's config tree) and sglang (0.5.8's server_args.py) are findable."""
    if os.environ.get("RECIPES_VERL_CONFIG_DIR"):
        return None, os.environ["RECIPES_VERL_CONFIG_DIR"]
    sdist, wheel = os.path.join(PYPI, "verl-0.7.1.tar.gz"), os.path.join(PYPI, "sglang-0.5.8-py3-none-any.whl")
    if not os.path.exists(sdist):
        pytest.skip("no %s" % sdist)
    root = tmp_path_factory.mktemp("verl")
    with tarfile.open(sdist) as tar:
        tar.extractall(str(root), [m for m in tar.getmembers() if "/verl/trainer/config/" in m.name
                                   or m.name.endswith("/verl/__init__.py")])
    if os.path.exists(wheel):
        with zipfile.ZipFile(wheel) as whl:
            whl.extractall(str(root / "sglang"), ["sglang/__init__.py", "sglang/srt/server_args.py"])
    return "%s:%s" % (root / "verl-0.7.1", root / "sglang"), None


def compose(python, tree, req):
    pythonpath, config_dir = tree
    env = dict(os.environ, PYTHONPATH=pythonpath) if pythonpath else os.environ
    done = subprocess.run([python, "-c", recipe_scripts.COMPOSE_SCRIPT], input=recipe_scripts.compose_input(req, config_dir),
                          stdout=subprocess.PIPE, universal_newlines=True, env=env, timeout=120, check=False)
    return recipe_scripts.script_result(done.stdout)


COMPOSED = [
    # recipe, product, extra overrides, knobs, ok, key
    ("qwen3_30b_a3b_megatron", A3, [], {}, True, None),
    ("qwen2_5_32b_fsdp", A2, [], {}, True, None),
    ("qwen3_8b_1k", A2, [], {}, True, None),
    ("qwen3_8b_32k", A3, [], {}, True, None),
    ("qwen3_30b_a3b_megatron", A3, [],
     {"npu_env_deepep_enabled": True, "npu_env_dp_attention": True, "npu_env_disable_chunked_prefill": True}, True, None),
    ("qwen2_5_32b_fsdp", A2, ["actor_rollout_ref.rollout.nn=3"], {}, False, "actor_rollout_ref.rollout.nn"),
    ("qwen3_8b_1k", A2, ["trainer.total_epochs=[1"], {}, False, "trainer.total_epochs"),
    ("qwen3_8b_1k", A2, ["trainer.nnodes=two"], {}, False, "trainer.nnodes"),
    ("qwen3_8b_1k", A2, ["actor_rollout_ref.actor.use_kl_loss=yes"], {}, False, "actor_rollout_ref.actor.use_kl_loss"),
    ("qwen3_8b_1k", A2, ["trainer.total_epochs=${trainer.nope}"], {}, False, "trainer.total_epochs"),
    ("qwen3_8b_1k", A2, ["~actor_rollout_ref.rollout.name", "+actor_rollout_ref.rollout.name=???"], {}, False,
     "actor_rollout_ref.rollout.name"),
]


@pytest.mark.parametrize("name, product, extra, knobs, ok, key", COMPOSED)
def test_compose_with_verls_config(verl_tree, name, product, extra, knobs, ok, key):
    python = _python_with("hydra")
    req = request(name, dict(knobs, train_extra_overrides=extra), product=product)
    result = compose(python, verl_tree, req)
    assert (result["ok"], result["key"]) == (ok, key), result


@pytest.mark.parametrize("extra, key", [
    (["+%sattention_backnd=ascend" % SG], SG + "attention_backnd"),
    (["++%sdeepep_mode=fast" % SG], SG + "deepep_mode"),
])
def test_compose_checks_sglang_server_args(verl_tree, extra, key):
    python = _python_with("hydra")
    if verl_tree[0] is None or not os.path.isdir(verl_tree[0].split(":")[1] + "/sglang"):
        pytest.skip("no sglang wheel to read ServerArgs from")
    result = compose(python, verl_tree, request("qwen3_30b_a3b_megatron", {"train_extra_overrides": extra}, product=A3))
    assert (result["ok"], result["key"]) == (False, key), result


@pytest.mark.skipif(not os.environ.get("RECIPES_TEST_RAY_ADDRESS"), reason="RECIPES_TEST_RAY_ADDRESS names no Ray cluster")
@pytest.mark.parametrize("bundles, ok", [([{"NPU": 1}], True), ([{"NPU": 1}] * 64, False)])
def test_placement_on_a_ray_cluster(bundles, ok):
    python = _python_with("ray")
    stdin = json.dumps({"bundles": bundles, "strategy": "PACK", "timeout_s": 5,
                        "address": os.environ["RECIPES_TEST_RAY_ADDRESS"]})
    done = subprocess.run([python, "-c", recipe_scripts.PLACEMENT_SCRIPT], input=stdin, stdout=subprocess.PIPE,
                          universal_newlines=True, timeout=120, check=False)
    result = recipe_scripts.script_result(done.stdout)
    assert (result["ok"], recipe_scripts.placement_problems(result) == []) == (ok, ok), result
