# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host baseline as a node has it: the reader behind ascend_facts' `host` option
(published as ansible_facts.ascend.host).

What a login shell of the training user gets for open files (pam_limits applies
/etc/security/limits.d in a login session only, so `runuser -l` is asked, not this process);
the sysctls named, live from /proc/sys and as the boot-time files set them; /dev/shm (mount,
size, fstab); the CPU governors where cpufreq exists; the init system and the state of named
systemd units; the time services (installed, running, enabled, their config and their own sync
state); and the firewall when firewalld or ufw is active.  Everything is read, nothing written;
whatever is missing is None.  Files are read below Node.root, so tests use fake trees.
Python 3.9+, standard library only.
"""

import os
import pwd
import re

from ansible_collections.ascend_verl.cluster.plugins.module_utils import clock

SBIN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/sbin:/usr/local/bin"
SHM = "/dev/shm"
CPU_DIR = "/sys/devices/system/cpu"
# systemd-sysctl's directories, the first one wins for a file name; /etc/sysctl.conf comes last.
SYSCTL_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d")
SYSCTL_CONF = "/etc/sysctl.conf"
UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system",
             "/lib/systemd/system")
INIT_DIRS = ("/etc/init.d", "/etc/rc.d/init.d")
RC_LINKS = ("/etc/rc[2345].d/S*", "/etc/rc.d/rc[2345].d/S*")
TIMESYNCD_DROPIN = "/etc/systemd/timesyncd.conf.d/ascend-verl.conf"
# The time services the baseline knows, in the order it prefers them.  comm: the process name
# in /proc/PID/comm (15 characters at most).
TIME_SERVICES = (
    ("chrony", {"binaries": ("/usr/sbin/chronyd", "/sbin/chronyd", "/usr/bin/chronyd"), "names": ("chrony", "chronyd"),
                "comm": ("chronyd",), "configs": ("/etc/chrony/chrony.conf", "/etc/chrony.conf"), "systemd_only": False}),
    ("timesyncd", {"binaries": ("/lib/systemd/systemd-timesyncd", "/usr/lib/systemd/systemd-timesyncd"),
                   "names": ("systemd-timesyncd",), "comm": ("systemd-timesyn",), "configs": (TIMESYNCD_DROPIN,),
                   "systemd_only": True}),
    ("ntpd", {"binaries": ("/usr/sbin/ntpd", "/sbin/ntpd"), "names": ("ntpd", "ntp", "ntpsec"), "comm": ("ntpd",),
              "configs": ("/etc/ntpsec/ntp.conf", "/etc/ntp.conf"), "systemd_only": False}),
)
_NOFILE = re.compile(r"@@nofile (\S+) (\S+)")
# ufw status: To / Action / From, e.g. "60000:60050/tcp   ALLOW IN   10.0.0.0/24".
_UFW_RULE = re.compile(r"^(?P<to>.+?)\s{2,}(?P<action>ALLOW|DENY|REJECT|LIMIT)(?: (?P<dir>IN|OUT|FWD))?\s+(?P<src>.+?)\s*$")


def which(node, name):
    """The node's path of a command (looked up below Node.root), None when absent."""
    for directory in SBIN_PATH.split(":"):
        path = "%s/%s" % (directory, name)
        if os.path.isfile(node.at(path)) and os.access(node.at(path), os.X_OK):
            return path
    return None


def sysctl_path(key):
    """'vm.swappiness' -> /proc/sys/vm/swappiness.  As sysctl(8): when the first separator is
    '/', dots are part of the names ('net/ipv4/conf/eth0.100/rp_filter')."""
    slash, dot = key.find("/"), key.find(".")
    if slash != -1 and (dot == -1 or slash < dot):
        return "/proc/sys/" + key.strip("/")
    return "/proc/sys/" + key.replace(".", "/")


def sysctl_key(key):
    """The dotted form of a key written either way."""
    slash, dot = key.find("/"), key.find(".")
    if slash != -1 and (dot == -1 or slash < dot):
        return key.strip("/").replace("/", ".")
    return key


def live_sysctls(node, keys):
    """{key: value as the kernel prints it (whitespace collapsed), None when absent}."""
    out = {}
    for key in keys:
        text = node.read(sysctl_path(key))
        out[key] = " ".join(text.split()) if text is not None else None
    return out


def _sysctl_lines(text):
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip()
        if key.startswith("-"):
            key = key[1:].strip()
        yield sysctl_key(key), " ".join(value.split())


