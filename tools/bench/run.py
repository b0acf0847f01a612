"""`make bench`: measured figures, each as a ratio against a baseline run in this process.

Sections (all on simulated clusters booted here):
  sim      boot time and memory of N-node clusters; baseline = the smallest N, so the ratio
           shows how the cost per node scales (1.0 = perfectly linear).
  fabric   on one cluster of max(N) A2 nodes with the driver installed, for each N:
           (a) playbooks/verify.yml (health, RoCE ports, same_index pings, TCP, report) against
               the vendor-doc way, a serial loop of `ssh node hccn_tool -i D -ping -g address X`
               over the same device pairs.  The loop would run for hours, so it is timed on a
               random sample of --sample probes and extrapolated per probe;
           (b) playbooks/audit.yml against gather_facts plus one shell command per component
               (tools/bench/audit_baseline.yml), both run in full.
  site     playbooks site.yml on a fresh 2-node A2 cluster (seed line, offline), then again:
           the re-run against the first run (it must report changed=0), and what was pushed
           to each node.
  fanout   site.yml (first run, then the re-run, which must report changed=0) on a fresh A2
           cluster of each N in --fanout-sizes, every node module run on the counted
           interpreter: wall time against the CPU-bound time (the machine's busy CPU seconds
           over the run / its cores; a ratio near 1 means the run is limited by CPU, not by
           waiting or serialisation) and module runs per node.
  ray      on one provisioned A2 cluster, for each N in --ray-sizes: playbooks/ray.yml from
           stopped to every NPU visible in Ray, against starting Ray by hand the way verl's
           multi-node guide does (head, then each worker over SSH, then poll).
Results: printed as tables and written to reports/bench-<timestamp>.json.
"""

import argparse
import datetime
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIM = os.path.join(REPO, "tools", "simcluster", "simcluster")
ANSIBLE = os.path.join(REPO, ".venv", "bin", "ansible")
PLAYBOOK = ANSIBLE + "-playbook"
NAME = "bench"
IN_FLIGHT = 192         # probes in flight across the whole simulated cluster
sys.path.insert(0, os.path.join(REPO, "tools", "simcluster", "tests"))
import simkit  # noqa: E402  (the simulator's test kit: SSH with pinned host keys)
sys.path.insert(0, os.path.join(REPO, "tools", "simcluster"))
from sim import layers  # noqa: E402  (where the counted interpreter and its log live on a node)


def mem_available_mb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def run(argv, **kwargs):
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False, **kwargs)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv), proc.returncode, proc.stdout[-2000:]))
    return proc.stdout


def timed(argv, **kwargs):
    start = time.monotonic()
    run(argv, **kwargs)
    return time.monotonic() - start


def bench_sim(sizes):
    """Boot, reach every node with Ansible, measure memory, tear down."""
    rows = []
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    for n in sizes:
        run([SIM, "down", NAME])
        subprocess.run(["sync"], check=False)
        before = mem_available_mb()
        boot = timed([SIM, "up", NAME, "--profile", "a2", "--nodes", str(n)])
        idle = before - mem_available_mb()
        inventory = os.path.join(REPO, "build", "sim", NAME, "hosts.yml")
        ping = timed([ANSIBLE, "-i", inventory, "npu_nodes", "-m", "ansible.builtin.ping",
                      "-o"], env=env)
        # After the ping, each node also holds an sshd session and the controller an SSH
        # ControlPersist master per node.
        used = before - mem_available_mb()
        down = timed([SIM, "down", NAME])
        rows.append({"nodes": n, "boot_s": round(boot, 2), "idle_mb": round(idle, 1),
                     "idle_mb_per_node": round(idle / n, 2), "ansible_ping_s": round(ping, 2),
                     "after_ping_mb": round(used, 1), "down_s": round(down, 2)})
    base = rows[0]
    for r in rows:
        # Per-node boot cost relative to the smallest cluster: 1.0 = linear scaling.
        r["boot_per_node_ratio"] = round((r["boot_s"] / r["nodes"]) / (base["boot_s"] / base["nodes"]), 2)
    return rows


def provision(cluster, nodes):
    """The driver on every node (what hccn_tool needs), installed as the hdk role would."""
    out = os.path.join(REPO, "build", "artifacts", "seed")
    run([SIM, "artifacts", "--stack", "seed", "--out", out, "--arch", os.uname().machine])
    run_file = simkit.run_file(out, "driver")
    with ThreadPoolExecutor(max_workers=8) as pool:
        for node, proc in zip(nodes, pool.map(lambda n: cluster.install_driver(n, run_file), nodes)):
            if proc.returncode != 0:
                raise RuntimeError("%s: driver install failed: %s" % (node, proc.stdout[-500:]))


