# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan for the host baseline verl and SGLang on Ascend expect (role baseline).

From the facts host_facts read (ansible_facts.ascend.host) and the baseline_* knobs: open files
for the training user (a limits.d file, judged by what a login shell of the user gets), the
size of /dev/shm (remount when it differs, persisted in /etc/fstab), sysctls (set with
`sysctl -w` where the live value differs, persisted in a sysctl.d file), the CPU governor where
cpufreq exists (persisted by a oneshot systemd unit where systemd runs), time sync (a time
service enabled and running, optional servers in its config) and the firewall (the Ray and HCCL
ports, only where firewalld or ufw is active).

Every step carries what the role's tasks need (argv, file content, lines) and why; `notes` are
what is reported without failing (keys absent on the node, no cpufreq, the sync state, ...).
A knob that is false or empty leaves its setting alone.  The knob checks of layer 1 for the
formats argument specs cannot express are here too (KNOB_CHECKS), next to the code that reads
the same values.  Python 3.9+, standard library only.
"""

import hashlib
import ipaddress
import math
import os
import re

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.common import plan
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.files import stale
from ansible_collections.ascend_verl.cluster.plugins.module_utils.preflight import problem

HEADER = "# Managed by ascend_verl.cluster (role baseline): edits here are overwritten.\n"
SHM = "/dev/shm"
GOVERNOR_UNIT = "ascend-verl-cpu-governor.service"
GOVERNOR_UNIT_PATH = "/etc/systemd/system/" + GOVERNOR_UNIT
TIMESYNCD_DROPIN = "/etc/systemd/timesyncd.conf.d/ascend-verl.conf"
GOVERNOR_SCRIPT_NAME = "ascend-verl-cpu-governor"
GOVERNOR_SCRIPT_PATH = "/etc/init.d/" + GOVERNOR_SCRIPT_NAME
GOVERNOR_SCRIPT = """#!/bin/sh
### BEGIN INIT INFO
# Provides:          %(name)s
# Required-Start:    $local_fs
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:
# Short-Description: CPU frequency governor %(governor)s for Ascend training
### END INIT INFO
%(header)s
case "$1" in
    start|restart|force-reload)
        for f in /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor; do
            [ -w "$f" ] && echo %(governor)s > "$f"
        done
        ;;
    stop|status) ;;
    *) echo "Usage: $0 {start|stop|restart|force-reload|status}" >&2; exit 3 ;;
