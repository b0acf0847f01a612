"""Bring a simulated Atlas cluster up and down.

Kernel objects per cluster (all named so `down` finds them even without the registry):
  bridges   scm<slot> (management, host address .1), scf<slot> spine + scf<slot>l<k> leaves
            (RoCE fabric, no host address); alias "simcluster:<name>"
  netns     simc-<name>-<node> (node), simc-<name>-<node>-d<phy> (one per RoCE port),
            simc-<name>-gw (the fabric's gateway router: every plane's .1, forwarding on)
  veths     s<slot>n<i>m (management port), s<slot>n<i>d<phy> (RoCE port), s<slot>u<k> (leaf uplink),
            s<slot>g (router port on the spine)
A node's processes run in its own mount/UTS/IPC/PID namespaces (see launch.sh); its
overlay root and tmpfs disk are mounted only there.
"""

import fcntl
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from . import config, internet, layers, netplan, pci, profiles, rootfs

sys.path.insert(0, config.STANDINS_DIR)
import hwstate  # noqa: E402  (shared with the node-side stand-ins)
import nodekernel  # noqa: E402

NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,19}$")


class SimError(RuntimeError):
    """One clear line for the user; nothing half-made is left behind."""


def _run(argv, stdin=None, check=True):
    proc = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
                          universal_newlines=True)
    if check and proc.returncode != 0:
        raise SimError("%s failed: %s" % (" ".join(argv[:4]), proc.stderr.strip()))
    return proc


def _ip_batch(lines, netns=None, force=False):
    """One `ip -batch` for many commands; force = carry on past errors (clean-up)."""
    if lines:
        argv = ["ip"] + (["-n", netns] if netns else []) + (["-force"] if force else [])
        _run(argv + ["-b", "-"], stdin="\n".join(lines) + "\n", check=not force)


def cluster_dir(name):
    return os.path.join(config.STATE_ROOT, name)


def build_dir(name):
    return os.path.join(config.BUILD_ROOT, name)


def registry_path(name):
    return os.path.join(cluster_dir(name), "cluster.json")


def load(name):
    try:
        with open(registry_path(name)) as f:
            return json.load(f)
    except FileNotFoundError:
        raise SimError("no simulated cluster named %r is up" % name)


def names():
    if not os.path.isdir(config.STATE_ROOT):
        return []
    return sorted(n for n in os.listdir(config.STATE_ROOT)
                  if os.path.isfile(registry_path(n)))


class _GlobalLock:
    """Serialises up/down so two commands never pick the same slot."""

    def __enter__(self):
        os.makedirs(config.STATE_ROOT, exist_ok=True)
        self.f = open(os.path.join(config.STATE_ROOT, ".lock"), "w")
        fcntl.flock(self.f, fcntl.LOCK_EX)

    def __exit__(self, *exc):
        self.f.close()


def _used_slots():
    used = set()
    for n in names():
        used.add(load(n)["slot"])
    for link in _run(["ip", "-o", "link", "show", "type", "bridge"]).stdout.splitlines():
        m = re.search(r": scm(\d+):", link)
        if m:
            used.add(int(m.group(1)))
    return used


def _host_networks():
    out = _run(["ip", "-o", "-4", "route", "show", "table", "all"]).stdout
    return [line.split()[0] for line in out.splitlines() if line and line.split()[0] != "default"]


def node_ns(name, node):
    return "simc-%s-%s" % (name, node)


def device_ns(name, node, phy_id):
    return "simc-%s-%s-d%d" % (name, node, phy_id)


def gateway_ns(name):
    return "simc-%s-gw" % name


GATEWAY_IF = "fabric"        # the router's port, inside gateway_ns


# ---------------------------------------------------------------------------- up

