"""`make bench`: measured figures, each as a ratio against a baseline run in this process.

Sections (all on simulated clusters booted here):
  sim    boot time and memory of N-node clusters; baseline = the smallest N, so the ratio
         shows how the cost per node scales (1.0 = perfectly linear).
Results: printed as a table and written to reports/bench-<timestamp>.json.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIM = os.path.join(REPO, "tools", "simcluster", "simcluster")
ANSIBLE = os.path.join(REPO, ".venv", "bin", "ansible")
NAME = "bench"


def mem_available_mb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def run(argv, **kwargs):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
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


def table(rows):
    keys = list(rows[0])
    widths = [max(len(k), *(len(str(r[k])) for r in rows)) for k in keys]
    lines = ["  ".join(k.ljust(w) for k, w in zip(keys, widths))]
    lines += ["  ".join(str(r[k]).ljust(w) for k, w in zip(keys, widths)) for r in rows]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8,64", help="cluster sizes for the sim section")
    parser.add_argument("--out", default=os.path.join(REPO, "reports"))
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
               "machine": {"cpus": os.cpu_count(), "mem_available_mb": round(mem_available_mb())}}
    try:
        results["sim"] = bench_sim(sizes)
    finally:
        subprocess.run([SIM, "down", NAME], check=False, stdout=subprocess.DEVNULL)
    print("== simulated cluster: boot, reach with Ansible, memory, teardown")
    print(table(results["sim"]))
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "bench-%s.json" % time.strftime("%Y%m%d-%H%M%S"))
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
    print("written: " + os.path.relpath(path, REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main())
