"""Helpers for the simulator's cluster tests: drive the real CLI, SSH and Ansible."""

import ctypes
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

TOOL = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(TOOL))
SIM = os.path.join(TOOL, "simcluster")
VENV_BIN = os.path.join(REPO, ".venv", "bin")


def sim(*args, check=True):
    proc = subprocess.run([SIM] + [str(a) for a in args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    if check and proc.returncode != 0:
        cmd = " ".join(map(str, args))
        raise AssertionError("simcluster %s failed (%d): %s" % (cmd, proc.returncode, proc.stderr))
    return proc


# inventory path -> Cluster, so a test helper holding only the inventory can look inside a node
CLUSTERS = {}


class Cluster:
    """A cluster booted for a test module; everything goes through real interfaces."""

    def __init__(self, name, profile="a2", nodes=3, unaddressed=False, inventory_vars=None):
        """unaddressed: RoCE ports come up without address, gateway and netdetect address
        and without /etc/hccn.conf (`simcluster up --unaddressed`); hosts.yml carries the
        fabric_plan that addresses them either way.  inventory_vars: added to hosts.yml's
        `all` vars, as a user would set them in the inventory."""
        self.name, self.profile, self.nodes = name, profile, nodes
        self.unaddressed = unaddressed
        self.inventory_vars = dict(inventory_vars or {})
        self.build = os.path.join(REPO, "build", "sim", name)
        self.inventory = os.path.join(self.build, "hosts.yml")
        CLUSTERS[self.inventory] = self

    def up(self):
        sim("down", self.name)
        sim("up", self.name, "--profile", self.profile, "--nodes", self.nodes,
            *(["--unaddressed"] if self.unaddressed else []))
        with open(os.path.join("/run/simcluster", self.name, "cluster.json")) as f:
            self.registry = json.load(f)
        if self.inventory_vars:
            import yaml  # pylint: disable=import-outside-toplevel
            with open(self.inventory) as f:
                inventory = yaml.safe_load(f)
            inventory["all"].setdefault("vars", {}).update(self.inventory_vars)
            with open(self.inventory, "w") as f:
                yaml.safe_dump(inventory, f, default_flow_style=False, sort_keys=False)
        return self

    def down(self):
        sim("down", self.name)

    def ip(self, node):
        return self.registry["nodes"][node]["mgmt_ip"]

    def device_ip(self, node, phy_id):
        """The address the plan gives a device (what a configured cluster's port has)."""
        index = self.registry["nodes"][node]["index"] - 1
        return self.registry["plan"]["nodes"][index]["device_ips"][phy_id]

    def plane(self, phy_id):
        """The device's subnet in the plan: dict with cidr, netmask, prefix, gateway, devices."""
        for plane in self.registry["plan"]["planes"]:
            if phy_id in plane["devices"]:
                return plane
        raise KeyError(phy_id)

    def fast_pings(self, interval_s=0.2):
        """hccn_tool -ping sends its 3 packets interval_s apart instead of 1 s (every node's
        hardware state, ping.interval_s): for tests that ping a lot."""
        sys.path.insert(0, os.path.join(TOOL, "standins"))
        import hwstate  # pylint: disable=import-outside-toplevel
        for info in self.registry["nodes"].values():
            with hwstate.locked(os.path.join(info["dir"], "hw")) as state:
                state["ping"]["interval_s"] = interval_s
        return self

    def boot_id(self, node):
        return self.ssh(node, "cat /proc/sys/kernel/random/boot_id").stdout.strip()

    def reboot(self, *nodes, timeout=60):
        """Reboot nodes (the shutdown stand-in, as `reboot` on them) and wait until each
        answers SSH with a new boot id."""
        before = {n: self.boot_id(n) for n in nodes}
        for node in nodes:
            self.ssh(node, "reboot")
        deadline = time.time() + timeout
        pending = set(nodes)
        while pending and time.time() < deadline:
            for node in sorted(pending):
                probe = self.ssh(node, "cat /proc/sys/kernel/random/boot_id", check=False)
                if probe.returncode == 0 and probe.stdout.strip() not in ("", before[node]):
                    pending.discard(node)
            if pending:
                time.sleep(0.2)     # polling for the boot, not waiting for a result
        if pending:
            raise AssertionError("%s did not come back within %ds" % (", ".join(sorted(pending)), timeout))

    def ssh(self, node, command, check=True, known_hosts=None, stdin=None):
        argv = ["ssh", "-i", os.path.join(self.build, "id_ed25519"),
                "-o", "UserKnownHostsFile=" + (known_hosts or os.path.join(self.build, "known_hosts")),
                "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                "-o", "ConnectTimeout=30", "root@" + self.ip(node), command]
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, input=stdin, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("%s: %r failed (%d): %s%s%s" % (
                node, command, proc.returncode, proc.stdout, proc.stderr,
                self.inside(node) if proc.returncode == 255 else ""))
        return proc

    def inside(self, node):
        """What a node that SSH cannot reach looks like from inside (its namespaces, no SSH):
        sshd's listener and log, the busiest processes, load and memory; for failure messages."""
        sys.path.insert(0, TOOL)
        from sim import cluster  # pylint: disable=import-outside-toplevel
        script = ("cat /proc/loadavg; grep -E 'MemAvailable|Shmem:' /proc/meminfo; ss -ltnp 2>&1 | grep -w 22; "
                  "tail -15 /var/log/sshd.log; ps -eo pid,stat,etimes,pcpu,rss,args --sort=-pcpu | head -25 | cut -c1-160")
        try:
            out = cluster.node_exec(cluster.load(self.name), node, ["sh", "-c", script], check=False).stdout
        except Exception as e:  # pylint: disable=broad-except
            out = "cannot enter %s: %s" % (node, e)
        return "\n--- inside %s (simcluster) ---\n%s" % (node, out)

    def scp(self, node, source, target):
        subprocess.run(["scp", "-q", "-i", os.path.join(self.build, "id_ed25519"),
                        "-o", "UserKnownHostsFile=" + os.path.join(self.build, "known_hosts"),
                        "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                        source, "root@%s:%s" % (self.ip(node), target)], check=True)

    def fault(self, node, kind, *args):
        return sim("fault", self.name, node, kind, *args)

    def ansible(self, pattern, module, args="", timeout=5, full=False):
        """Ad-hoc Ansible with a fresh ControlPath dir (no master connection to reuse);
        returns the recap per host (full: the whole results JSON, with each host's result
        under ["tasks"][0]["hosts"])."""
        env, results = results_env()
        env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = tempfile.mkdtemp(prefix="simtest-cp-")
        argv = [os.path.join(VENV_BIN, "ansible"), "-i", self.inventory, pattern, "-m", module,
                "-T", str(timeout)] + (["-a", args] if args else [])
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, env=env, check=False)
        try:
            with open(results) as f:
                data = json.load(f)
                return data if full else data["stats"]
        except (OSError, ValueError):
            raise AssertionError("ansible left no results: " + proc.stdout[-2000:])

    def install_driver(self, node, run_file):
        """Put a driver .run stand-in on the node and run it the way the hdk role will."""
        self.scp(node, run_file, "/root/")
        name = os.path.basename(run_file)
        self.ssh(node, "getent group HwHiAiUser >/dev/null || groupadd HwHiAiUser; "
                       "id HwHiAiUser >/dev/null 2>&1 || useradd -g HwHiAiUser -M HwHiAiUser")
        return self.ssh(node, "bash /root/%s --nox11 --full --quiet --install-for-all" % name,
                        check=False)


def results_env():
    """Environment that makes ansible(-playbook) write its results to a JSON file."""
    fd, results = tempfile.mkstemp(prefix="ansible-results-", suffix=".json")
    os.close(fd)
    os.unlink(results)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), RESULTS_JSON=results,
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(REPO, "tests", "callback_plugins"),
               ANSIBLE_CALLBACKS_ENABLED="results_json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_FORCE_COLOR="0")
    return env, results


def run_file(directory, kind):
    """The .run of `kind` (driver, firmware, ...) for this cluster's chip in `directory`."""
    arch = platform.machine()      # the nodes run on this machine's architecture
    pattern = {"driver": r"Ascend-hdk-910b-npu-driver_.*_linux-%s\.run$" % arch,
               "driver-a3": r"Ascend-hdk-910_93-npu-driver_.*_linux-%s\.run$" % arch,
               "firmware": r"Ascend-hdk-910b-npu-firmware_.*\.run$"}[kind]
    for name in sorted(os.listdir(directory)):
        if re.match(pattern, name):
            return os.path.join(directory, name)
    raise AssertionError("no %s package in %s" % (kind, directory))


def leftovers(name):
    """Everything a cluster could leave on the host; empty when it is truly gone."""
    out = {}
    netns = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE,
                           universal_newlines=True, check=True).stdout
    out["netns"] = [l for l in netns.splitlines() if l.startswith("simc-%s-" % name)]
    links = subprocess.run(["ip", "-o", "link", "show"], stdout=subprocess.PIPE,
                           universal_newlines=True, check=True).stdout
    out["links"] = [l for l in links.splitlines() if "simcluster:%s" % name in l]
    with open("/proc/mounts") as f:
        out["mounts"] = [l for l in f if "simc-%s-" % name in l or "/simcluster/%s/" % name in l]
    out["dirs"] = [d for d in ("/run/simcluster/" + name, os.path.join(REPO, "build", "sim", name))
                   if os.path.exists(d)]
    return {k: v for k, v in out.items() if v}


def running(pid):
    """True while pid exists and is not a zombie waiting for its parent."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(") ", 1)[1][0] != "Z"
    except OSError:
        return False


class Timex(ctypes.Structure):
    """struct timex of <sys/timex.h> (Linux, 64-bit longs)."""
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("constant", ctypes.c_long), ("precision", ctypes.c_long),
                ("tolerance", ctypes.c_long), ("time_sec", ctypes.c_long),
                ("time_usec", ctypes.c_long), ("tick", ctypes.c_long), ("ppsfreq", ctypes.c_long),
                ("jitter", ctypes.c_long), ("shift", ctypes.c_int), ("stabil", ctypes.c_long),
                ("jitcnt", ctypes.c_long), ("calcnt", ctypes.c_long), ("errcnt", ctypes.c_long),
                ("stbcnt", ctypes.c_long), ("tai", ctypes.c_int), ("reserved", ctypes.c_int * 11)]


def adjtimex():
    """The host clock's state, read only (modes 0): what `adjtimex -p` prints."""
    t = Timex()
    if ctypes.CDLL(None, use_errno=True).adjtimex(ctypes.byref(t)) < 0:
        raise OSError(ctypes.get_errno(), "adjtimex")
    return t