esac
exit 0
"""
BLOCK_MARKER = "# {mark} ascend_verl.cluster baseline: time servers"
# verl needs 32768 or more (the default is 65536); lower values are allowed for hosts whose kernel
# cannot give more (a container, a sandbox), never below what any distribution starts with.
NOFILE_MIN = 1024
RESERVED_PORTS = "net.ipv4.ip_local_reserved_ports"
_OFF = ("", "false", "no", "off", "none")
_SIZE = re.compile(r"^(\d+)([kKmMgGtTpPeE]?)$")
_PERCENT = re.compile(r"^(\d+)%$")
_SHIFT = {"": 0, "k": 10, "m": 20, "g": 30, "t": 40, "p": 50, "e": 60}
INSTALL = {"apt": "apt-get install chrony", "dnf": "dnf install chrony", "yum": "yum install chrony",
           "zypper": "zypper install chrony"}


def off(value):
    """False, None, '' (and 'false', 'no', 'off', 'none' as -e gives them) leave a setting alone."""
    return value is None or value is False or (isinstance(value, str) and value.strip().lower() in _OFF)


# ---- values --------------------------------------------------------------------------------

def shm_bytes(size, mem_total, page_size):
    """tmpfs' size= as the kernel takes it (mm/shmem.c): N% of RAM or a size with a binary suffix,
    rounded up to whole pages; None when unreadable (or a percentage without MemTotal)."""
    text = str(size).strip()
    match = _PERCENT.match(text)
    if match:
        if not mem_total:
            return None
        wanted = int(match.group(1)) * mem_total // 100
    else:
        match = _SIZE.match(text)
        if not match:
            return None
        wanted = int(match.group(1)) << _SHIFT[match.group(2).lower()]
    return int(math.ceil(float(wanted) / page_size)) * page_size


def port_spans(text):
    """'60000-60050,60100' -> [(60000, 60050), (60100, 60100)], merged and sorted; None if unreadable."""
    spans = []
    for item in re.split(r"[,\s]+", str(text).strip()):
        if not item:
            continue
        match = re.match(r"^(\d+)(?:-(\d+))?$", item)
        if not match:
            return None
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if low > high:
            return None
        spans.append((low, high))
    merged = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def sysctl_value(key, value):
    """A value the way the kernel prints it back, so a wanted and a live value compare."""
    text = " ".join(str(value).split())
    if key == RESERVED_PORTS:
        spans = port_spans(text)
        if spans is not None:
            return ",".join("%d-%d" % s if s[0] != s[1] else str(s[0]) for s in spans)
    return text


def wanted_sysctls(knobs):
    """{key: value} from baseline_sysctls and baseline_sysctls_extra (extra wins; an off value
    drops the key), in knob order.  A value '>=N' stays as it is: at least N (minimum())."""
    merged = dict(knobs.get("baseline_sysctls") or {})
    merged.update(knobs.get("baseline_sysctls_extra") or {})
    out = {}
    for key, value in merged.items():
        if not off(value):
            least = minimum(value)
            out[str(key)] = ">=%d" % least if least is not None else sysctl_value(str(key), value)
    return out


def minimum(value):
    """N of a value '>=N' (raise to at least N, never lower), else None."""
    match = re.match(r"^\s*>=\s*(\d+)\s*$", str(value))
    return int(match.group(1)) if match else None


def effective(value, live):
    """The value to set and persist: '>=N' is N, or the live value when that is a larger number."""
    least = minimum(value)
    if least is None:
        return value
    return live if live is not None and re.match(r"^\d+$", live) and int(live) >= least else str(least)


def firewall_ports(knobs):
    """[(low, high)] of baseline_firewall_ports, in order, without duplicates; 'auto' (an HCCL
    range HCCL picks itself) and off values are skipped."""
    out = []
    for item in knobs.get("baseline_firewall_ports") or []:
        if off(item) or str(item).strip() == "auto":
            continue
        spans = port_spans(str(item).replace(":", "-"))
        for span in spans or []:
            if span not in out:
                out.append(span)
    return out


def _digest(text):
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def file_steps(dest, content, found, mode="0644"):
    """A `file` step (copy with this content) when the node's copy differs (files.stale)."""
    item = {"src": None, "dest": dest, "checksum": _digest(content), "mode": mode, "owner": "root", "group": "root"}
    steps = stale([item], found)
    for step in steps:
        del step["src"]
        step["content"] = content
    return steps


def _cpus(names):
    """['cpu0', 'cpu1', 'cpu2', 'cpu5'] -> 'cpu0-2,5'."""
    nums = sorted(int(n[3:]) for n in names)
    return "cpu" + ",".join("%d-%d" % s if s[0] != s[1] else str(s[0]) for s in port_spans(",".join(map(str, nums))))


# ---- the parts of the plan -----------------------------------------------------------------