def pairs(cluster, n, devices=8):
    """The same_index pairs of the first n nodes, each unordered pair once (what verify probes)."""
    names = ["node%d" % i for i in range(1, n + 1)]
    return [(a, d, cluster.device_ip(b, d)) for i, a in enumerate(names) for b in names[i + 1:]
            for d in range(devices)]


def vendor_probe(cluster, probe):
    node, dev, address = probe
    proc = cluster.ssh(node, "/usr/local/Ascend/driver/tools/hccn_tool -i %d -ping -g address %s" % (dev, address),
                       check=False)
    if "3 received" not in proc.stdout:
        raise RuntimeError("vendor probe %s failed: %s%s" % (probe, proc.stdout, proc.stderr))


def latest_report(directory, kind):
    names = sorted(f for f in os.listdir(directory) if f.startswith(kind + "-") and f.endswith(".json"))
    with open(os.path.join(directory, names[-1])) as f:
        return json.load(f)


def playbook_s(args, env):
    start = time.monotonic()
    run([PLAYBOOK] + args, env=env, cwd=REPO)
    return time.monotonic() - start


def busy_cpu_s():
    """CPU seconds this machine has been busy since boot, all cores together: the `cpu` line
    of /proc/stat, user + nice + system + irq + softirq + steal (guest time is in user)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    assert fields[0] == "cpu", fields
    ticks = dict(zip(("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"),
                     (int(v) for v in fields[1:9])))
    busy = sum(ticks[k] for k in ("user", "nice", "system", "irq", "softirq", "steal"))
    return busy / float(os.sysconf("SC_CLK_TCK"))


def busy_cores(seconds=3.0):
    """How many cores the machine keeps busy over the next `seconds` (0 when it is idle)."""
    start = busy_cpu_s()
    time.sleep(seconds)
    return (busy_cpu_s() - start) / seconds


def module_runs(name, nodes, reset=True):
    """{node: module runs counted since the last reset} on cluster `name`: the lines of each
    node's log of the counted interpreter (layers.COUNTED_PYTHON), read over `simcluster ssh`
    (a shell command: it starts no Python on the node, so it counts nothing itself);
    reset=True empties the logs in the same call."""
    log = layers.MODULE_RUNS_LOG
    command = "cat %s 2>/dev/null | wc -l" % log + ("; : 2>/dev/null > %s; true" % log if reset else "")

    def one(node):
        proc = subprocess.run([SIM, "ssh", name, node, command], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, check=False)
        if proc.returncode != 0 or not proc.stdout.strip().isdigit():
            raise RuntimeError("%s: cannot read the module-run count: %s%s" % (node, proc.stdout, proc.stderr))
        return int(proc.stdout)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip(nodes, pool.map(one, nodes)))


def site_artifacts(stack):
    """The stack's installer stand-ins, wheelhouse and sources (deterministic) under build/."""
    out = os.path.join(REPO, "build", "artifacts", stack)
    run([SIM, "artifacts", "--stack", stack, "--out", out, "--arch", os.uname().machine])
    return out


def site_args(cluster, artifacts, stack):
    """ansible-playbook arguments of site.yml on `cluster`, offline from `artifacts`."""
    return ["-i", cluster.inventory, "site.yml", "-e", "stack_name=" + stack, "-e", "artifact_source_path=" + artifacts,
            "-e", "hdk_health_delay=1", "-e", "verify_report_dir=" + tempfile.mkdtemp(prefix="bench-reports-")]


def site_run(args, env_extra=None):
    """One ansible-playbook run with the results callback: wall seconds, the machine's busy
    CPU seconds over the same window, and the callback's results (recap and tasks)."""
    env, results = simkit.results_env()
    env.update(env_extra or {})
    try:
        cpu = busy_cpu_s()
        seconds = playbook_s(args, env)
        busy = busy_cpu_s() - cpu
        with open(results) as f:
            return seconds, busy, json.load(f)
    finally:
        if os.path.exists(results):
            os.unlink(results)


def changed(results):
    return sum(s["changed"] for s in results["stats"].values())