def boot_sysctls(node, keys):
    """{key: [[file, value], ...]} in the order a boot applies them (systemd-sysctl and
    `sysctl --system`: *.conf by file name over SYSCTL_DIRS, a name in an earlier directory
    hiding the same name in a later one, then /etc/sysctl.conf); the last entry wins."""
    by_name = {}
    for directory in SYSCTL_DIRS:
        for path in node.glob(directory + "/*.conf"):
            by_name.setdefault(os.path.basename(path), node.shown(path))
    files = [by_name[name] for name in sorted(by_name)]
    if os.path.isfile(node.at(SYSCTL_CONF)) and not any(os.path.realpath(node.at(f)) == os.path.realpath(
            node.at(SYSCTL_CONF)) for f in files):
        files.append(SYSCTL_CONF)
    asked = dict((sysctl_key(k), k) for k in keys)
    out = dict((k, []) for k in keys)
    for path in files:
        for key, value in _sysctl_lines(node.read(path)):
            if key in asked:
                out[asked[key]].append([path, value])
    return out


def passwd_entry(node, name):
    """(uid, home, shell) of a user, None when unknown.  On the node itself NSS answers (LDAP
    users too); in a test tree its /etc/passwd does."""
    if node.root is None:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            return None
        return entry.pw_uid, entry.pw_dir, entry.pw_shell
    for line in (node.read("/etc/passwd") or "").splitlines():
        fields = line.split(":")
        if len(fields) >= 7 and fields[0] == name:
            return int(fields[2]) if fields[2].isdigit() else None, fields[5], fields[6]
    return None


def _limit(text):
    return int(text) if text.isdigit() else text


def user_limits(run, node, name):
    """What a login session of `name` gets: `runuser -l` (su - without runuser) opens one through
    PAM, so pam_limits applies limits.conf and limits.d as at an ssh login."""
    entry = passwd_entry(node, name)
    out = {"name": name, "exists": entry is not None, "uid": None, "shell": None, "nofile": None, "error": None}
    if entry is None:
        return out
    out["uid"], dummy, out["shell"] = entry
    script = 'echo "@@nofile $(ulimit -Sn) $(ulimit -Hn)"'
    shell = []
    if not out["shell"] or os.path.basename(out["shell"]) in ("nologin", "false"):
        shell = ["-s", "/bin/sh"]          # still a PAM login session, with a shell that runs
    runuser = which(node, "runuser")
    argv = [runuser, "-l", name] + shell + ["-c", script] if runuser else ["su", "-", name] + shell + ["-c", script]
    rc, stdout, stderr = run(argv)
    match = _NOFILE.search(stdout or "")
    if rc != 0 or not match:
        out["error"] = ((stderr or stdout or "").strip() or "exit status %s" % rc)[-300:]
        return out
    out["nofile"] = {"soft": _limit(match.group(1)), "hard": _limit(match.group(2))}
    return out


def meminfo_total(node):
    match = re.search(r"(?m)^MemTotal:\s+(\d+)\s+kB", node.read("/proc/meminfo") or "")
    return int(match.group(1)) * 1024 if match else None


def shm(node, statvfs):
    """/dev/shm as mounted (the last mount on it wins), its size in bytes and the fstab lines for it."""
    found = None
    for line in (node.read("/proc/self/mounts") or "").splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[1] == SHM:
            found = fields
    out = {"mounted": found is not None, "fstype": found[2] if found else None,
           "options": found[3] if found else None, "bytes": None, "fstab": []}
    if found:
        try:
            st = statvfs(node.at(SHM))
            out["bytes"] = st.f_blocks * st.f_frsize
        except OSError:
            pass
    for line in (node.read("/etc/fstab") or "").splitlines():
        fields = line.split()
        if len(fields) >= 2 and not fields[0].startswith("#") and fields[1] == SHM:
            out["fstab"].append(line.strip())
    return out


def cpufreq(node):
    """Governors where cpufreq exists: {present, cpus, governors: {cpuN: governor}, available}."""
    cpus = [p for p in node.glob(CPU_DIR + "/cpu[0-9]*") if os.path.basename(p)[3:].isdigit()]
    governors, available = {}, []
    for path in sorted(cpus, key=lambda p: int(os.path.basename(p)[3:])):
        name = os.path.basename(path)
        if not os.path.isdir(os.path.join(path, "cpufreq")):
            continue
        text = node.read("%s/%s/cpufreq/scaling_governor" % (CPU_DIR, name))
        governors[name] = text.strip() if text is not None else None
        for gov in (node.read("%s/%s/cpufreq/scaling_available_governors" % (CPU_DIR, name)) or "").split():
            if gov not in available:
                available.append(gov)
    return {"present": bool(governors), "cpus": len(cpus), "governors": governors, "available": available}


def systemd_running(node):
    return os.path.isdir(node.at("/run/systemd/system"))