def _limits(host, knobs, files, problems, steps):
    soft, hard = knobs.get("baseline_nofile_soft"), knobs.get("baseline_nofile_hard")
    wanted = [(kind, int(value)) for kind, value in (("soft", soft), ("hard", hard)) if not off(value)]
    if not wanted:
        return
    user = host.get("user") or {}
    name = knobs.get("ascend_train_user") or "root"
    if not user.get("exists"):
        problems.append("the training user %s (ascend_train_user) does not exist on this node" % name)
        return
    values = dict(wanted)
    if "soft" in values and "hard" in values and values["soft"] > values["hard"]:
        problems.append("baseline_nofile_soft (%d) is above baseline_nofile_hard (%d)" % (values["soft"], values["hard"]))
        return
    nr_open = wanted_sysctls(knobs).get("fs.nr_open")
    nr_open = effective(nr_open, str(host.get("nr_open"))) if nr_open else host.get("nr_open")
    if nr_open and str(nr_open).isdigit() and max(values.values()) > int(nr_open):
        problems.append("open files %d for %s is above fs.nr_open (%s) on this node: pam_limits cannot set it "
                        "(raise fs.nr_open in baseline_sysctls_extra)" % (max(values.values()), name, nr_open))
        return
    dest = knobs["baseline_limits_file"]
    content = HEADER + "# Open files for the training user (pam_limits: ssh logins, login shells, runuser -l).\n" + \
        "".join("%s %s nofile %d\n" % (name, kind, value) for kind, value in wanted)
    new = file_steps(dest, content, files)
    steps.extend(new)
    if new:
        return          # judged again after the file is written
    seen = user.get("nofile")
    if seen is None:
        problems.append("cannot read the open-file limits of a login shell of %s: %s" % (name, user.get("error")))
        return
    differ = ["%s %s, expected at least %d" % (kind, seen.get(kind), value) for kind, value in wanted
              if not (seen.get(kind) == "unlimited" or isinstance(seen.get(kind), int) and seen[kind] >= value)]
    if differ:
        problems.append("a login shell of %s gets open files %s (a later file in /etc/security/limits.d, or no "
                        "pam_limits in its PAM session?)" % (name, "; ".join(differ)))


def _shm(host, knobs, problems, steps):
    size = knobs.get("baseline_shm_size")
    if off(size):
        return
    size = str(size).strip()
    shm = host.get("shm") or {}
    memory = host.get("memory") or {}
    page = memory.get("page_size") or 4096
    options = "rw,nosuid,nodev,size=%s" % size
    line = "tmpfs %s tmpfs %s 0 0" % (SHM, options)
    if len(shm.get("fstab") or []) > 1:
        problems.append("/etc/fstab has %d lines for %s; keep one" % (len(shm["fstab"]), SHM))
        return
    if (shm.get("fstab") or [None])[0] != line:
        found = (shm.get("fstab") or ["no line"])[0]
        steps.append({"name": "fstab", "path": "/etc/fstab", "line": line, "regexp": r"^\s*\S+\s+/dev/shm\s",
                      "why": "/etc/fstab %s: wanted '%s', found %s" % (SHM, line, found)})
    wanted = shm_bytes(size, memory.get("total_bytes"), page)
    if not shm.get("mounted"):
        steps.append({"name": "mount", "argv": ["mount", "-t", "tmpfs", "-o", options, "tmpfs", SHM],
                      "why": "%s is not mounted: mount a tmpfs of %s" % (SHM, size)})
    elif shm.get("fstype") != "tmpfs":
        problems.append("%s is a %s, not a tmpfs: its size cannot be set (unmount it or set baseline_shm_size: "
                        "false)" % (SHM, shm.get("fstype")))
    elif wanted is None or shm.get("bytes") is None:
        problems.append("cannot tell the size of %s (MemTotal %s, statvfs %s)"
                        % (SHM, memory.get("total_bytes"), shm.get("bytes")))
    elif abs(shm["bytes"] - wanted) >= page:
        steps.append({"name": "remount", "argv": ["mount", "-o", "remount,size=%s" % size, SHM],
                      "why": "%s size: wanted %s (%d bytes), found %d bytes" % (SHM, size, wanted, shm["bytes"])})


def _order(path):
    return (1, "") if path == "/etc/sysctl.conf" else (0, os.path.basename(path))


def _sysctls(host, knobs, files, notes, steps):
    wanted = wanted_sysctls(knobs)
    if not wanted:
        return
    live = host.get("sysctls") or {}
    dest = knobs["baseline_sysctl_file"]
    absent = [k for k in wanted if live.get(k) is None]
    if absent:
        notes.append("sysctl keys absent on this node, not set (written with '-' in %s): %s" % (dest, ", ".join(absent)))
    values = dict((k, effective(v, live.get(k))) for k, v in wanted.items())
    lines = "".join("%s%s = %s\n" % ("-" if k in absent else "", k, v) for k, v in values.items())
    content = HEADER + "# Applied at boot (systemd-sysctl, sysctl --system); '-' keys are absent on this node.\n" + lines
    steps.extend(file_steps(dest, content, files))
    for key, value in values.items():
        if key not in absent and sysctl_value(key, live[key]) != value:
            want = value if minimum(wanted[key]) is None else "at least " + value
            steps.append({"name": "sysctl", "argv": ["sysctl", "-w", "%s=%s" % (key, value)],
                          "why": "sysctl %s: wanted %s, found %s" % (key, want, live[key])})
    boot = host.get("sysctl_boot") or {}
    for key, value in values.items():
        later = [(p, v) for p, v in boot.get(key) or [] if p != dest and _order(p) > _order(dest)]
        if not later or sysctl_value(key, later[-1][1]) == value:
            continue
        least = minimum(wanted[key])
        if least is not None and re.match(r"^\d+$", later[-1][1]) and int(later[-1][1]) >= least:
            continue
        notes.append("at boot %s sets %s = %s after %s: the live value will not survive a reboot"
                     % (later[-1][0], key, later[-1][1], dest))


