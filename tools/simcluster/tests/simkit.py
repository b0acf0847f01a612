"""Helpers for the simulator's cluster tests: drive the real CLI, SSH and Ansible."""

import json
import os
import platform
import re
import subprocess
import tempfile

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


class Cluster:
    """A cluster booted for a test module; everything goes through real interfaces."""

    def __init__(self, name, profile="a2", nodes=3):
        self.name, self.profile, self.nodes = name, profile, nodes
        self.build = os.path.join(REPO, "build", "sim", name)
        self.inventory = os.path.join(self.build, "hosts.yml")

    def up(self):
        sim("down", self.name)
        sim("up", self.name, "--profile", self.profile, "--nodes", self.nodes)
        with open(os.path.join("/run/simcluster", self.name, "cluster.json")) as f:
            self.registry = json.load(f)
        return self

    def down(self):
        sim("down", self.name)

    def ip(self, node):
        return self.registry["nodes"][node]["mgmt_ip"]

    def device_ip(self, node, phy_id):
        index = self.registry["nodes"][node]["index"] - 1
        return self.registry["plan"]["nodes"][index]["device_ips"][phy_id]

    def ssh(self, node, command, check=True, known_hosts=None, stdin=None):
        argv = ["ssh", "-i", os.path.join(self.build, "id_ed25519"),
                "-o", "UserKnownHostsFile=" + (known_hosts or os.path.join(self.build, "known_hosts")),
                "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                "-o", "ConnectTimeout=5", "root@" + self.ip(node), command]
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, input=stdin, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("%s: %r failed (%d): %s%s" % (node, command, proc.returncode,
                                                               proc.stdout, proc.stderr))
        return proc

    def scp(self, node, source, target):
        subprocess.run(["scp", "-q", "-i", os.path.join(self.build, "id_ed25519"),
                        "-o", "UserKnownHostsFile=" + os.path.join(self.build, "known_hosts"),
                        "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                        source, "root@%s:%s" % (self.ip(node), target)], check=True)

    def fault(self, node, kind, *args):
        return sim("fault", self.name, node, kind, *args)

    def ansible(self, pattern, module, args="", timeout=5):
        """Ad-hoc Ansible with a fresh ControlPath dir (no master connection to reuse);
        returns the recap per host."""
        env, results = results_env()
        env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = tempfile.mkdtemp(prefix="simtest-cp-")
        argv = [os.path.join(VENV_BIN, "ansible"), "-i", self.inventory, pattern, "-m", module,
                "-T", str(timeout)] + (["-a", args] if args else [])
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, env=env, check=False)
        try:
            with open(results) as f:
                return json.load(f)["stats"]
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