def unit_state(run, unit):
    """`systemctl is-enabled UNIT`: enabled, disabled, static, masked, ... or not-found."""
    rc, out, err = run(["systemctl", "is-enabled", unit])
    text = (out or "").strip().splitlines()
    if text:
        return text[-1].strip()
    return "not-found" if "not found" in (err or "").lower() or "no such file" in (err or "").lower() else None


def sysv_state(node, unit):
    """A SysV init script's state, as systemctl would name it: enabled (an S link in a runlevel 2-5
    directory), disabled (script, no link) or not-found; None where there is no /etc/init.d."""
    name = unit[:-len(".service")] if unit.endswith(".service") else unit
    scripts = [d for d in INIT_DIRS if os.path.isdir(node.at(d))]
    if not scripts:
        return None
    if not any(os.path.exists(node.at("%s/%s" % (d, name))) for d in scripts):
        return "not-found"
    return "enabled" if _sysv_enabled(node, name) else "disabled"


def rc_tool(node):
    """What links SysV init scripts into the runlevels here: update-rc.d, chkconfig or None."""
    return next((tool for tool in ("update-rc.d", "chkconfig") if which(node, tool)), None)


def running_commands(node):
    names = set()
    for path in node.glob("/proc/[0-9]*/comm"):
        text = node.read(node.shown(path))
        if text:
            names.add(text.strip())
    return names


def _service_name(node, names, systemd):
    if systemd:
        for name in names:
            if any(os.path.exists(node.at("%s/%s.service" % (d, name))) for d in UNIT_DIRS):
                return name
    for name in names:
        if any(os.path.exists(node.at("%s/%s" % (d, name))) for d in INIT_DIRS):
            return name
    return None


def _sysv_enabled(node, name):
    if not any(node.glob(pattern.replace("S*", "")) for pattern in RC_LINKS):
        return None          # no runlevel directories: nothing to enable
    return any(re.match(r"^S\d*%s$" % re.escape(name), os.path.basename(p)) for pattern in RC_LINKS
               for p in node.glob(pattern))


def service_sync(run, node, kind):
    """The service's own sync state, or {error} when it cannot be asked."""
    if kind == "chrony":
        argv, parser = ["chronyc", "-n", "tracking"], clock.parse_chronyc_tracking
    elif kind == "ntpd":
        argv, parser = ["ntpq", "-pn"], clock.parse_ntpq_peers
    else:
        argv, parser = ["timedatectl", "timesync-status"], None
    if not which(node, argv[0]):
        return {"source": " ".join(argv), "error": "%s is not installed" % argv[0]}
    rc, out, err = run(argv)
    if parser is None:
        dummy, flag, dummy = run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
        flag = (flag or "").strip()
        found = clock.parse_timesync_status(out if rc == 0 else "", {"yes": True, "no": False}.get(flag))
    else:
        found = parser(out) if rc == 0 else None
    if found is None:
        return {"source": " ".join(argv), "error": ((err or out or "").strip() or "exit status %s" % rc)[-300:]}
    found["source"] = " ".join(argv)
    return found


def time_services(run, node, systemd, commands):
    """{kind: {installed, name, running, enabled, config: {path, text}}} and the kind in use."""
    services = {}
    for kind, spec in TIME_SERVICES:
        installed = any(os.path.isfile(node.at(b)) for b in spec["binaries"])
        if spec["systemd_only"] and not systemd:
            installed = False
        running = any(c in commands for c in spec["comm"])
        entry = {"installed": installed, "name": None, "running": running, "enabled": None, "config": None}
        if installed or running:
            entry["name"] = _service_name(node, spec["names"], systemd) or spec["names"][0]
            if systemd:
                state = unit_state(run, entry["name"])
                entry["enabled"] = state
            else:
                enabled = _sysv_enabled(node, entry["name"])
                entry["enabled"] = None if enabled is None else ("enabled" if enabled else "disabled")
            path = next((c for c in spec["configs"] if os.path.isfile(node.at(c))), spec["configs"][0])
            entry["config"] = {"path": path, "text": node.read(path)}
        services[kind] = entry
    return services


def time_sync(run, node, systemd):
    commands = running_commands(node)
    services = time_services(run, node, systemd, commands)
    order = [kind for kind, dummy in TIME_SERVICES]
    running = [k for k in order if services[k]["running"]]
    installed = [k for k in order if services[k]["installed"]]
    in_use = (running or installed or [None])[0]
    sync = service_sync(run, node, in_use) if in_use and services[in_use]["running"] else None
    return {"services": services, "service": in_use, "sync": sync,
            "kernel": clock.read_kernel() if node.root is None else None}


# ---- firewall ------------------------------------------------------------------------------

def port_span(text):
    """'6766' -> (6766, 6766); '60000-60050' or '60000:60050' -> (60000, 60050); None otherwise."""
    match = re.match(r"^\s*(\d+)(?:\s*[-:]\s*(\d+))?\s*$", str(text))
    if not match:
        return None
    low = int(match.group(1))
    return low, int(match.group(2) or low)