def _governor(host, knobs, files, problems, notes, steps):
    governor = knobs.get("baseline_cpu_governor")
    if off(governor):
        return
    governor = str(governor).strip()
    freq = host.get("cpufreq") or {}
    if not freq.get("present"):
        notes.append("no cpufreq on this node (no %s/cpu*/cpufreq): the CPU governor is not managed"
                     % "/sys/devices/system/cpu")
        return
    if freq.get("available") and governor not in freq["available"]:
        problems.append("CPU governor %s is not available on this node (available: %s)"
                        % (governor, " ".join(freq["available"])))
        return
    differ = sorted((cpu for cpu, gov in freq["governors"].items() if gov != governor), key=lambda c: int(c[3:]))
    if differ:
        found = sorted(set(freq["governors"][c] or "unreadable" for c in differ))
        paths = ["/sys/devices/system/cpu/%s/cpufreq/scaling_governor" % c for c in differ]
        steps.append({"name": "governor",
                      "argv": ["sh", "-c", 'g=$1; shift; for f; do echo "$g" > "$f"; done', "sh", governor] + paths,
                      "why": "CPU governor: wanted %s, found %s on %s" % (governor, "/".join(found), _cpus(differ))})
    if not knobs.get("baseline_cpu_governor_persist"):
        return
    if host.get("init") != "systemd":
        _governor_sysv(host, governor, files, notes, steps)
        return
    content = (HEADER +
               "[Unit]\nDescription=CPU frequency governor %s for Ascend training (ascend_verl.cluster baseline)\n"
               "ConditionPathExists=/sys/devices/system/cpu/cpu0/cpufreq\n\n"
               "[Service]\nType=oneshot\nRemainAfterExit=yes\n"
               "ExecStart=/bin/sh -c 'for f in /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor; "
               "do echo %s > \"$$f\"; done'\n\n"
               "[Install]\nWantedBy=multi-user.target\n") % (governor, governor)
    new = file_steps(GOVERNOR_UNIT_PATH, content, files)
    steps.extend(new)
    state = (host.get("units") or {}).get(GOVERNOR_UNIT)
    if new or state != "enabled":
        steps.append({"name": "unit", "unit": GOVERNOR_UNIT, "daemon_reload": bool(new),
                      "why": "%s (sets the governor at boot): %s" % (GOVERNOR_UNIT, "written" if new else state)})


def _governor_sysv(host, governor, files, notes, steps):
    """Without systemd: an LSB init script started in runlevels 2-5 (update-rc.d, or chkconfig)."""
    state = (host.get("units") or {}).get(GOVERNOR_UNIT)
    if state is None:
        notes.append("CPU governor %s is set until the next reboot only: neither systemd nor /etc/init.d on this node "
                     "to persist it" % governor)
        return
    content = GOVERNOR_SCRIPT % {"header": HEADER.strip(), "governor": governor, "name": GOVERNOR_SCRIPT_NAME}
    new = file_steps(GOVERNOR_SCRIPT_PATH, content, files, mode="0755")
    steps.extend(new)
    if new or state != "enabled":
        tool = ["update-rc.d", GOVERNOR_SCRIPT_NAME, "defaults"] if host.get("rc_tool") != "chkconfig" else \
            ["chkconfig", "--add", GOVERNOR_SCRIPT_NAME]
        steps.append({"name": "rc_links", "argv": tool,
                      "why": "%s (sets the governor at boot): %s" % (GOVERNOR_SCRIPT_PATH,
                                                                     "written" if new else state)})


