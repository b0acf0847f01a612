# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A recipe's request at work: the launch script, the Python it runs in the verl env, their output.

The three scripts are source text (run: python3 -c SCRIPT in the verl env): each reads one JSON
object on stdin (compose_input, placement_input, or the caller's for FOLLOW_SCRIPT) and prints
one JSON line with "ok" (script_result reads it back).  None imports verl, which imports torch
(a stub in the simulator, heavy on a node).  Python 3.8+, standard library only.
"""

import json
import re
import shlex

from ansible_collections.ascend_verl.cluster.plugins.module_utils.ray_cluster import KNOCK

ENTRYPOINT = ("python3", "-m", "verl.trainer.main_ppo")
TERMINAL = ("SUCCEEDED", "FAILED", "STOPPED")
_SUBMITTED = re.compile(r"Job '([^']+)' submitted successfully")
# `ray job status` (ray/dashboard/modules/job/cli.py _log_job_status): a sentence per final state
_STATUS = re.compile(r"Status for job '[^']+': (?:JobStatus\.)?([A-Z]+)|Job '[^']+' (succeeded|failed|was stopped)")
_FINAL = {"succeeded": "SUCCEEDED", "failed": "FAILED", "was stopped": "STOPPED"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# stdin {config_dir (null: verl's own), config_name, overrides}; stdout {ok, error, key, config_dir,
# sglang_checked}.  Hydra composes as verl.trainer.main_ppo does (version_base None), then: every
# override resolves, nothing of actor_rollout_ref is left ???, a value replacing a default boolean
# or number is one (Hydra itself keeps "abc" for an int), and each engine_kwargs.sglang key is a
# field of the env's sglang ServerArgs (read from its source: a typo there fails only when SGLang
# starts, minutes into the job).
COMPOSE_SCRIPT = r'''
import ast, importlib.util, json, os, re, sys

SGLANG = "actor_rollout_ref.rollout.engine_kwargs.sglang"


class Bad(Exception):
    def __init__(self, error, key=None):
        Exception.__init__(self, error)
        self.key = key


def key_of(word):
    return re.sub(r"^(~|\+\+|\+)", "", word).split("=", 1)[0].strip()


def first_line(exc):
    lines = [l for l in str(exc).splitlines() if l.strip()]
    return "%s: %s" % (type(exc).__name__, lines[0] if lines else "")


def package_dir(name):
    spec = importlib.util.find_spec(name)
    return spec.submodule_search_locations[0] if spec and spec.submodule_search_locations else None


def lookup(tree, key):
    for part in key.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return KeyError
        tree = tree[part]
    return tree


def compose_all(config_dir, name, overrides):
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser
    parser = OverridesParser.create()
    for word in overrides:
        try:
            parser.parse_overrides([word])
        except Exception as exc:
            raise Bad("cannot parse %r: %s" % (word, first_line(exc)), key_of(word))
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=config_dir, version_base=None):
        base = compose(config_name=name)
        try:
            return base, compose(config_name=name, overrides=overrides)
        except Exception as exc:
            quoted = set(re.findall(r"'([^']+)'", str(exc)))
            hits = [k for k in map(key_of, overrides) if k in quoted]
            raise Bad(first_line(exc), max(hits, key=len) if hits else None)


def resolve(cfg, overrides):
    from omegaconf import OmegaConf
    for word in overrides:
        if not word.startswith("~"):
            try:
                OmegaConf.select(cfg, key_of(word), throw_on_resolution_failure=True)
            except Exception as exc:
                raise Bad("%s: %s" % (key_of(word), first_line(exc)), key_of(word))
    try:
        OmegaConf.to_container(cfg, resolve=True)
    except Exception as exc:
        raise Bad("resolving the config: %s" % first_line(exc), getattr(exc, "full_key", None))
    # ??? elsewhere (the reward model's rollout.name) matters only for a part the recipe may not use
    missing = sorted(k for k in OmegaConf.missing_keys(cfg) if k.startswith("actor_rollout_ref."))
    if missing:
        raise Bad("no value for %s (??? in verl's config)" % ", ".join(missing), missing[0])


def check_types(base, cfg, overrides):
    from omegaconf import OmegaConf
    old_tree, new_tree = OmegaConf.to_container(base), OmegaConf.to_container(cfg)
    for word in overrides:
        if word[:1] in "+~":
            continue
        key = key_of(word)
        old, new = lookup(old_tree, key), lookup(new_tree, key)
        if old is KeyError or old is None or any(isinstance(v, str) and "${" in v for v in (old, new)):
            continue
        if isinstance(old, bool) and not isinstance(new, bool):
            raise Bad("%s=%r: verl expects true or false (default %r)" % (key, new, old), key)
        if isinstance(old, (int, float)) and not isinstance(old, bool) \
                and (isinstance(new, bool) or not isinstance(new, (int, float))):
            raise Bad("%s=%r: verl expects a number (default %r)" % (key, new, old), key)


def server_args_fields():
    """{field: allowed Literal values or None} of sglang's ServerArgs; None without sglang."""
    root = package_dir("sglang")
    path = os.path.join(root or "", "srt", "server_args.py")
    if not root or not os.path.isfile(path):
        return None
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "ServerArgs":
            fields = {}
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    ann, allowed = stmt.annotation, None
                    if isinstance(ann, ast.Subscript) and getattr(ann.value, "id", getattr(ann.value, "attr", "")) == "Literal":
                        items = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
                        if all(isinstance(i, ast.Constant) for i in items):
                            allowed = [i.value for i in items]
                    fields[stmt.target.id] = allowed
            return fields
    return None


def check_sglang(cfg, fields):
    from omegaconf import OmegaConf
    kwargs = lookup(OmegaConf.to_container(cfg, resolve=True), SGLANG)
    for name, value in (kwargs if isinstance(kwargs, dict) else {}).items():
        key = "%s.%s" % (SGLANG, name)
        if name not in fields:
            raise Bad("%s: sglang's ServerArgs has no field %r" % (key, name), key)
        if fields[name] is not None and value not in fields[name]:
            raise Bad("%s=%r: sglang takes one of %s" % (key, value, ", ".join(map(repr, fields[name]))), key)


def main():
    out = {"ok": False, "error": "", "key": None, "config_dir": None, "sglang_checked": False}
    try:
        req = json.load(sys.stdin)
        verl = package_dir("verl")
        config_dir = req.get("config_dir") or (verl and os.path.join(verl, "trainer", "config"))
        if not config_dir:
            raise Bad("verl is not importable by %s and no config_dir was given" % sys.executable)
        out["config_dir"] = config_dir
        overrides = list(req.get("overrides") or [])
        base, cfg = compose_all(config_dir, req["config_name"], overrides)
        resolve(cfg, overrides)
        check_types(base, cfg, overrides)
        fields = server_args_fields()
        if fields is not None:
            check_sglang(cfg, fields)
            out["sglang_checked"] = True
        out["ok"] = True
    except Bad as exc:
        out["error"], out["key"] = str(exc), exc.key
    except Exception as exc:
        out["error"] = first_line(exc)
    print(json.dumps(out, sort_keys=True))


main()
'''

# stdin {bundles: [{"NPU": n}, ...], strategy, timeout_s, address (GCS host:port, default auto), node_ip
# (this node's Ray address, on a host with several)}; stdout {ok, error,
# placed: [{bundle, node_id, node_ip}], bundles_asked, asked_npu, free_npu, total_npu,
# free_per_node {ip: NPUs}}.  The free NPUs are read before asking, so a timeout says why.
PLACEMENT_SCRIPT = KNOCK + r'''
import json, os, sys


def main():
    out = {"ok": False, "error": "", "placed": [], "bundles_asked": [], "asked_npu": 0, "free_npu": None,
           "total_npu": None, "free_per_node": {}}
    pg = None
    try:
        req = json.load(sys.stdin)
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        import ray
        from ray.util.placement_group import placement_group, placement_group_table, remove_placement_group
        if req.get("address") and not gcs_answers(req["address"]):
            raise ConnectionError("nothing answers at %s (the Ray head is not running?)" % req["address"])
        ray.init(address=req.get("address") or "auto", _node_ip_address=req.get("node_ip") or None,
                 logging_level="ERROR", log_to_driver=False)
        nodes = dict((n["NodeID"], n) for n in ray.nodes() if n.get("Alive"))
        bundles = req["bundles"]
        out["bundles_asked"] = bundles
        out["asked_npu"] = sum(b.get("NPU", 0) for b in bundles)
        out["total_npu"] = ray.cluster_resources().get("NPU", 0)
        out["free_npu"] = ray.available_resources().get("NPU", 0)
        try:
            from ray._private.state import available_resources_per_node
            for node_id, free in available_resources_per_node().items():
                ip = nodes.get(node_id, {}).get("NodeManagerAddress", node_id)
                out["free_per_node"][ip] = free.get("NPU", 0)
        except Exception:
            pass  # a private API: the totals are enough to say why
        pg = placement_group(bundles, strategy=req.get("strategy") or "STRICT_SPREAD")
        if not pg.wait(timeout_seconds=req.get("timeout_s") or 60):
            out["error"] = "not placed within %ss" % (req.get("timeout_s") or 60)
        else:
            table = placement_group_table(pg)
            for index, node_id in sorted(table["bundles_to_node_id"].items()):
                out["placed"].append({"bundle": index, "node_id": node_id,
                                      "node_ip": nodes.get(node_id, {}).get("NodeManagerAddress")})
            out["ok"] = True
    except Exception as exc:
        out["error"] = "%s: %s" % (type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else "")
    finally:
        if pg is not None:
            try:
                remove_placement_group(pg)
            except Exception:
                pass
    print(json.dumps(out, sort_keys=True))


main()
'''

# stdin {address (http://head:dashboard_port), submission_id, timeout_s, poll_s, lines}; stdout {ok,
# error, submission_id, status, terminal, message, last_lines}.  ok: the job answered (any status);
# recipes.follow_problems judges the status.  Run it again to keep following.
FOLLOW_SCRIPT = r'''
import json, re, sys, time

TERMINAL = ("SUCCEEDED", "FAILED", "STOPPED")


def main():
    out = {"ok": False, "error": "", "submission_id": None, "status": None, "terminal": False, "message": "",
           "last_lines": []}
    try:
        req = json.load(sys.stdin)
        out["submission_id"] = sid = req["submission_id"]
        from ray.job_submission import JobSubmissionClient
        client = JobSubmissionClient(req["address"])
        deadline = time.time() + float(req.get("timeout_s") or 0)
        while True:
            status = client.get_job_status(sid)
            status = getattr(status, "value", str(status))
            if status in TERMINAL or time.time() >= deadline:
                break
            time.sleep(float(req.get("poll_s") or 2))
        info = client.get_job_info(sid)
        lines = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", client.get_job_logs(sid)).rstrip("\n").splitlines()
        count = int(req.get("lines") or 30)
        out.update(status=status, terminal=status in TERMINAL, message=getattr(info, "message", "") or "",
                   last_lines=lines[-count:], ok=True)
    except Exception as exc:
        out["error"] = "%s: %s" % (type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else "")
    print(json.dumps(out, sort_keys=True))


main()
'''


# ---- the stdin of the scripts ---------------------------------------------------------

def compose_input(request, config_dir=None):
    """stdin of COMPOSE_SCRIPT; config_dir None: verl's own, found in the env."""
    return json.dumps({"config_dir": config_dir, "config_name": request["config_name"],
                       "overrides": request["overrides"]}, sort_keys=True)


def placement_input(recipe, timeout_s=60):
    """stdin of PLACEMENT_SCRIPT: one bundle per node of the recipe, on distinct nodes."""
    return json.dumps({"bundles": [{"NPU": recipe["npus_per_node"]}] * recipe["nodes"], "strategy": "STRICT_SPREAD",
                       "timeout_s": timeout_s}, sort_keys=True)


# ---- the launch -----------------------------------------------------------------------

def dashboard_url(head_address, dashboard_port):
    host = "[%s]" % head_address if ":" in head_address and not head_address.startswith("[") else head_address
    return "http://%s:%s" % (host, dashboard_port)


def ray_sh(word):
    """word for the /bin/sh that runs Ray's entrypoint, inside the double quotes list2cmdline adds.

    `ray job submit -- WORDS` joins WORDS with subprocess.list2cmdline (Windows rules: a word with
    a blank is put in double quotes, a " gets a backslash) and the job supervisor runs that with
    /bin/sh: so $, ` and \\ need a backslash more, and a backslash run before a " none (list2cmdline
    doubles it).
    """
    out, run = [], 0
    for char in word:
        if char == "\\":
            run += 1
            continue
        out.append("\\" * (run if char == '"' else 2 * run + 1 if char in "$`" else 2 * run) + char)
        run = 0
    return "".join(out) + "\\" * (2 * run)


def launch_script(request, head_address, dashboard_port, entrypoint=None, ray="ray"):
    """A bash script that submits the request to the Ray head and returns (re-run: a new job).

    The command goes as `bash -c "$job"`: the one way Ray's list2cmdline + /bin/sh leaves every
    word as written.  entrypoint: the argv before --config-name (a list, or a string split as the
    shell would; give the env's python); ray: the ray CLI of the verl env.  Deterministic.
    """
    words = shlex.split(entrypoint) if isinstance(entrypoint, str) else list(entrypoint or ENTRYPOINT)
    words.append("--config-name=%s" % request["config_name"])
    url = dashboard_url(head_address, dashboard_port)
    runtime_env = json.dumps({"env_vars": request["env"]}, sort_keys=True)
    job = [" ".join(ray_sh(shlex.quote(w)) for w in words)] + ["  " + ray_sh(shlex.quote(o)) for o in request["overrides"]]
    return "\n".join([
        "#!/usr/bin/env bash",
        "# verl recipe %s, written by ascend_verl.cluster (playbooks/train.yml)." % request["recipe"],
        "# Submits the job to the Ray head and returns; each run submits a new job.  Follow it with",
        "#   %s job logs --address %s --follow <the submission id printed below>" % (ray, url),
        "set -euo pipefail",
        "# The job's command.  Ray runs it with /bin/sh inside double quotes: a $, ` or \\ in it",
        "# carries one backslash more than on a command line.",
        "job=$(cat <<'JOB'",
        " \\\n".join(job),
        "JOB",
        ")",
        "exec %s job submit --address %s --no-wait \\" % (shlex.quote(ray), shlex.quote(url)),
        "  --runtime-env-json %s \\" % shlex.quote(runtime_env),
        '  -- bash -c "$job"',
        ""])


# ---- what the job and the scripts print -----------------------------------------------

def submission_id(text):
    """The submission id `ray job submit` printed, None when it printed none."""
    match = _SUBMITTED.search(_ANSI.sub("", text or ""))
    return match.group(1) if match else None


def job_status(text):
    """PENDING, RUNNING, SUCCEEDED, FAILED or STOPPED from `ray job status` output, None when absent."""
    match = _STATUS.search(_ANSI.sub("", text or ""))
    return (match.group(1) or _FINAL[match.group(2)]) if match else None


def last_lines(text, count=30):
    lines = _ANSI.sub("", text or "").rstrip("\n").splitlines()
    return lines[-count:] if count else []


def script_result(stdout):
    """The one JSON line a recipe script printed last; {"ok": False, "error"} when there is none."""
    for line in reversed((stdout or "").splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    return {"ok": False, "error": "no result line in the script's output: %s" % " | ".join(last_lines(stdout, 5))}


def follow_problems(result):
    """Problems of a FOLLOW_SCRIPT result: a job that failed or stopped, with its last log lines."""
    status = result.get("status")
    if result.get("error"):
        return ["job %s: %s" % (result.get("submission_id"), result["error"])]
    if status in ("FAILED", "STOPPED"):
        tail = "\n".join(result.get("last_lines") or [])
        return ["job %s %s: %s\n%s" % (result.get("submission_id"), status, result.get("message") or "", tail)]
    return []


def _count(value):
    if value is None:
        return "?"
    return "%d" % value if float(value).is_integer() else "%g" % value


def placement_problems(result):
    """Problems of a PLACEMENT_SCRIPT result: the NPUs asked vs free, and on which nodes."""
    if result.get("ok"):
        return []
    free = result.get("free_per_node") or {}
    where = ", ".join("%s %s" % (node, _count(n)) for node, n in sorted(free.items()))
    return ["placing bundles of %s NPUs failed: %s (%s NPUs asked, %s free of %s%s)" % (
        "+".join(_count(b.get("NPU")) for b in result.get("bundles_asked") or []) or "?", result.get("error") or "",
        _count(result.get("asked_npu")), _count(result.get("free_npu")), _count(result.get("total_npu")),
        ": " + where if where else "")]
