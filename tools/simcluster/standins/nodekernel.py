"""A simulated node's own kernel settings (simcluster, not a Huawei tool).

Every node shares the host's kernel, so a node writing /proc/sys or /sys would change the
host.  Instead each node gets regular files of its own, kept on the host in the node's
directory and bind-mounted over the kernel's (sim/launch.sh):

- /proc/sys/<key> for exactly the keys of SYSCTL_STOCK (the host-baseline role's sysctls);
  the rest of the node's /proc/sys and /sys is read-only, so any other write fails
  (EROFS) instead of reaching the host;
- /sys/devices/system/cpu: online/possible/present as on the host, and per CPU a writable
  cpufreq/scaling_governor.

Values start as a fresh server's stock kernel has them and return to them at every
(simulated) boot; persistence is /etc/sysctl.d's job, applied at boot like systemd-sysctl
(`sysctl --system`).  The host writes the tree (write_tree), the node's boot resets it
(reset).  Runs on the node's system Python too: standard library, 3.9-compatible.
"""

import os
import re

import hwstate

# Stock values of a fresh Linux server (kernel defaults; Debian's sysctl.d sets none of them).
SYSCTL_STOCK = {
    "kernel.numa_balancing": "1",
    "vm.swappiness": "60",
    "net.ipv4.neigh.default.gc_thresh1": "128",
    "net.ipv4.neigh.default.gc_thresh2": "512",
    "net.ipv4.neigh.default.gc_thresh3": "1024",
    "net.ipv4.ip_local_reserved_ports": "",
}
CPU_GOVERNOR = "schedutil"
CPU_GOVERNORS = "conservative ondemand userspace powersave performance schedutil"
CPU_DRIVER = "cppc_cpufreq"      # what a Kunpeng server reports
CPU_DIR = "/sys/devices/system/cpu"
SHM = "/dev/shm"
# tmpfs options an /etc/fstab line for /dev/shm may set at boot.
SHM_OPTIONS = ("size", "nr_inodes", "nr_blocks", "mode")


def sysctl_rel(key):
    """kernel.numa_balancing -> kernel/numa_balancing (the path below /proc/sys)."""
    return key.replace(".", "/")


def cpu_ids(cpulist):
    """'0-3,8' -> [0, 1, 2, 3, 8] (the kernel's cpulist format)."""
    out = []
    for part in cpulist.strip().split(","):
        if not part:
            continue
        bounds = part.split("-", 1)
        out += range(int(bounds[0]), int(bounds[-1]) + 1)
    return out


def _write(path, text, mode=0o644):
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def write_tree(root, host_cpu_dir=CPU_DIR):
    """Create a node's files under root (host side): root/proc-sys/<rel>, root/cpu/..."""
    for key, value in SYSCTL_STOCK.items():
        _write(os.path.join(root, "proc-sys", sysctl_rel(key)), value + "\n")
    cpu = os.path.join(root, "cpu")
    lists = {}
    for name in ("online", "possible", "present"):
        with open(os.path.join(host_cpu_dir, name)) as f:
            lists[name] = f.read()
        _write(os.path.join(cpu, name), lists[name], 0o444)
    for n in cpu_ids(lists["possible"]):
        freq = os.path.join(cpu, "cpu%d" % n, "cpufreq")
        _write(os.path.join(freq, "scaling_governor"), CPU_GOVERNOR + "\n")
        _write(os.path.join(freq, "scaling_available_governors"), CPU_GOVERNORS + "\n", 0o444)
        _write(os.path.join(freq, "scaling_driver"), CPU_DRIVER + "\n", 0o444)


def _own_file(path, kernel_fs):
    """True when path is one of the node's regular files, not the kernel's (a file on the
    proc or sys mount kernel_fs): the boot never writes a real /proc/sys or /sys entry,
    even if a bind mount were missing.  A test sysroot holds no kernel files."""
    if hwstate.sysroot() not in ("", "/"):
        return os.path.isfile(path)
    try:
        return os.path.isfile(path) and os.stat(path).st_dev != os.stat(kernel_fs).st_dev
    except OSError:
        return False


def reset():
    """At boot (node side): sysctls and governors back to stock.  Returns problems."""
    problems = []
    for key, value in SYSCTL_STOCK.items():
        path = hwstate.path("/proc/sys/" + sysctl_rel(key))
        if not _own_file(path, "/proc"):
            problems.append("%s is not the node's own file; left alone" % path)
            continue
        with open(path, "w") as f:
            f.write(value + "\n")
    cpu = hwstate.path(CPU_DIR)
    for name in sorted(os.listdir(cpu)) if os.path.isdir(cpu) else []:
        path = os.path.join(cpu, name, "cpufreq", "scaling_governor")
        if re.match(r"^cpu\d+$", name) and os.path.isfile(path):
            if not _own_file(path, "/sys"):
                problems.append("%s is not the node's own file; left alone" % path)
                continue
            with open(path, "w") as f:
                f.write(CPU_GOVERNOR + "\n")
    return problems


def fstab_shm_options(fstab="/etc/fstab"):
    """tmpfs options of the /dev/shm line of /etc/fstab ('size=16g,...'), or None."""
    try:
        with open(hwstate.path(fstab)) as f:
            lines = f.read().splitlines()
    except (IOError, OSError):
        return None
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 4 and fields[1].rstrip("/") == SHM:
            opts = [o for o in fields[3].split(",") if o.split("=", 1)[0] in SHM_OPTIONS]
            return ",".join(opts) or None
    return None