def _time_block(kind, servers, options):
    if kind == "timesyncd":
        return "[Time]\nNTP=%s" % " ".join(servers)
    return "\n".join(("server %s %s" % (s, options)).rstrip() for s in servers)


def _managed_block(text):
    """The lines between the baseline's markers in a config file, None when there is no block."""
    begin, end = BLOCK_MARKER.replace("{mark}", "BEGIN"), BLOCK_MARKER.replace("{mark}", "END")
    lines = (text or "").splitlines()
    if begin not in lines or end not in lines[lines.index(begin):]:
        return None
    start = lines.index(begin)
    return "\n".join(lines[start + 1:start + lines[start:].index(end)])


def _time(host, facts, knobs, problems, notes, steps):
    if not knobs.get("baseline_time_sync"):
        return
    time = host.get("time") or {}
    services = time.get("services") or {}
    kind = time.get("service")
    if not kind:
        pkg = (facts.get("system") or {}).get("pkg_mgr")
        problems.append("no time service on this node (chrony, systemd-timesyncd or ntpd): install chrony (%s)"
                        % INSTALL.get(pkg, "the chrony package"))
        return
    service = services[kind]
    servers = [str(s) for s in knobs.get("baseline_ntp_servers") or []]
    restart = False
    if servers:
        path = TIMESYNCD_DROPIN if kind == "timesyncd" else service["config"]["path"]
        block = _time_block(kind, servers, str(knobs.get("baseline_ntp_options") or ""))
        found = _managed_block(service["config"]["text"] if service["config"]["path"] == path else None)
        if found != block:
            state = "not there yet" if found is None else "differ"
            steps.append({"name": "time_servers", "path": path, "block": block, "marker": BLOCK_MARKER,
                          "why": "%s: time servers %s %s" % (path, ", ".join(servers), state)})
            restart = service["running"]
    enabled = service.get("enabled")
    if enabled == "masked":
        problems.append("the time service %s is masked (systemctl unmask %s)" % (service["name"], service["name"]))
        return
    wants_enable = enabled == "disabled"
    if restart or not service["running"] or wants_enable:
        why = []
        if not service["running"]:
            why.append("not running")
        if wants_enable:
            why.append("not enabled at boot")
        if restart:
            why.append("restart for the new servers")
        steps.append({"name": "time_service", "service": service["name"], "enabled": True,
                      "state": "restarted" if restart else "started",
                      "why": "time service %s: %s" % (service["name"], ", ".join(why))})
    sync = time.get("sync")
    if sync and not sync.get("error"):
        if sync.get("synced"):
            notes.append("time: %s synchronised to %s, offset %+.6f s (bound %s)"
                         % (service["name"], sync.get("server") or "?", sync.get("offset") or 0.0,
                            "%.6f s" % sync["error_bound"] if sync.get("error_bound") is not None else "unknown"))
        else:
            notes.append("time: %s runs but is not synchronised (yet)" % service["name"])
    elif sync:
        notes.append("time: the sync state of %s cannot be read (%s)" % (service["name"], sync["error"]))


def _covers(rule, low, high, source):
    span = [int(p) for p in rule["port"].split("-")]
    return (rule["proto"] == "tcp" and span[0] <= low and high <= span[-1]
            and (rule["source"] is None or rule["source"] == source))