def up(name, profile, nodes, mgmt_cidr=None, fabric_cidr=None, disk=config.NODE_DISK,
       log=sys.stderr, unaddressed=False):
    if os.geteuid() != 0:
        raise SimError("simcluster needs root (namespaces, bridges, mounts)")
    if not NAME_RE.match(name or "") or "-node" in name:
        raise SimError("cluster name %r: use 1-20 of a-z, 0-9, '-' and '_', starting with a letter, without '-node'"
                       % name)
    if profile not in profiles.PROFILES:
        raise SimError("unknown profile %r (known: %s)" % (profile, ", ".join(profiles.names())))
    start = time.time()
    base = rootfs.ensure(log)                     # may take a minute, once
    _raise_host_limits()
    with _GlobalLock():
        if os.path.exists(registry_path(name)) or _leftovers(name):
            raise SimError("cluster %r is already up (simcluster down %s)" % (name, name))
        free = [s for s in range(config.MAX_CLUSTERS) if s not in _used_slots()]
        if not free:
            raise SimError("all %d cluster slots are in use" % config.MAX_CLUSTERS)
        ndev = profiles.device_count(profile)
        try:
            plan = netplan.build(free[0], nodes, profiles.fabric_planes(profile), mgmt_cidr, fabric_cidr)
        except netplan.PlanError as err:
            raise SimError(str(err))
        taken = _host_networks()
        for other in names():
            taken += [load(other)["plan"]["mgmt_cidr"], load(other)["plan"]["fabric_cidr"]]
        clash = netplan.overlaps_any(plan, taken)
        if clash:
            raise SimError("the address plan overlaps %s, already in use on this host; "
                           "choose --mgmt-cidr/--fabric-cidr" % clash)
        reg = {"name": name, "slot": free[0], "profile": profile, "plan": plan,
               "product": profiles.get(profile)["product"],
               "npu_device": profiles.get(profile)["npu_device"],
               "devices_per_node": ndev, "disk": disk, "rootfs": base,
               "addressing": "unaddressed" if unaddressed else "configured",
               # Raising a hard limit needs CAP_SYS_RESOURCE: no process of a node can go
               # above the hard open-files limit the nodes inherit from this process.
               "nofile_max": resource.getrlimit(resource.RLIMIT_NOFILE)[1], "nodes": {}}
        try:
            _create(reg, log)
        except BaseException:
            _destroy(name)
            raise
    log.write("simcluster: %s up, %d x %s (RoCE ports %s) in %.1f s; inventory %s\n"
              % (name, nodes, reg["product"], reg["addressing"], time.time() - start,
                 os.path.join(build_dir(name), "hosts.yml")))
    return reg


def _create(reg, log):
    name, slot, plan = reg["name"], reg["slot"], reg["plan"]
    cdir, bdir = cluster_dir(name), build_dir(name)
    shutil.rmtree(bdir, ignore_errors=True)
    os.makedirs(bdir)
    os.makedirs(cdir, exist_ok=True)
    key = os.path.join(bdir, "id_ed25519")
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "simcluster@" + name, "-f", key])
    with open(key + ".pub") as f:
        client_pub = f.read()
    layers.write_sim_layer(os.path.join(cdir, "layer"))
    hosts_text = layers.hosts_file(plan)
    known = []
    for idx, node in enumerate(plan["nodes"]):
        known.append(_prepare_node(reg, idx, node, hosts_text, client_pub))
    with open(os.path.join(bdir, "known_hosts"), "w") as f:
        f.writelines(known)
    _network(reg)
    with open(registry_path(name), "w") as f:
        json.dump(reg, f, indent=1)
    for node in plan["nodes"]:
        _launch(reg, node["name"])
    _wait_ssh(reg)
    with open(registry_path(name), "w") as f:
        json.dump(reg, f, indent=1)
    _write_inventory(reg)


def _prepare_node(reg, idx, node, hosts_text, client_pub):
    ndir = os.path.join(cluster_dir(reg["name"]), "nodes", node["name"])
    for sub in ("hw", "pci", "stage/disk", "stage/root"):
        os.makedirs(os.path.join(ndir, sub), exist_ok=True)
    state = profiles.initial_state(reg["profile"], reg["name"], node["name"])
    configured = reg["addressing"] == "configured"
    for dev in state["devices"] if configured else []:
        roce, plane = dev["roce"], netplan.plane_of(reg["plan"], dev["phy_id"])
        roce["address"] = node["device_ips"][dev["phy_id"]]
        roce["netmask"] = plane["netmask"]
        roce["gateway"] = roce["netdetect"] = plane["gateway"]
    hwstate.save(state, os.path.join(ndir, "hw"))
    nodekernel.write_tree(os.path.join(ndir, "kernel"))
    with open(os.path.join(ndir, "hw", "boot_id"), "w") as f:
        f.write("00000000-0000-0000-0000-000000000000\n")
    pci.write_tree(os.path.join(ndir, "pci"), state)
    conf = netplan.hccn_conf(reg["plan"], idx) if configured else None
    keytype, pubkey = layers.write_node_layer(os.path.join(ndir, "layer"), node["name"],
                                              hosts_text, client_pub, conf)
    reg["nodes"][node["name"]] = {"index": idx + 1, "mgmt_ip": node["mgmt_ip"], "dir": ndir}
    return "%s,%s %s %s\n" % (node["mgmt_ip"], node["name"], keytype, pubkey)


