"""The two small overlay layers above the cached rootfs.

sim layer (one per cluster): the node's init, the shutdown/reboot stand-in, the node-side
control library, sshd settings, chrony's options (-x) and the counted interpreter
(COUNTED_PYTHON).  Stand-ins the *driver* installs (npu-smi, hccn_tool) are not on the
node's paths: they appear only once a driver .run has run on the node (the library holds
hccn_tool.py for the boot, which re-applies /etc/hccn.conf as a loaded driver does).
node layer (one per node): hostname, hosts, host key, authorized key, and /etc/hccn.conf
unless the cluster is unaddressed.
"""

import os
import shutil
import subprocess

from . import config

SSHD_CONF = """\
# simcluster: key-only root login for Ansible, many concurrent sessions, fast logins.
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
HostKey /etc/ssh/ssh_host_ed25519_key
MaxStartups 200:30:400
MaxSessions 64
"""

# The node's Python, counted: with ansible_python_interpreter pointing here, every module run
# (one interpreter start each, pipelining or not) appends one line "<seconds since boot> <PID>"
# to MODULE_RUNS_LOG on the node's own disk (the overlay's upper layer: it survives a reboot,
# unlike /run), then execs /usr/bin/python3 with the same arguments, stdin, environment and
# PID, so output and exit status are Python's.  No extra process on the normal path (read and
# printf are dash builtins; mkdir only when the directory is missing); a failed append (full
# disk, read-only) is silent and Python runs anyway.  Count: `wc -l < LOG`; reset: `: > LOG`.
COUNTED_PYTHON = "/opt/simcluster/bin/python3-counted"
MODULE_RUNS_LOG = "/var/log/simcluster/module-runs.log"
COUNTED_PYTHON_SH = """\
#!/bin/sh
# simcluster: /usr/bin/python3, counted (one line per start in {log}).
{{
    read -r _simcluster_up _simcluster_idle </proc/uptime
    printf '%s %s\\n' "$_simcluster_up" "$$" >>{log} ||
        {{ mkdir -p {dir} && printf '%s %s\\n' "$_simcluster_up" "$$" >>{log}; }}
}} 2>/dev/null
exec /usr/bin/python3 "$@"
""".format(log=MODULE_RUNS_LOG, dir=os.path.dirname(MODULE_RUNS_LOG))

# chronyd must never steer the host's clock (every node shares it): -x leaves the clock
# alone (chronyd still tracks its sources and serves time); the nodes also lack CAP_SYS_TIME.
CHRONY_DEFAULT = """\
# simcluster: this node shares the host's clock; chronyd must not adjust it (-x).
# Options to pass to chrony.
DAEMON_OPTS="-F 1 -x"
"""

README = """\
This node is simulated by simcluster (tools/simcluster in the ascend_verl.cluster
repository).  npu-smi, hccn_tool and the Ascend .run packages on it are stand-ins that
reproduce the real tools' output; nothing here is Huawei software.
"""


def _write(root, rel, text, mode=0o644):
    target = os.path.join(root, rel)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w") as f:
        f.write(text)
    os.chmod(target, mode)


def _copy(root, rel, source, mode=0o755):
    target = os.path.join(root, rel)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(source, target)
    os.chmod(target, mode)


def write_sim_layer(root):
    s = config.STANDINS_DIR
    _copy(root, "usr/sbin/simcluster-init", os.path.join(s, "init.sh"))
    for name in ("shutdown", "reboot", "poweroff", "halt"):
        _copy(root, "usr/sbin/" + name, os.path.join(s, "shutdown.sh"))
    for lib in ("hwstate.py", "simctl.py", "nodekernel.py", "hccn_tool.py"):
        _copy(root, "opt/simcluster/lib/" + lib, os.path.join(s, lib), 0o644)
    _write(root, "opt/simcluster/README", README)
    _write(root, COUNTED_PYTHON.lstrip("/"), COUNTED_PYTHON_SH, 0o755)
    _write(root, "etc/ssh/sshd_config.d/simcluster.conf", SSHD_CONF)
    _write(root, "etc/default/chrony", CHRONY_DEFAULT)
    # Headers of the running kernel, the way linux-headers-$(uname -r) leaves them, so the
    # driver's DKMS prerequisites are "installed" (nodes are offline).  /lib is a symlink
    # to usr/lib in the rootfs: write below usr/.
    kernel = os.uname().release
    _write(root, "usr/src/linux-headers-%s/Makefile" % kernel,
           "# simcluster: stand-in kernel headers for %s\n" % kernel)
    os.makedirs(os.path.join(root, "usr/lib/modules", kernel), exist_ok=True)
    os.symlink("/usr/src/linux-headers-" + kernel, os.path.join(root, "usr/lib/modules", kernel, "build"))
    for mountpoint in ("opt/simcluster/hw", "opt/simcluster/fabric", ".simdisk"):
        os.makedirs(os.path.join(root, mountpoint), exist_ok=True)


def write_node_layer(root, node, hosts_text, client_pubkey, hccn_conf):
    _write(root, "etc/hostname", node + "\n")
    _write(root, "etc/hosts", hosts_text)
    _write(root, "etc/machine-id", os.urandom(16).hex() + "\n", 0o444)
    if hccn_conf is not None:
        _write(root, "etc/hccn.conf", hccn_conf)
    _write(root, "root/.ssh/authorized_keys", client_pubkey, 0o600)
    os.chmod(os.path.join(root, "root"), 0o700)
    os.chmod(os.path.join(root, "root/.ssh"), 0o700)
    key = os.path.join(root, "etc/ssh/ssh_host_ed25519_key")
    os.makedirs(os.path.dirname(key), exist_ok=True)
    subprocess.check_call(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                           "root@" + node, "-f", key])
    with open(key + ".pub") as f:
        return f.read().split()[:2]          # ["ssh-ed25519", "AAAA..."]


def hosts_file(plan, domain="sim"):
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    for n in plan["nodes"]:
        lines.append("%s\t%s.%s %s" % (n["mgmt_ip"], n["name"], domain, n["name"]))
    return "\n".join(lines) + "\n"