def bench_fabric(sizes, sample):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    top = max(sizes)
    run([SIM, "down", NAME])
    cluster = simkit.Cluster(NAME, "a2", top).up()
    nodes = ["node%d" % i for i in range(1, top + 1)]
    provision(cluster, nodes)
    reports = tempfile.mkdtemp(prefix="bench-reports-")
    rows = []
    for n in sorted(sizes):
        limit = ["--limit", "npu_nodes[0:%d],localhost" % (n - 1), "-f", str(max(n, 5))]
        inv = ["-i", cluster.inventory]
        # Every probe is a process on this one machine (real nodes have their own CPUs and
        # memory): cap what is in flight cluster-wide, at most the default 32 per node.
        parallel = max(1, min(32, IN_FLIGHT // n))
        # All N simulated nodes share this machine's cores: a tool call that takes milliseconds on
        # a node can wait tens of seconds for a CPU here, so the hung-tool limit is raised.
        verify = playbook_s(inv + limit + ["playbooks/verify.yml", "-e", "verify_report_dir=" + reports,
                                           "-e", "verify_check_env=false", "-e", "verify_parallel=%d" % parallel,
                                           "-e", "verify_hccn_timeout=300",
                                           "-e", '{"verify_tcp_ports": ["6766", "60000-60050"]}'], env)
        checked = latest_report(reports, "verify")
        if checked["failures"]:
            raise RuntimeError("verify on %d nodes reported failures: %s" % (n, checked["failures"][:3]))
        audit = playbook_s(inv + limit + ["playbooks/audit.yml", "-e", "audit_report_dir=" + reports], env)
        facts = playbook_s(inv + limit + [os.path.join("tools", "bench", "audit_baseline.yml")], env)
        assert checked["summary"]["probes"] == len(pairs(cluster, n)), checked["summary"]
        rows.append({"nodes": n, "probes": len(pairs(cluster, n)), "parallel": parallel, "verify_s": round(verify, 1),
                     "audit_s": round(audit, 1), "baseline_audit_s": round(facts, 1)})
        print("fabric %d nodes: %s" % (n, rows[-1]), flush=True)
    # The vendor loop: serial, one SSH + one hccn_tool -ping per pair, on a random sample.
    chosen = random.Random(20261125).sample(pairs(cluster, top), min(sample, len(pairs(cluster, top))))
    start = time.monotonic()
    for probe in chosen:
        vendor_probe(cluster, probe)
    per_probe = (time.monotonic() - start) / len(chosen)
    for r in rows:
        r["baseline_verify_s"] = round(r["probes"] * per_probe, 1)
        r["verify_speedup"] = round(r["baseline_verify_s"] / r["verify_s"], 1)
        r["audit_speedup"] = round(r["baseline_audit_s"] / r["audit_s"], 1)
    cluster.down()
    return {"rows": rows, "vendor_probe_s": round(per_probe, 3), "vendor_sample": len(chosen)}


def bench_site(nodes=2, stack="seed"):
    """site.yml twice on a fresh cluster: the re-run's time as a fraction of the first run's."""
    run([SIM, "down", NAME])
    cluster = simkit.Cluster(NAME, "a2", nodes).up()
    args = site_args(cluster, site_artifacts(stack), stack)
    runs = []
    for dummy in range(2):
        seconds, unused_busy, results = site_run(args)
        runs.append((seconds, changed(results)))
    if runs[1][1] != 0:
        raise RuntimeError("the second site.yml run changed %d things" % runs[1][1])
    pushed = [int(cluster.ssh("node%d" % i, "du -sk /var/cache/ascend_verl/artifacts").stdout.split()[0])
              for i in range(1, nodes + 1)]
    cluster.down()
    return [{"nodes": nodes, "stack": stack, "first_s": round(runs[0][0], 1), "first_changed": runs[0][1],
             "second_s": round(runs[1][0], 1), "second_changed": runs[1][1],
             "second_vs_first": round(runs[1][0] / runs[0][0], 3), "pushed_mb_per_node": round(max(pushed) / 1024.0, 1)}]


def bench_fanout(sizes, stack="seed"):
    """site.yml, first run then re-run, on a fresh A2 cluster of each size; see the module
    docstring.  Module runs are counted on the nodes: every node's interpreter is the counted
    one (a group variable of npu_nodes in a second inventory source, not `-e`: an extra var
    would also apply to the localhost plays, whose controller has no such file)."""
    artifacts = site_artifacts(stack)
    cores = os.cpu_count()
    rows = []
    for n in sizes:
        run([SIM, "down", NAME])
        cluster = simkit.Cluster(NAME, "a2", n).up()
        # A fresh ControlPath dir per cluster: the next cluster reuses the addresses, and an
        # SSH master still persisting from the last one would talk to a node that is gone.
        control = tempfile.mkdtemp(prefix="bench-cp-")
        try:
            nodes = ["node%d" % i for i in range(1, n + 1)]
            counted = os.path.join(cluster.build, "counted-python.yml")
            with open(counted, "w") as f:
                json.dump({"all": {"children": {"npu_nodes": {"vars": {
                    "ansible_python_interpreter": layers.COUNTED_PYTHON}}}}}, f)
            args = site_args(cluster, artifacts, stack)
            args = args[:2] + ["-i", counted] + args[2:]
            for label in ("first", "rerun"):
                module_runs(NAME, nodes)                       # reset
                # busy_cpu_s is the whole machine's: what else runs on it is measured too.
                background = busy_cores()
                seconds, busy, results = site_run(args, {"ANSIBLE_SSH_CONTROL_PATH_DIR": control})
                counts = module_runs(NAME, nodes)
                if not all(counts.values()):
                    raise RuntimeError("fanout %d nodes, %s run: no module runs counted on %s; is %s the "
                                       "interpreter there?" % (n, label, sorted(k for k, v in counts.items() if not v),
                                                               layers.COUNTED_PYTHON))
                bound = busy / cores
                rows.append({"nodes": n, "run": label, "wall_s": round(seconds, 1), "busy_cpu_s": round(busy, 1),
                             "cores": cores, "background_busy_cores": round(background, 2),
                             "cpu_bound_wall_s": round(bound, 1),
                             "wall_vs_cpu_bound": round(seconds / bound, 2) if bound else None,
                             "module_runs_min": min(counts.values()), "module_runs_max": max(counts.values()),
                             "module_runs_mean": round(sum(counts.values()) / float(n), 1),
                             "changed": changed(results), "tasks": len(results["tasks"])})
                print("fanout %d nodes: %s" % (n, rows[-1]), flush=True)
            if rows[-1]["changed"] != 0:
                raise RuntimeError("fanout %d nodes: the site.yml re-run changed %d things (must be 0)"
                                   % (n, rows[-1]["changed"]))
        finally:
            subprocess.run([SIM, "down", NAME], check=False, stdout=subprocess.DEVNULL)
            shutil.rmtree(control, ignore_errors=True)
    return rows


def manual_ray(cluster, nodes, env_python):
    """verl's multi-node guide by hand: `ray start --head` on the head, then `ray start
    --address` on each worker, one SSH after another, then poll the head until Ray sees every
    node's NPUs.  Same flags as the service (read from the init script), so only the way differs."""
    def flags(node):
        # the command the service's loop runs: `"$RAY" <ray start --block ...> >>"$LOG" ...`
        script = cluster.ssh(node, "cat /etc/init.d/ray").stdout
        line = next(l for l in script.splitlines() if " start --block " in l).strip()
        return line[len('"$RAY" '):].split(' >>"$LOG"')[0].replace(" --block", "", 1)
    start = time.monotonic()
    for node in nodes:
        cluster.ssh(node, "set -a; . /etc/ascend_verl/npu.env; set +a; ulimit -n $(ulimit -Hn); %s >/dev/null 2>&1" % flags(node))
    want = 8 * len(nodes)
    poll = ("import ray, sys; ray.init(address='%s:6766', _node_ip_address='%s', logging_level='ERROR', "
            "log_to_driver=False)\nimport time\nend = time.time() + 600\n"
            "while ray.cluster_resources().get('NPU', 0) < %d:\n    assert time.time() < end, 'not every NPU in 600 s'\n"
            "    time.sleep(0.5)" % (cluster.ip(nodes[0]), cluster.ip(nodes[0]), want))
    cluster.ssh(nodes[0], "RAY_USAGE_STATS_ENABLED=0 %s -c %s >/dev/null 2>&1" % (env_python, shlex.quote(poll)))
    return time.monotonic() - start


def bench_ray(sizes, stack="seed"):
    """Ray's stage on one provisioned A2 cluster of max(sizes) nodes, for each N (the first N
    nodes): playbooks/ray.yml from stopped to every NPU visible (the service on every node,
    workers in parallel, the play's own wait) against the manual way (manual_ray)."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    top = max(sizes)
    run([SIM, "down", NAME])
    cluster = simkit.Cluster(NAME, "a2", top).up()
    artifacts = site_artifacts(stack)
    inv = ["-i", cluster.inventory, "-e", "stack_name=" + stack, "-e", "artifact_source_path=" + artifacts]
    rows = []
    try:
        playbook_s(inv + ["playbooks/system.yml", "playbooks/python.yml", "-e", "hdk_health_delay=1"], env)
        python = "/opt/miniforge3/envs/verl-sglang/bin/python"
        for n in sorted(sizes):
            limit = ["--limit", "npu_nodes[0:%d]" % (n - 1), "-f", str(max(n, 5))]
            playbook_s(inv + limit + ["playbooks/ray.yml"], env)          # the service files, once
            playbook_s(inv + limit + ["playbooks/ray.yml", "-e", "ray_cluster_state=stopped"], env)
            ours = playbook_s(inv + limit + ["playbooks/ray.yml"], env)
            playbook_s(inv + limit + ["playbooks/ray.yml", "-e", "ray_cluster_state=stopped"], env)
            manual = manual_ray(cluster, ["node%d" % i for i in range(1, n + 1)], python)
            playbook_s(inv + limit + ["playbooks/ray.yml", "-e", "ray_cluster_state=stopped"], env)
            rows.append({"nodes": n, "npus": 8 * n, "ray_yml_s": round(ours, 1), "manual_s": round(manual, 1),
                         "manual_vs_ray_yml": round(manual / ours, 2)})
            print("ray %d nodes: %s" % (n, rows[-1]), flush=True)
    finally:
        cluster.down()
    return rows


def table(rows):
    keys = list(rows[0])
    widths = [max(len(k), *(len(str(r[k])) for r in rows)) for k in keys]
    lines = ["  ".join(k.ljust(w) for k, w in zip(keys, widths))]
    lines += ["  ".join(str(r[k]).ljust(w) for k, w in zip(keys, widths)) for r in rows]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8,64", help="cluster sizes for the sim section")
    parser.add_argument("--fabric-sizes", default="8,16,32,64", help="cluster sizes for the fabric section")
    parser.add_argument("--fanout-sizes", default="1,4,16", help="cluster sizes for the fanout section")
    parser.add_argument("--sample", type=int, default=200, help="vendor-loop probes actually timed")
    parser.add_argument("--ray-sizes", default="2,8", help="cluster sizes for the ray section")
    parser.add_argument("--sections", default="sim,site,fabric,fanout,ray")
    parser.add_argument("--out", default=os.path.join(REPO, "reports"))
    args = parser.parse_args(argv)
    sections = args.sections.split(",")
    results = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
               "machine": {"cpus": os.cpu_count(), "mem_available_mb": round(mem_available_mb())}}
    try:
        if "sim" in sections:
            results["sim"] = bench_sim(sorted(int(s) for s in args.sizes.split(",")))
            print("== simulated cluster: boot, reach with Ansible, memory, teardown")
            print(table(results["sim"]))
        if "site" in sections:
            results["site"] = bench_site()
            print("== site.yml: first run on a fresh cluster, then the re-run (changed=0)")
            print(table(results["site"]))
        if "fabric" in sections:
            results["fabric"] = bench_fabric([int(s) for s in args.fabric_sizes.split(",")], args.sample)
            print("== connectivity (verify.yml vs serial vendor loop) and audit (audit.yml vs facts + "
                  "one command per component)")
            print("vendor loop: %.3f s per probe over a random sample of %d probes"
                  % (results["fabric"]["vendor_probe_s"], results["fabric"]["vendor_sample"]))
            print(table(results["fabric"]["rows"]))
        if "fanout" in sections:
            results["fanout"] = bench_fanout(sorted(int(s) for s in args.fanout_sizes.split(",")))
            print("== fan-out: site.yml on N nodes (first run, re-run): wall time against the CPU-bound "
                  "time (busy CPU / cores), module runs per node")
            print(table(results["fanout"]))
        if "ray" in sections:
            results["ray"] = bench_ray(sorted(int(s) for s in args.ray_sizes.split(",")))
            print("== Ray: playbooks/ray.yml from stopped to every NPU visible, against ray start by hand "
                  "(head, then each worker over SSH, then polling)")
            print(table(results["ray"]))
    finally:
        subprocess.run([SIM, "down", NAME], check=False, stdout=subprocess.DEVNULL)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "bench-%s.json" % time.strftime("%Y%m%d-%H%M%S"))
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
    print("written: " + os.path.relpath(path, REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main())