# Host-wide kernel limits sized for hundreds of simulated ports, raised (never lowered) at
# every `up`:
# - the ARP table is one table for all network namespaces: its default hard limit (1024
#   entries) is reached by 16 nodes x 8 ports that ping each other, after which new
#   neighbours fail ("neighbor table overflow", ping: No buffer space available);
# - a broadcast on a fabric bridge is cloned to every port through the CPU's input
#   backlog, whose default (1000 packets) overflows in an ARP burst.
# Real NICs have their own tables and queues, so these limits belong to the simulation.
HOST_LIMITS = {
    "/proc/sys/net/ipv4/neigh/default/gc_thresh1": 65536,
    "/proc/sys/net/ipv4/neigh/default/gc_thresh2": 131072,
    "/proc/sys/net/ipv4/neigh/default/gc_thresh3": 262144,
    "/proc/sys/net/core/netdev_max_backlog": 250000,
}


def _raise_host_limits():
    for path, wanted in HOST_LIMITS.items():
        with open(path) as f:
            current = int(f.read().strip())
        if current < wanted:
            with open(path, "w") as f:
                f.write("%d\n" % wanted)


def _leaf_of(index):
    return (index - 1) // config.NODES_PER_LEAF


def _network(reg):
    name, s, plan = reg["name"], reg["slot"], reg["plan"]
    alias = "simcluster:" + name
    host = ["link add scm%d type bridge" % s, "link set scm%d alias %s" % (s, alias),
            "addr add %s/%d dev scm%d" % (plan["host_ip"], plan["mgmt_prefix"], s),
            "link set scm%d up" % s,
            "link add scf%d type bridge" % s, "link set scf%d alias %s" % (s, alias),
            "link set scf%d up" % s,
            # The gateway router: one namespace on the spine holding every plane's .1.
            "netns add " + gateway_ns(name),
            "link add s%dg type veth peer name %s netns %s" % (s, GATEWAY_IF, gateway_ns(name)),
            "link set s%dg alias %s" % (s, alias),
            "link set s%dg master scf%d up" % (s, s)]
    leaves = sorted({_leaf_of(n["index"]) for n in reg["nodes"].values()})
    for k in leaves:
        host += ["link add scf%dl%d type bridge" % (s, k),
                 "link set scf%dl%d alias %s" % (s, k, alias),
                 "link set scf%dl%d up" % (s, k),
                 "link add s%du%d type veth peer name s%dv%d" % (s, k, s, k),
                 "link set s%du%d master scf%dl%d up" % (s, k, s, k),
                 "link set s%dv%d master scf%d up" % (s, k, s)]
    inner = {gateway_ns(name): ["addr add %s/%d dev %s" % (p["gateway"], p["prefix"], GATEWAY_IF)
                                for p in plan["planes"]] + ["link set %s up" % GATEWAY_IF, "link set lo up"]}
    configured = reg["addressing"] == "configured"
    for node in plan["nodes"]:
        i, ns = reg["nodes"][node["name"]]["index"], node_ns(name, node["name"])
        host += ["netns add " + ns,
                 "link add s%dn%dm type veth peer name %s netns %s" % (s, i, config.MGMT_IF, ns),
                 "link set s%dn%dm master scm%d up" % (s, i, s)]
        inner[ns] = ["addr add %s/%d dev %s" % (node["mgmt_ip"], plan["mgmt_prefix"], config.MGMT_IF),
                     "link set %s up" % config.MGMT_IF, "link set lo up"]
        for d, ip in enumerate(node["device_ips"]):
            dns = device_ns(name, node["name"], d)
            host += ["netns add " + dns,
                     "link add s%dn%dd%d type veth peer name eth%d netns %s" % (s, i, d, d, dns),
                     "link set s%dn%dd%d master scf%dl%d up" % (s, i, d, s, _leaf_of(i))]
            plane = netplan.plane_of(plan, d)
            inner[dns] = ["link set eth%d up" % d, "link set lo up"]
            if configured:
                inner[dns] += ["addr add %s/%d dev eth%d" % (ip, plane["prefix"], d),
                               "route add default via %s dev eth%d" % (plane["gateway"], d)]
    _ip_batch(host)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda item: _ip_batch(item[1], item[0]), inner.items()))
    # Forwarding in the router's namespace only (a namespace has its own ip_forward; the
    # host's stays as it is).  No redirects: the planes share one segment on purpose.
    _run(["ip", "netns", "exec", gateway_ns(name), "sh", "-c",
          "echo 1 > /proc/sys/net/ipv4/ip_forward && "
          "echo 0 > /proc/sys/net/ipv4/conf/all/send_redirects && "
          "echo 0 > /proc/sys/net/ipv4/conf/%s/send_redirects" % GATEWAY_IF])