def _rule(port, proto, source):
    span = port_span(port)
    if span is None:
        return None
    return {"port": "%d-%d" % span if span[0] != span[1] else str(span[0]), "proto": proto, "source": source}


def parse_firewalld_ports(text):
    out = []
    for item in (text or "").split():
        port, dummy, proto = item.partition("/")
        rule = _rule(port, proto or "tcp", None)
        if rule:
            out.append(rule)
    return out


def parse_rich_rules(text):
    """Accepting rich rules with a source and a port (firewall-cmd prints them normalised)."""
    out = []
    for line in (text or "").splitlines():
        if " accept" not in line or " not " in line.lower() or "port port=" not in line:
            continue
        source = re.search(r'source address="([^"]+)"', line)
        port = re.search(r'port port="([^"]+)" protocol="(\w+)"', line)
        if port:
            rule = _rule(port.group(1), port.group(2), source.group(1) if source else None)
            if rule:
                out.append(rule)
    return out


def parse_ufw_status(text):
    """`ufw status` -> (active, [rule]) for the ALLOW (IN) rules to a port on any address."""
    lines = (text or "").splitlines()
    active = any(line.strip().lower() == "status: active" for line in lines)
    rules = []
    for line in lines:
        line = line.split("#", 1)[0].rstrip()          # a rule's comment
        match = _UFW_RULE.match(line)
        if not match or match.group("action") != "ALLOW" or match.group("dir") not in (None, "IN"):
            continue
        to, src = match.group("to").replace(" (v6)", ""), match.group("src").replace(" (v6)", "")
        if " " in to.strip():          # "10.0.0.5 6766/tcp": to one address only
            continue
        port, dummy, proto = to.strip().partition("/")
        for p in (["tcp", "udp"] if not proto else [proto]):
            rule = _rule(port, p, None if src == "Anywhere" else src)
            if rule and rule not in rules:
                rules.append(rule)
    return active, rules


def firewall(run, node, zone):
    """{active: firewalld | ufw | None, zone, runtime: [rule], permanent: [rule], error}; a rule is
    {port: 'P' or 'LOW-HIGH', proto, source: None (any) or an address/CIDR}."""
    out = {"active": None, "zone": None, "runtime": [], "permanent": [], "error": None}
    if which(node, "firewall-cmd"):
        rc, state, dummy = run(["firewall-cmd", "--state"])
        if rc == 0 and state.strip() == "running":
            out["active"] = "firewalld"
            if not zone:
                dummy, zone, dummy = run(["firewall-cmd", "--get-default-zone"])
                zone = zone.strip()
            out["zone"] = zone
            for key, prefix in (("runtime", []), ("permanent", ["--permanent"])):
                rc1, ports, err1 = run(["firewall-cmd"] + prefix + ["--zone=" + zone, "--list-ports"])
                rc2, rich, err2 = run(["firewall-cmd"] + prefix + ["--zone=" + zone, "--list-rich-rules"])
                if rc1 != 0 or rc2 != 0:
                    out["error"] = (err1 or err2 or "firewall-cmd failed").strip()
                out[key] = parse_firewalld_ports(ports) + parse_rich_rules(rich)
            return out
    if which(node, "ufw"):
        rc, status, err = run(["ufw", "status"])
        active, rules = parse_ufw_status(status if rc == 0 else "")
        if active:
            out.update(active="ufw", runtime=rules, permanent=list(rules))
        elif rc != 0:
            out["error"] = (err or status or "ufw status failed").strip()
    return out


def gather(run, node, options, statvfs=None):
    """The whole host read.  options: {user, sysctls, firewall_zone, units}."""
    options = options or {}
    keys = list(options.get("sysctls") or [])
    systemd = systemd_running(node)
    units = options.get("units") or []
    nr_open = (node.read("/proc/sys/fs/nr_open") or "").strip()
    return {
        "user": user_limits(run, node, options.get("user") or "root"),
        "nr_open": int(nr_open) if nr_open.isdigit() else None,
        "sysctls": live_sysctls(node, keys),
        "sysctl_boot": boot_sysctls(node, keys),
        "shm": shm(node, statvfs or os.statvfs),
        "memory": {"total_bytes": meminfo_total(node), "page_size": os.sysconf("SC_PAGE_SIZE")},
        "cpufreq": cpufreq(node),
        "init": "systemd" if systemd else "other",
        "units": dict((u, unit_state(run, u) if systemd else sysv_state(node, u)) for u in units),
        "rc_tool": rc_tool(node),
        "time": time_sync(run, node, systemd),
        "firewall": firewall(run, node, options.get("firewall_zone") or ""),
    }