def _firewall(host, knobs, notes, steps):
    if not knobs.get("baseline_firewall"):
        return
    fw = host.get("firewall") or {}
    kind = fw.get("active")
    if not kind:
        notes.append("no firewall active (firewalld, ufw): no ports to open")
        return
    sources = [str(s) for s in knobs.get("baseline_firewall_sources") or []] or [None]
    wanted = [(low, high, source) for low, high in firewall_ports(knobs) for source in sources]

    def text(low, high):
        return str(low) if low == high else "%d-%d" % (low, high)

    def missing(rules):
        return [w for w in wanted if not any(_covers(r, w[0], w[1], w[2]) for r in rules)]

    if kind == "firewalld":
        zone = knobs.get("baseline_firewall_zone") or fw.get("zone")
        for key, prefix in (("runtime", []), ("permanent", ["--permanent"])):
            todo = missing(fw.get(key) or [])
            if not todo:
                continue
            args = []
            for low, high, source in todo:
                if source is None:
                    args.append("--add-port=%s/tcp" % text(low, high))
                else:
                    family = "ipv6" if ":" in source else "ipv4"
                    args.append('--add-rich-rule=rule family="%s" source address="%s" port port="%s" protocol="tcp" '
                                'accept' % (family, source, text(low, high)))
            steps.append({"name": "firewall", "argv": ["firewall-cmd"] + prefix + ["--zone=%s" % zone] + args,
                          "why": "firewalld zone %s (%s): open %s" % (
                              zone, key, ", ".join("%s/tcp%s" % (text(lo, hi), " from " + s if s else "")
                                                   for lo, hi, s in todo))})
    else:
        for low, high, source in missing(fw.get("runtime") or []):
            port = str(low) if low == high else "%d:%d" % (low, high)
            steps.append({"name": "firewall",
                          "argv": ["ufw", "allow", "proto", "tcp", "from", source or "any", "to", "any", "port", port],
                          "why": "ufw: open %s/tcp%s" % (text(low, high), " from " + source if source else "")})


def _setting(found, expected, ok=None):
    return {"found": found, "expected": expected, "ok": (found == expected) if ok is None else ok}


