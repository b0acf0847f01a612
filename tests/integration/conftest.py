"""Integration tests run the collection's real playbooks against simulated clusters."""

import contextlib
import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tools", "simcluster", "tests"))
sys.path.insert(0, os.path.join(REPO, "tests"))
import simkit  # noqa: E402  (the simulator's own test kit)


def playbook(inventory, *args, extra_env=None):
    """Run ansible-playbook; returns (rc, recap per host, results) via tests/callback_plugins."""
    env, results = simkit.results_env()
    env.update(extra_env or {})
    proc = subprocess.run([os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "-i", inventory]
                          + list(args), cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    try:
        with open(results) as f:
            out = json.load(f)
    except (OSError, ValueError):
        raise AssertionError("ansible-playbook left no results (rc %d): %s" % (proc.returncode, proc.stdout[-3000:]))
    out["console"] = proc.stdout
    if proc.returncode == 4:        # a host unreachable: say what it looked like from inside
        for host, recap in sorted(out["stats"].items()):
            if recap.get("unreachable") and simkit.CLUSTERS.get(inventory):
                print(simkit.CLUSTERS[inventory].inside(host))
    return proc.returncode, out["stats"], out


def task_results(out, task_name):
    """{host: result} of the first task with that name."""
    for task in out["tasks"]:
        if task["name"] == task_name or task["name"].endswith(" : " + task_name):
            return task["hosts"]
    raise AssertionError("task %r did not run" % task_name)


def failures(out):
    """{host: message} of every failed task result, in run order (last one wins)."""
    found = {}
    for task in out["tasks"]:
        for host, result in task["hosts"].items():
            if result.get("_status") == "failed":
                items = [r.get("msg", "") for r in result.get("results", []) if r.get("failed")]
                found[host] = "; ".join(items) if items else str(result.get("msg", ""))
    return found


# The order files are handed to the xdist workers (make integration: --dist loadfile
# --no-loadscope-reorder; each file boots its own cluster and runs its tests in order). Each of
# the two workers takes two files up front, so the two long ones go to different workers, each
# with a short one; the rest go to whichever finishes first.
FILE_ORDER = ("test_site.py", "test_python.py", "test_mirror.py", "test_a3.py")


def pytest_collection_modifyitems(items):
    def key(pair):
        position, item = pair
        name = os.path.basename(str(item.fspath))
        return (FILE_ORDER.index(name) if name in FILE_ORDER else len(FILE_ORDER), position)

    items[:] = [item for dummy, item in sorted(enumerate(items), key=key)]


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory):
    """Installer stand-ins of both stacks for this machine's architecture: {stack: dir}."""
    sys.path.insert(0, simkit.TOOL)
    from sim import artifacts as gen  # noqa: E402
    out = {}
    for stack in ("seed", "v0.8"):
        target = tmp_path_factory.mktemp("artifacts-" + stack)
        gen.generate(stack, str(target), os.uname().machine)
        out[stack] = str(target)
    return out


@contextlib.contextmanager
def seed_mirror(cluster, artifacts, tmp_path_factory, *auth):
    """The seed line's artifacts (a copy the test may spoil) served over HTTP to the cluster's
    nodes by the simulator's mirror; auth = (user, password) makes it refuse anyone else."""
    sys.path.insert(0, simkit.TOOL)
    from sim.mirror import Mirror  # noqa: E402  pylint: disable=import-outside-toplevel
    root = str(tmp_path_factory.mktemp("mirror") / "seed")
    shutil.copytree(artifacts["seed"], root)
    m = Mirror(cluster.registry["plan"]["host_ip"], root, *auth)
    try:
        yield m
    finally:
        m.close()


def stack_args(artifacts, stack="seed", *more):
    return ("-e", "stack_name=%s" % stack, "-e", "artifact_source_path=%s" % artifacts[stack]) + more


def env_versions(cluster, node, names, env="/opt/miniforge3/envs/verl-sglang"):
    """{distribution: version or None} in the node's env, from metadata."""
    script = ("import importlib.metadata as m, json, sys\nout = {}\nfor n in sys.argv[1:]:\n"
              "    try:\n        out[n] = m.version(n)\n    except m.PackageNotFoundError:\n        out[n] = None\n"
              "print(json.dumps(out))")
    out = cluster.ssh(node, "%s/bin/python -c '%s' %s" % (env, script, " ".join(names))).stdout
    return json.loads(out)


HCCN_TOOL = "/usr/local/Ascend/driver/tools/hccn_tool"


def versions(cluster, node):
    """[driver version, firmware version] from the node's version.info files (what exists)."""
    out = cluster.ssh(node, "cat /usr/local/Ascend/driver/version.info /usr/local/Ascend/firmware/version.info "
                            "2>/dev/null | grep ^Version=", check=False).stdout.split()
    return [v.split("=", 1)[1] for v in out]


def inventory_vars(cluster):
    """The `all` vars of the inventory simcluster wrote."""
    import yaml
    with open(cluster.inventory) as f:
        return yaml.safe_load(f)["all"]["vars"]


def planned_ports(cluster, node):
    """{phy_id: (address, netmask, gateway)} the inventory's fabric_plan gives node (index = its
    position in npu_nodes), computed here independently of the collection's code."""
    import ipaddress
    import yaml
    with open(cluster.inventory) as f:
        inv = yaml.safe_load(f)
    group = inv["all"]["children"]["npu_nodes"]
    index = list(group["hosts"]).index(node)
    out = {}
    for entry in group["vars"]["fabric_plan"]:
        net = ipaddress.IPv4Network(entry["cidr"])
        for pos, d in enumerate(entry["devices"]):
            out[d] = (str(net.network_address + entry["offset"] + index * entry["stride"] + pos), str(net.netmask),
                      entry["gateway"])
    return out


def ports_of(cluster, node, count):
    """{phy_id: (address, netmask, gateway)} as hccn_tool reads them on the node (None when unset)."""
    script = ("for i in $(seq 0 %d); do %s -i $i -ip -g | tr '\\n' ' '; %s -i $i -gateway -g; done"
              % (count - 1, HCCN_TOOL, HCCN_TOOL))
    out = {}
    for i, line in enumerate(cluster.ssh(node, script, check=False).stdout.splitlines()):
        addr = line.split("ipaddr:")[1].split()[0] if "ipaddr:" in line else None
        mask = line.split("netmask:")[1].split()[0] if "netmask:" in line else None
        gw = line.split("default gateway:")[1].split(",")[0] if "default gateway:" in line else None
        out[i] = (addr, mask, gw or None)
    return out


# The host's own kernel settings the baseline role sets on every node: the nodes have files of their
# own (the simulator), so no test may change these on the machine running the tests.
HOST_SYSCTLS = ("kernel/numa_balancing", "vm/swappiness", "net/ipv4/ip_local_reserved_ports")


def _host_sysctls():
    out = {}
    for key in HOST_SYSCTLS:
        with open("/proc/sys/" + key) as f:
            out[key] = f.read().strip()
    return out


@pytest.fixture(scope="session", autouse=True)
def host_kernel_untouched():
    before = _host_sysctls()
    yield
    assert _host_sysctls() == before