def _launch(reg, node):
    info = reg["nodes"][node]
    ndir = info["dir"]
    fabric = " ".join("%d:/run/netns/%s" % (d, device_ns(reg["name"], node, d))
                      for d in range(reg["devices_per_node"]))
    env = dict(os.environ, NODE=node, STAGE=os.path.join(ndir, "stage"),
               LOWER="%s:%s:%s" % (os.path.join(ndir, "layer"),
                                   os.path.join(cluster_dir(reg["name"]), "layer"), reg["rootfs"]),
               DISK_SIZE=reg["disk"], HW=os.path.join(ndir, "hw"),
               PCI=os.path.join(ndir, "pci"), FABRIC=fabric, INTERNET=internet.root(),
               KERNEL=os.path.join(ndir, "kernel"), SHARED=os.path.join(cluster_dir(reg["name"]), "shared"))
    os.makedirs(internet.root(), exist_ok=True)
    os.makedirs(env["SHARED"], exist_ok=True)
    launcher = os.path.join(config.TOOL_DIR, "sim", "launch.sh")
    console = open(os.path.join(ndir, "console.log"), "ab")
    proc = subprocess.Popen(
        ["nsenter", "--net=/run/netns/" + node_ns(reg["name"], node), "--",
         "unshare", "--mount", "--uts", "--ipc", "--pid", "--fork", "--propagation", "private",
         "--", "/bin/sh", launcher],
        env=env, stdin=subprocess.DEVNULL, stdout=console, stderr=console,
        start_new_session=True, close_fds=True)
    console.close()
    info["unshare_pid"] = proc.pid


def init_pid(reg, node):
    """Host PID of the node's init (PID 1 inside the node), or None if it is not running."""
    parent = reg["nodes"][node].get("unshare_pid")
    try:
        with open("/proc/%d/task/%d/children" % (parent, parent)) as f:
            kids = f.read().split()
    except (OSError, TypeError):
        return None
    return int(kids[0]) if kids else None


def _wait_ssh(reg, timeout=90):
    pending = {n: info["mgmt_ip"] for n, info in reg["nodes"].items()}
    deadline = time.time() + timeout
    while pending and time.time() < deadline:
        for node, ip in list(pending.items()):
            if reg["nodes"][node].get("unshare_pid") and _proc_dead(reg["nodes"][node]["unshare_pid"]):
                raise SimError("%s failed to boot: %s" % (node, _console_tail(reg, node)))
            try:
                with socket.create_connection((ip, 22), timeout=0.5) as sock:
                    if sock.recv(4).startswith(b"SSH-"):
                        reg["nodes"][node]["init_pid"] = init_pid(reg, node)
                        del pending[node]
            except OSError:
                pass
        if pending:
            time.sleep(0.1)
    if pending:
        raise SimError("sshd did not come up on %s within %ds" % (", ".join(sorted(pending)), timeout))