def settings(host, knobs):
    """{setting: {found, expected, ok}} for the audit's row: what this node has against what the knobs
    want (expected None: not managed, listed only)."""
    out = {}
    soft, hard = knobs.get("baseline_nofile_soft"), knobs.get("baseline_nofile_hard")
    seen = (host.get("user") or {}).get("nofile") or {}
    found = "%s/%s" % (seen.get("soft"), seen.get("hard")) if seen else None
    if off(soft) and off(hard):
        out["nofile"] = _setting(found, None, True)
    else:
        wanted = [(k, int(v)) for k, v in (("soft", soft), ("hard", hard)) if not off(v)]
        ok = all(seen.get(k) == "unlimited" or isinstance(seen.get(k), int) and seen[k] >= v for k, v in wanted)
        out["nofile"] = _setting(found, "/".join(">=%d" % v for dummy, v in wanted), ok)
    shm = host.get("shm") or {}
    memory = host.get("memory") or {}
    size = knobs.get("baseline_shm_size")
    have = shm.get("bytes")
    shown = "%dM" % (have // (1 << 20)) if have is not None else None
    if off(size):
        out["shm"] = _setting(shown, None, True)
    else:
        want = shm_bytes(size, memory.get("total_bytes"), memory.get("page_size") or 4096)
        ok = want is not None and have is not None and abs(have - want) < (memory.get("page_size") or 4096)
        out["shm"] = _setting(shown, "%s (%dM)" % (size, want // (1 << 20)) if want else str(size), ok)
    live = host.get("sysctls") or {}
    for key, value in wanted_sysctls(knobs).items():
        value_now = live.get(key)
        want = effective(value, value_now)
        out[key] = _setting(value_now, value, value_now is None or sysctl_value(key, value_now) == want)
    governor = knobs.get("baseline_cpu_governor")
    freq = host.get("cpufreq") or {}
    governors = sorted(set((freq.get("governors") or {}).values()), key=str)
    found = "/".join(str(g) for g in governors) if freq.get("present") else "no cpufreq"
    out["governor"] = _setting(found, None if off(governor) or not freq.get("present") else str(governor).strip(),
                               off(governor) or not freq.get("present") or governors == [str(governor).strip()])
    time = host.get("time") or {}
    service = (time.get("services") or {}).get(time.get("service")) if time.get("service") else None
    sync = time.get("sync") or {}
    state = "running" if service and service["running"] else "stopped"
    found = "none" if not service else "%s %s%s" % (service["name"], state, ", synced" if sync.get("synced") else "")
    wanted_time = bool(knobs.get("baseline_time_sync"))
    out["time_sync"] = _setting(found, "running" if wanted_time else None,
                                not wanted_time or bool(service and service["running"]))
    return out


def baseline(manifest, facts, knobs, inputs=None):
    host = facts.get("host")
    if not host:
        return plan("baseline", ["the host baseline was not read (ascend_facts with the host option)"], notes=[],
                    settings={})
    files = facts.get("files") or {}
    problems, notes, steps = [], [], []
    _limits(host, knobs, files, problems, steps)
    _shm(host, knobs, problems, steps)
    _sysctls(host, knobs, files, notes, steps)
    _governor(host, knobs, files, problems, notes, steps)
    _time(host, facts, knobs, problems, notes, steps)
    _firewall(host, knobs, notes, steps)
    return plan("baseline", problems, steps, notes=notes, settings=settings(host, knobs))


# ---- layer 1: the formats argument specs cannot express --------------------------------------

def _items(name, value):
    if isinstance(value, list):
        return [("%s[%d]" % (name, i), item) for i, item in enumerate(value)]
    return [(name, value)]


def check_nofile(name, value, ctx):
    if off(value):
        return []
    if isinstance(value, bool) or not re.match(r"^\d+$", str(value).strip()) or int(value) < NOFILE_MIN:
        return [problem(name, value, "an integer >= %d (open files), or false to leave the limit alone" % NOFILE_MIN)]
    return []


def check_shm_size(name, value, ctx):
    if off(value):
        return []
    text = str(value).strip()
    percent, size = _PERCENT.match(text), _SIZE.match(text)
    if (percent and 1 <= int(percent.group(1)) <= 100) or (size and int(size.group(1)) > 0):
        return []
    return [problem(name, value, "a tmpfs size: N% of RAM (1-100) or a size such as 64g or 16384m, or false")]


def check_sysctl_map(name, value, ctx):
    out = []
    for key in sorted(value, key=str):
        item = value[key]
        if not re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.:@+/-]*$", str(key)):
            out.append(problem("%s[%r]" % (name, key), item, "a sysctl key such as vm.swappiness"))
        elif isinstance(item, (dict, list)) or item is True or "\n" in str(item):
            out.append(problem("%s[%r]" % (name, key), item, "a sysctl value (a number, a string or >=N), or false"))
    return out


def check_conf_file(name, value, ctx):
    """A file that the reader of its directory takes: DIR/NAME.conf in one of the allowed directories."""
    dirs = ctx["arg"]
    if re.match(r"^/\S+\.conf$", str(value)) and os.path.dirname(str(value)) in dirs:
        return []
    return [problem(name, value, "a .conf file in %s" % " or ".join(dirs))]


def check_name(name, value, ctx):
    if off(value):
        return []
    return [] if re.match(r"^[A-Za-z0-9_.-]+$", str(value)) else [problem(name, value, "a plain name (letters, digits, _ . -)")]


def check_ntp_server(name, value, ctx):
    return [problem(n, v, "a host name or address of a time server (no port, no spaces)") for n, v in _items(name, value)
            if not re.match(r"^[A-Za-z0-9_.:%-]+$", str(v))]


def check_firewall_port(name, value, ctx):
    out = []
    for n, v in _items(name, value):
        if off(v) or str(v).strip() == "auto":
            continue
        spans = port_spans(str(v).strip().replace(":", "-")) if re.match(r"^\d+([-:]\d+)?$", str(v).strip()) else None
        if not spans or not all(1 <= p <= 65535 for s in spans for p in s):
            out.append(problem(n, v, "a port or LOW-HIGH range within 1-65535 (auto is skipped)"))
    return out


def check_source(name, value, ctx):
    out = []
    for n, v in _items(name, value):
        try:
            ipaddress.ip_network(str(v), strict=False)
        except ValueError:
            out.append(problem(n, v, "an address or CIDR (for example 10.20.0.0/16)"))
    return out


KNOB_CHECKS = {"nofile": check_nofile, "shm_size": check_shm_size, "sysctl_map": check_sysctl_map,
               "conf_file": check_conf_file, "plain_name": check_name, "ntp_server": check_ntp_server,
               "firewall_port": check_firewall_port, "cidr": check_source}
