# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""verl training recipes: the seed page's example scripts as data, fitted to a cluster.

A recipe file (roles/stack/vars/recipes/<name>.yml, or a user's own) holds one mapping
`stack_recipe:` (role vars carry the role's prefix) with the FIELDS below.  Its overrides are what the upstream script hands
verl.trainer.main_ppo: argv words after the shell removed its quotes.  Cluster values are
placeholders: {nnodes}, {npus_per_node}, and each path's name ({model}, {ckpt_dir}, ...), which
must be a whole override value; path templates hang off the roots {model_root}, {data_root},
{ckpt_root} and {verl_root} (verl's source tree on the nodes).

validate -> fit -> compose_request run on the controller; recipe_scripts takes the request from
there (the launch script, the Python that runs in the verl env, what they print).  Python 3.8+,
standard library only (PyYAML only in load_file).
"""

import os
import re

from ansible_collections.ascend_verl.cluster.plugins.module_utils import hardware

TOP = "stack_recipe"
# field -> (type, required)
FIELDS = {"name": (str, True), "description": (str, True), "upstream": (str, True), "verl": (str, True),
          "model": (str, True), "moe": (bool, True), "products": (dict, True), "nodes": (int, True),
          "npus_per_node": (int, True), "trainer": (str, True), "config_name": (str, True),
          "env": (dict, False), "paths": (dict, True), "overrides": (list, True)}
PRODUCT_FIELDS = {"recommended": (str, True), "allowed": (list, True), "reason": (str, True)}
PATH_FIELDS = {"path": (str, True), "what": (str, True), "kind": (str, True), "must_exist": (bool, False),
               "shared": (str, False)}
TRAINERS = {"fsdp": "ppo_trainer", "megatron": "ppo_megatron_trainer"}
KINDS = ("file", "dir")
SHARED = ("never", "multi_node", "always")      # checkpoints: verl writes metadata only on the saving node
ROOTS = ("model_root", "data_root", "ckpt_root", "verl_root")
COMPUTED = {"nnodes": "trainer.nnodes", "npus_per_node": "trainer.n_gpus_per_node"}
# npu_env sets these on every node (the firewall's ports, the interface to the head); Ray passes
# them on to the job, which must not differ.
NODE_ENV = ("HCCL_HOST_SOCKET_PORT_RANGE", "HCCL_NPU_SOCKET_PORT_RANGE", "HCCL_SOCKET_IFNAME", "GLOO_SOCKET_IFNAME")
VISIBLE = "ASCEND_RT_VISIBLE_DEVICES"
SGLANG = "actor_rollout_ref.rollout.engine_kwargs.sglang."
# What turns verl's rollout into SGLang on NPU (the seed page's two "必须" lines).
REQUIRED = (("actor_rollout_ref.rollout.name", "sglang"), (SGLANG + "attention_backend", "ascend"))
# npu_env's knobs -> the overrides and env each adds (roles/npu_env/templates/overrides.txt.j2).
FEATURES = (
    ("npu_env_deepep_enabled", ("++%sdeepep_mode=auto" % SGLANG, "++%smoe_a2a_backend=deepep" % SGLANG),
     {"SGLANG_DEEPEP_BF16_DISPATCH": "1"}),
    ("npu_env_dp_attention", ("+%senable_dp_attention=True" % SGLANG,), {}),
    ("npu_env_disable_chunked_prefill", ("+%schunked_prefill_size=-1" % SGLANG,), {}),
)
DP_ATTENTION = "+%senable_dp_attention=True" % SGLANG

_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OVERRIDE = re.compile(r"^(~|\+\+|\+)?([A-Za-z_][A-Za-z0-9_.@/-]*)(?:=(.*))?$", re.S)
_PLACEHOLDER = re.compile(r"(?<!\$)\{([a-z][a-z0-9_]*)\}")
_HYDRA_PLAIN = re.compile(r"^[A-Za-z0-9_./@%+:-]+$")


# ---- the file -------------------------------------------------------------------------

def _typename(value):
    return {bool: "a boolean", int: "an integer", str: "a string", dict: "a mapping", list: "a list"}.get(
        type(value), type(value).__name__)


def _is(value, kind):
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def _fields(where, value, fields, problems):
    """Unknown, missing and mistyped fields of a mapping; False when it is no mapping."""
    if not isinstance(value, dict):
        problems.append("%s: expected a mapping, found %s" % (where, _typename(value)))
        return False
    for key in value:
        if key not in fields:
            problems.append("%s.%s: unknown field (known: %s)" % (where, key, ", ".join(sorted(fields))))
    for key, (kind, required) in fields.items():
        if key not in value:
            if required:
                problems.append("%s.%s: missing" % (where, key))
        elif not _is(value[key], kind):
            problems.append("%s.%s: expected %s, found %s %r"
                            % (where, key, _typename(kind()), _typename(value[key]), value[key]))
    return True


def parse_override(text):
    """(prefix, key, value) of a Hydra override word, None when it is none; value None for ~key."""
    match = _OVERRIDE.match(text) if isinstance(text, str) else None
    if not match or (match.group(3) is None and match.group(1) != "~"):
        return None
    return match.group(1) or "", match.group(2), match.group(3)


def _unquote(value):
    return value[1:-1] if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"" else value


def product_allowed(recipe, product):
    """An entry of products.allowed is a product name or a family (A2, A3) that takes all of it."""
    return any(entry == product or (entry in hardware.NPU_DEVICES and hardware.npu_device_of(product) == entry)
               for entry in recipe["products"]["allowed"])


def _validate_products(recipe, problems):
    products = recipe.get("products")
    if not _fields("stack_recipe.products", products, PRODUCT_FIELDS, problems) or not _is(products.get("allowed"), list):
        return
    unknown = [e for e in products["allowed"] if e not in hardware.PRODUCTS and e not in hardware.NPU_DEVICES]
    for entry in unknown:
        problems.append("stack_recipe.products.allowed: %r is no product (%s) nor family (%s)"
                        % (entry, ", ".join(sorted(hardware.PRODUCTS)), ", ".join(hardware.NPU_DEVICES)))
    recommended = products.get("recommended")
    if recommended not in hardware.PRODUCTS:
        problems.append("stack_recipe.products.recommended: %r is no product" % (recommended,))
    elif not unknown and not product_allowed(recipe, recommended):
        problems.append("stack_recipe.products.recommended: %s is not allowed by products.allowed" % recommended)


def _validate_env(recipe, problems):
    for key, value in (recipe.get("env") or {}).items():
        where = "stack_recipe.env.%s" % key
        if not isinstance(key, str) or not _ENV_NAME.match(key):
            problems.append("%s: not a variable name" % where)
        elif key in NODE_ENV:
            problems.append("%s: npu_env sets it on every node (the firewall's ports, the interface to the head)" % where)
        elif not (_is(value, str) or _is(value, int)):
            problems.append("%s: expected a string, found %s %r" % (where, _typename(value), value))
        elif key == VISIBLE and _is(recipe.get("npus_per_node"), int) \
                and len(str(value).split(",")) != recipe["npus_per_node"]:
            problems.append("%s: %s names %d devices, npus_per_node is %d"
                            % (where, value, len(str(value).split(",")), recipe["npus_per_node"]))


def _validate_paths(recipe, problems):
    for name, spec in (recipe.get("paths") or {}).items():
        where = "stack_recipe.paths.%s" % name
        if not isinstance(name, str) or not _NAME.match(name) or name in COMPUTED or name in ROOTS:
            problems.append("%s: a path name is lower_case and none of %s" % (where, ", ".join(list(COMPUTED) + list(ROOTS))))
        if not _fields(where, spec, PATH_FIELDS, problems):
            continue
        if spec.get("kind") not in KINDS:
            problems.append("%s.kind: %r, expected one of %s" % (where, spec.get("kind"), ", ".join(KINDS)))
        if spec.get("shared", "never") not in SHARED:
            problems.append("%s.shared: %r, expected one of %s" % (where, spec.get("shared"), ", ".join(SHARED)))
        unknown = sorted(set(_PLACEHOLDER.findall(str(spec.get("path", "")))) - set(ROOTS))
        if unknown:
            problems.append("%s.path: unknown placeholder %s (roots: %s)" % (where, ", ".join(unknown), ", ".join(ROOTS)))


def _validate_overrides(recipe, problems):
    paths = recipe.get("paths") if isinstance(recipe.get("paths"), dict) else {}
    seen = {}
    for i, text in enumerate(recipe.get("overrides") or []):
        where = "stack_recipe.overrides[%d]" % i
        parsed = parse_override(text)
        if parsed is None:
            problems.append("%s: %r is not a Hydra override (key=value, +key=value, ++key=value, ~key)" % (where, text))
            continue
        dummy, key, value = parsed
        if key in seen:
            problems.append("%s: %s is set again (first at [%d])" % (where, key, seen[key]))
        seen.setdefault(key, i)
        names = _PLACEHOLDER.findall(value or "")
        for name in names:
            if name not in paths and name not in COMPUTED:
                problems.append("%s: unknown placeholder {%s} in %s (paths: %s; computed: %s)"
                                % (where, name, key, ", ".join(paths) or "none", ", ".join(COMPUTED)))
            elif name in paths and value != "{%s}" % name:
                problems.append("%s: the path {%s} must be the whole value of %s" % (where, name, key))
    for name, key in COMPUTED.items():
        index = seen.get(key)
        if index is not None and parse_override(recipe["overrides"][index])[2] != "{%s}" % name:
            problems.append("stack_recipe.overrides[%d]: %s is computed: write {%s}" % (index, key, name))
    overrides = dict(parse_override(o)[1:] for o in recipe.get("overrides") or [] if parse_override(o))
    for key, want in REQUIRED:
        if _unquote(overrides.get(key) or "") != want:
            problems.append("stack_recipe.overrides: SGLang on NPU needs %s=%s" % (key, want))


def validate(recipe):
    """Problems of a recipe mapping (the value under `recipe:`), each naming its field; [] when good."""
    problems = []
    if not _fields(TOP, recipe, FIELDS, problems):
        return problems
    if _is(recipe.get("name"), str) and not _NAME.match(recipe["name"]):
        problems.append("stack_recipe.name: %r is not lower_case_with_underscores" % recipe["name"])
    for key in ("nodes", "npus_per_node"):
        if _is(recipe.get(key), int) and recipe[key] < 1:
            problems.append("stack_recipe.%s: %d, at least 1" % (key, recipe[key]))
    trainer = recipe.get("trainer")
    if _is(trainer, str) and trainer not in TRAINERS:
        problems.append("stack_recipe.trainer: %r, expected one of %s" % (trainer, ", ".join(TRAINERS)))
    elif trainer in TRAINERS and recipe.get("config_name") != TRAINERS[trainer]:
        problems.append("stack_recipe.config_name: %r, the %s trainer's is %s"
                        % (recipe.get("config_name"), trainer, TRAINERS[trainer]))
    if "products" in recipe:
        _validate_products(recipe, problems)
    if _is(recipe.get("env"), dict):
        _validate_env(recipe, problems)
    if _is(recipe.get("paths"), dict):
        _validate_paths(recipe, problems)
    if _is(recipe.get("overrides"), list):
        _validate_overrides(recipe, problems)
    return problems


def load(data, source=None):
    """(recipe, problems) of a parsed recipe file ({stack_recipe: ...}); source, its path, is named after it."""
    where = source or "the recipe file"
    if not isinstance(data, dict) or set(data) != {TOP}:
        found = ", ".join(sorted(map(str, data))) if isinstance(data, dict) else _typename(data)
        return None, ["%s: expected one top-level key `%s`, found %s" % (where, TOP, found or "nothing")]
    recipe = data[TOP]
    problems = ["%s: %s" % (where, p) for p in validate(recipe)]
    if source and not problems:
        stem = os.path.splitext(os.path.basename(source))[0]
        if stem != recipe["name"]:
            problems.append("%s: the file of recipe %s must be named %s.yml" % (where, recipe["name"], recipe["name"]))
    return recipe, problems


def load_file(path):
    import yaml  # the controller has it (Ansible needs it); nodes never load recipes
    try:
        with open(path) as f:
            data = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as exc:
        return None, ["%s: %s" % (path, exc)]
    return load(data, path)


def recipe_path(name_or_path, builtin_dir):
    """A recipe name is a file of builtin_dir; anything with a / or ending .yml/.yaml is a path."""
    if "/" in name_or_path or name_or_path.endswith((".yml", ".yaml")):
        return name_or_path
    return os.path.join(builtin_dir, name_or_path + ".yml")


def builtin_names(builtin_dir):
    return sorted(f[:-4] for f in os.listdir(builtin_dir) if f.endswith(".yml"))


# ---- the cluster ----------------------------------------------------------------------

def _count(value):
    if value is None:
        return "?"
    return "%d" % value if float(value).is_integer() else "%g" % value


def fit(recipe, cluster):
    """{problems, uses} of a valid recipe on cluster {product, nodes: {host: NPUs in Ray}, hosts: [inventory order]}.

    uses: the hosts the job needs, in inventory order, each with at least npus_per_node NPUs.
    """
    name, need, per = recipe["name"], recipe["nodes"], recipe["npus_per_node"]
    product = cluster.get("product") or ""
    in_ray = cluster.get("nodes") or {}
    hosts = list(cluster.get("hosts") or [])
    order = [h for h in hosts if h in in_ray] + sorted(h for h in in_ray if h not in hosts)
    big = [h for h in order if (in_ray[h] or 0) >= per]
    problems = []
    if not product_allowed(recipe, product):
        allowed = ", ".join(recipe["products"]["allowed"])
        problems.append("%s runs on %s only (%s); this cluster is %s"
                        % (name, allowed, recipe["products"]["reason"], product or "of an unknown product"))
    if len(order) < need:
        missing = [h for h in hosts if h not in in_ray]
        problems.append("%s needs %d node%s in Ray, found %d%s" % (
            name, need, "s" if need > 1 else "", len(order), "; not in Ray: %s" % ", ".join(missing) if missing else ""))
    elif len(big) < need:
        short = ", ".join("%s has %s" % (h, _count(in_ray[h])) for h in order if h not in big)
        problems.append("%s needs %d NPUs on each of %d node%s in Ray; %d node%s them (%s)" % (
            name, per, need, "s" if need > 1 else "", len(big), " has" if len(big) == 1 else "s have", short))
    return {"problems": problems, "uses": big[:need]}


# ---- the request ----------------------------------------------------------------------

def hydra_value(text):
    """text as one Hydra value: bare when Hydra reads it as that string, else quoted."""
    if _HYDRA_PLAIN.match(text) and not re.match(r"^[-+]?[0-9.]", text) and text.lower() not in ("true", "false", "null"):
        return text
    # in a quoted value only a backslash before the quote (or the end) is an escape; ${ interpolates
    escaped = re.sub(r"(\\*)('|$)", lambda m: m.group(1) * 2 + ("\\'" if m.group(2) else ""), text)
    return "'%s'" % escaped.replace("${", "\\${")


def _fill_path(template, roots, problems, name):
    def root(match):
        value = (roots or {}).get(match.group(1))
        if not value:
            problems.append("paths.%s: no value for {%s}" % (name, match.group(1)))
            return match.group(0)
        return str(value)
    return re.sub(r"/{2,}", "/", _PLACEHOLDER.sub(root, template))


def _key(word):
    parsed = parse_override(word)
    return parsed[1] if parsed else None


def _merge(overrides, new, last):
    """Set each of new's keys: the earlier word of a key goes (last) or is replaced in place.

    The earlier prefix stays (it says whether the key is in verl's tree: a + there means the key
    is added), unless the new word deletes (~) or force-adds (++).
    """
    out = list(overrides)
    for word in new:
        parsed = parse_override(word)
        keys = [_key(o) for o in out]
        if parsed is None or parsed[1] not in keys:
            out.append(word)
            continue
        index = keys.index(parsed[1])
        old = parse_override(out[index])[0]
        if parsed[0] not in ("~", "++") and old != "~":
            word = old + parsed[1] + "=" + parsed[2]
        if last:
            del out[index]
            out.append(word)
        else:
            out[index] = word
    return out


def _value(overrides, key):
    for word in reversed(overrides):
        if _key(word) == key:
            return _unquote(parse_override(word)[2] or "")
    return None


def compose_request(recipe, cluster, knobs, roots):
    """What to submit: {recipe, config_name, overrides, env, paths, nodes, notes, problems}.

    knobs: npu_env_deepep_enabled, npu_env_dp_attention, npu_env_disable_chunked_prefill (npu_env's),
    train_extra_overrides (list, last, wins over the recipe's) and train_extra_env (dict).
    roots: model_root, data_root, ckpt_root, verl_root.  paths: [{name, path, what, kind,
    must_exist, shared, hosts}].  A recipe that does not validate gives only problems.
    """
    problems = validate(recipe)
    if problems:
        return {"recipe": None, "config_name": None, "overrides": [], "env": {}, "paths": [], "nodes": [],
                "notes": [], "problems": problems}
    knobs, notes = knobs or {}, []
    nodes = fit(recipe, cluster)["uses"]
    values = {"nnodes": str(recipe["nodes"]), "npus_per_node": str(recipe["npus_per_node"])}
    paths = []
    for name, spec in recipe["paths"].items():
        path = _fill_path(spec["path"], roots, problems, name)
        shared = spec.get("shared", "never")
        paths.append({"name": name, "path": path, "what": spec["what"], "kind": spec["kind"],
                      "must_exist": spec.get("must_exist", True), "hosts": nodes,
                      "shared": shared == "always" or (shared == "multi_node" and recipe["nodes"] > 1)})
        values[name] = hydra_value(path)
    overrides = [_PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), o) for o in recipe["overrides"]]
    for name, key in COMPUTED.items():
        if _value(overrides, key) is None:
            overrides.append("%s=%s" % (key, values[name]))
    env = dict((k, str(v)) for k, v in (recipe.get("env") or {}).items())
    env.setdefault(VISIBLE, ",".join(str(i) for i in range(recipe["npus_per_node"])))
    for knob, adds, adds_env in FEATURES:
        if not knobs.get(knob):
            continue
        if knob == "npu_env_deepep_enabled" and not recipe["moe"]:
            notes.append("%s: no deepep for %s, a dense model (deepep dispatches MoE experts)" % (knob, recipe["model"]))
            continue
        overrides = _merge(overrides, adds, last=False)
        env.update(adds_env)
    extra = knobs.get("train_extra_overrides") or []
    if not isinstance(extra, list) or not all(isinstance(o, str) for o in extra):
        problems.append("train_extra_overrides: expected a list of strings, found %r" % (extra,))
        extra = []
    overrides = _merge(overrides, extra, last=True)
    dp = _value(overrides, "actor_rollout_ref.rollout.data_parallel_size") or "1"
    if knobs.get("npu_env_deepep_enabled") and recipe["moe"] and dp.isdigit() and int(dp) > 1 \
            and SGLANG + "enable_dp_attention" not in [_key(o) for o in extra]:
        overrides = _merge(overrides, [DP_ATTENTION], last=False)
        notes.append("deepep with rollout data_parallel_size %s: enable_dp_attention=True (SGLang needs it for MoE "
                     "with more than one DP rank)" % dp)
    extra_env = knobs.get("train_extra_env") or {}
    if not isinstance(extra_env, dict):
        problems.append("train_extra_env: expected a mapping, found %r" % (extra_env,))
        extra_env = {}
    env.update((str(k), str(v)) for k, v in extra_env.items())
    return {"recipe": recipe["name"], "config_name": recipe["config_name"], "overrides": overrides, "env": env,
            "paths": paths, "nodes": nodes, "notes": notes, "problems": problems}