def _proc_dead(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[1].startswith("Z")
    except OSError:
        return True


def _console_tail(reg, node):
    try:
        with open(os.path.join(reg["nodes"][node]["dir"], "console.log")) as f:
            return " | ".join(f.read().strip().splitlines()[-3:]) or "no output"
    except OSError:
        return "no console log"


BASELINE_NOFILE = 65536      # role baseline's default open-files limit


def _write_inventory(reg):
    import yaml  # the project venv has it; only needed on the controller
    bdir = build_dir(reg["name"])
    hosts = {n: {"ansible_host": info["mgmt_ip"]} for n, info in
             sorted(reg["nodes"].items(), key=lambda kv: kv[1]["index"])}
    nofile = {}
    if reg["nofile_max"] < BASELINE_NOFILE:
        # roles baseline's and ray's defaults are more than any node session can get here: ask for the ceiling.
        nofile = {"baseline_nofile_soft": reg["nofile_max"], "baseline_nofile_hard": reg["nofile_max"],
                  "ray_nofile": reg["nofile_max"]}
    inventory = {"all": {
        "vars": {
            # Every node shares this machine's cores: the Ray head's dashboard (nine Python processes)
            # does not come up within the 20 s `ray start` allows it on a loaded machine.  Tests that
            # need the job API (ray job submit) turn it on for their cluster.
            "ray_include_dashboard": False,
            # The simulated fabric's hccl_test figures move with this machine's load (a quarter either
            # way): a later run is held to half the first healthy one, not 80%.
            "verify_hccl_baseline_ratio": 0.5,
            "ansible_user": "root",
            "ansible_ssh_private_key_file": os.path.join(bdir, "id_ed25519"),
            "ansible_ssh_common_args": "-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes"
                                       % os.path.join(bdir, "known_hosts"),
            "ansible_python_interpreter": "/usr/bin/python3",
            "simcluster_name": reg["name"],
            # The highest open-files limit (ulimit -n) a session on a node can get.
            "simcluster_nofile_max": reg["nofile_max"],
            **nofile,
        },
        "children": {
            "npu_nodes": {
                "hosts": hosts,
                "vars": {"ascend_product": reg["product"], "ascend_npu_device": reg["npu_device"],
                         # The simulator's address plan, in role fabric's format: what the
                         # ports have (configured) or should get (--unaddressed).
                         "fabric_plan": netplan.fabric_plan(reg["plan"])},
            },
            "ray_head": {"hosts": {sorted(hosts, key=lambda h: reg["nodes"][h]["index"])[0]: {}}},
        },
    }}
    header = ("# Written by `simcluster up %s`: %d simulated %s nodes (profile %s), RoCE ports %s.\n"
              "# Host keys are pinned in known_hosts; host-key checking stays on.\n"
              "# simcluster_nofile_max: the hard open-files limit `simcluster up` ran with; no\n"
              "# session on a node can have more (raising a hard limit needs CAP_SYS_RESOURCE).\n"
              % (reg["name"], len(hosts), reg["product"], reg["profile"], reg["addressing"]))
    with open(os.path.join(bdir, "hosts.yml"), "w") as f:
        f.write(header + "---\n" + yaml.safe_dump(inventory, sort_keys=False))


# -------------------------------------------------------------------------- down

def _leftovers(name):
    """The cluster's namespaces (exactly: not those of a cluster named NAME-something)."""
    mine = re.compile(r"^simc-%s-(node\d+(-d\d+)?|gw)$" % re.escape(name))
    return [ns for ns in _netns_list() if mine.match(ns)]


def _netns_list():
    out = _run(["ip", "netns", "list"]).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _pids_in(namespaces):
    """Host PIDs whose network namespace is one of `namespaces` (one pass over /proc)."""
    inodes = set()
    for ns in namespaces:
        try:
            inodes.add(os.stat("/run/netns/" + ns).st_ino)
        except OSError:
            pass
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                link = os.readlink("/proc/%s/ns/net" % entry)
            except OSError:
                continue
            if int(link[link.index("[") + 1:-1]) in inodes:
                pids.add(int(entry))
    return pids


def _kill_netns_processes(namespaces):
    pids = _pids_in(namespaces)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.time() + 10
    while time.time() < deadline and any(not _proc_dead(p) for p in pids):
        time.sleep(0.05)


def _links_of(name):
    out = _run(["ip", "-o", "link", "show"]).stdout
    found = []
    for line in out.splitlines():
        m = re.match(r"\d+: ([^:@]+)", line)
        if m and ("alias simcluster:%s" % name) in line:
            found.append(m.group(1))
    return found


def _veths_of(reg, kinds="n"):
    """Host ends of the cluster's veths still present: n = node ports, u = leaf uplinks."""
    if reg is None:
        return []
    pattern = re.compile(r"\d+: (s%d[%s][0-9a-z]+)[@:]" % (reg["slot"], kinds))
    return [m.group(1) for m in map(pattern.match, _run(["ip", "-o", "link", "show"]).stdout.splitlines()) if m]


def _destroy(name):
    """Remove every trace of cluster `name`; safe to repeat, also after a failed up."""
    reg = None
    try:
        reg = load(name)
    except SimError:
        pass
    namespaces = _leftovers(name)
    if reg:
        for info in reg["nodes"].values():
            if info.get("unshare_pid") and not _proc_dead(info["unshare_pid"]):
                try:
                    os.kill(info["unshare_pid"], signal.SIGKILL)
                except OSError:
                    pass
    _kill_netns_processes(namespaces)
    # Deleting a namespace takes its veth pairs along, in one batched kernel clean-up
    # (deleting 600 veths one by one costs an RCU grace period each: seconds).
    _ip_batch(["netns del %s" % ns for ns in namespaces], force=True)
    deadline = time.time() + 20
    while time.time() < deadline and _veths_of(reg):
        time.sleep(0.05)
    _ip_batch(["link del %s" % v for v in _veths_of(reg, "nu")], force=True)
    _ip_batch(["link del %s" % b for b in _links_of(name)], force=True)
    shutil.rmtree(cluster_dir(name), ignore_errors=True)
    shutil.rmtree(build_dir(name), ignore_errors=True)


def down(name):
    if os.geteuid() != 0:
        raise SimError("simcluster needs root (namespaces, bridges, mounts)")
    with _GlobalLock():
        _destroy(name)


def down_all():
    with _GlobalLock():
        found = set(names())
        for ns in _netns_list():
            m = re.match(r"simc-([a-z][a-z0-9_-]*?)-(node\d+|gw$)", ns)
            if m:
                found.add(m.group(1))
        for line in _run(["ip", "-o", "link", "show"]).stdout.splitlines():
            m = re.search(r"alias simcluster:(\S+)", line)
            if m:
                found.add(m.group(1))
        for name in sorted(found):
            _destroy(name)
    return sorted(found)


# ------------------------------------------------------------------ node access

def node_exec(reg, node, argv, check=True, stdin=None):
    """Run argv inside a node (all its namespaces, its root)."""
    pid = init_pid(reg, node)
    if pid is None:
        raise SimError("%s is not running" % node)
    return _run(["nsenter", "-t", str(pid), "-m", "-u", "-i", "-n", "-p", "-r", "-w", "--"] + argv,
                stdin=stdin, check=check)


def hw_dir(reg, node):
    return os.path.join(reg["nodes"][node]["dir"], "hw")


def status(name):
    reg = load(name)
    links = _run(["ip", "-o", "link", "show"]).stdout
    rows = []
    for node, info in sorted(reg["nodes"].items(), key=lambda kv: kv[1]["index"]):
        pid = init_pid(reg, node)
        mgmt_up = re.search(r": s%dn%dm@[^:]*: <[^>]*\bUP\b" % (reg["slot"], info["index"]), links)
        state = hwstate.load(hw_dir(reg, node))
        driver = None
        if pid:
            try:
                with open("/proc/%d/root/usr/local/Ascend/driver/version.info" % pid) as f:
                    driver = dict(l.split("=", 1) for l in f.read().splitlines() if "=" in l).get("Version")
            except OSError:
                pass
        rows.append({
            "node": node, "mgmt_ip": info["mgmt_ip"],
            "state": "running" if pid else "stopped",
            "reachable": bool(mgmt_up) and pid is not None,
            "driver": driver or "-",
            "faults": _fault_summary(state),
            "roce": _roce_summary(state),
        })
    return reg, rows


def _roce_summary(state):
    """How many of the node's RoCE ports have an address, e.g. '16/16 addressed'."""
    devs = state["devices"]
    return "%d/%d addressed" % (sum(1 for d in devs if d["roce"].get("address")), len(devs))


def _fault_summary(state):
    out = []
    for dev in state["devices"]:
        if dev["health"] != "OK":
            out.append("npu%d:%s" % (dev["phy_id"], dev["health"]))
    for proc in state["processes"]:
        out.append("busy%d" % proc["phy_id"])
    if state["faults"].get("dcmi_error"):
        out.append("dcmi-error")
    if state["faults"].get("disk_full"):
        out.append("disk-full")
    for pkg, kind in sorted(state["faults"].get("installer", {}).items()):
        out.append("installer-%s:%s" % (kind, pkg))
    for dev in state["devices"]:
        if dev["roce"].get("speed_mbps"):
            out.append("slow%d:%d" % (dev["phy_id"], dev["roce"]["speed_mbps"]))
        if dev["roce"].get("loss_percent"):
            out.append("loss%d:%d%%" % (dev["phy_id"], dev["roce"]["loss_percent"]))
    for link in state.get("links_down", []):
        out.append("link-down%d" % link)
    if state.get("node_down"):
        out.append("node-down")
    return ",".join(out) or "-"
