"""Hardware state of one simulated Atlas node (simcluster stand-in, not a Huawei tool).

The simulator keeps what real hardware would keep on the NPU cards (health, HBM, RoCE
port settings, which driver/firmware is running) in one JSON file per node.  The host
writes it when a fault is injected; the stand-ins inside the node (npu-smi, hccn_tool,
the .run installers, the boot hook) read and update it.  Both sides use this module.

Location: $SIMCLUSTER_HW (default /opt/simcluster/hw inside a node, a bind mount of the
host's per-node directory).  Every other absolute path the stand-ins touch is taken
relative to $SIMCLUSTER_SYSROOT (default "/"), so tests can run them in a temp tree.

Runs on the node's system Python; keep it 3.9-compatible and standard-library only.
"""

import contextlib
import fcntl
import json
import os
import tempfile

SCHEMA = 1
STATE_FILE = "state.json"
LOCK_FILE = "state.lock"

# Where the vendor software lives on a real node (relative to the sysroot).
ASCEND_ROOT = "/usr/local/Ascend"
DRIVER_DIR = ASCEND_ROOT + "/driver"
DRIVER_VERSION_INFO = DRIVER_DIR + "/version.info"
FIRMWARE_VERSION_INFO = ASCEND_ROOT + "/firmware/version.info"
INSTALL_INFO = "/etc/ascend_install.info"
HCCN_CONF = "/etc/hccn.conf"
INSTALL_LOG = "/var/log/ascend_seclog/ascend_install.log"
OPERATION_LOG = "/var/log/ascend_seclog/operation.log"
FABRIC_NETNS_DIR = "/opt/simcluster/fabric"  # one nsfs bind per device: <dir>/<phy_id>

# The simulated fabric is a scale model of the real one: what crosses it (hccl_test's
# collectives) moves 1/FABRIC_BYTE_SCALE of the bytes it stands for and takes FABRIC_TIME_SCALE
# times the time it reports, so a link of R bytes/s runs at R / (BYTE_SCALE * TIME_SCALE) on
# this machine (hccl_test.py paces at that rate; port-slow's token bucket shapes a port to it).
FABRIC_BYTE_SCALE = 256
FABRIC_TIME_SCALE = 200


def fabric_rate(bytes_per_s):
    """The simulated rate (bytes/s on this machine) of a link that moves bytes_per_s."""
    return float(bytes_per_s) / (FABRIC_BYTE_SCALE * FABRIC_TIME_SCALE)


HEALTH_VALUES = ("OK", "Warning", "Alarm", "Critical")
DCMI_NOT_STARTED = "dcmi module initialize failed. ret is -8005"


def sysroot():
    return os.environ.get("SIMCLUSTER_SYSROOT", "/")


def path(p):
    """Map an absolute node path into the sysroot."""
    root = sysroot()
    if root in ("", "/"):
        return p
    return os.path.join(root, p.lstrip("/"))


def hw_dir():
    return os.environ.get("SIMCLUSTER_HW") or path("/opt/simcluster/hw")


def _state_path(directory=None):
    return os.path.join(directory or hw_dir(), STATE_FILE)


def load(directory=None):
    with open(_state_path(directory)) as f:
        return json.load(f)


def save(state, directory=None):
    """Atomic replace, so a reader never sees half a file."""
    directory = directory or hw_dir()
    fd, tmp = tempfile.mkstemp(prefix=".state.", dir=directory)
    with os.fdopen(fd, "w") as f:
        json.dump(state, f, indent=1, sort_keys=True)
        f.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, _state_path(directory))


@contextlib.contextmanager
def locked(directory=None):
    """Read-modify-write under an exclusive lock: `with locked() as st: st[...] = ...`."""
    directory = directory or hw_dir()
    with open(os.path.join(directory, LOCK_FILE), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = load(directory)
        yield state
        save(state, directory)


def devices(state):
    """Logical devices (one per die), ordered by phy_id."""
    return sorted(state["devices"], key=lambda d: d["phy_id"])


def device(state, phy_id):
    for dev in state["devices"]:
        if dev["phy_id"] == phy_id:
            return dev
    return None


def npu_ids(state):
    return sorted({d["npu"] for d in state["devices"]})


def chips_of(state, npu):
    return sorted((d for d in state["devices"] if d["npu"] == npu), key=lambda d: d["chip"])


def pid_alive(pid):
    return os.path.isdir(path("/proc/%d" % int(pid)))


def live_processes(state):
    """Processes recorded as holding an NPU that still exist (a reboot kills them)."""
    return [p for p in state.get("processes", []) if pid_alive(p["pid"])]


def read_kv(filename, sep="="):
    """Parse KEY=VALUE files such as version.info; None when the file is absent."""
    try:
        with open(path(filename)) as f:
            lines = f.read().splitlines()
    except (IOError, OSError):
        return None
    out = {}
    for line in lines:
        if sep in line:
            key, value = line.split(sep, 1)
            out[key.strip()] = value.strip()
    return out


def driver_installed_version():
    info = read_kv(DRIVER_VERSION_INFO)
    return info.get("Version") if info else None


def firmware_installed_version():
    info = read_kv(FIRMWARE_VERSION_INFO)
    return info.get("Version") if info else None


def device_started(state):
    """False while a driver or firmware change waits for a reboot (npu-smi then fails
    with -8005), or when the dcmi-error fault is on."""
    if state["faults"].get("dcmi_error"):
        return False
    installed = driver_installed_version()
    if installed is None:
        return False
    if state.get("driver_loaded") != installed:
        return False
    return state.get("firmware_flashed") in (None, state.get("firmware_active"))


def installer_fault(state, package):
    """'fail' or 'reboot' when a fault is injected for that package, else None."""
    return state["faults"].get("installer", {}).get(package)


# Character devices the driver creates (majors are dynamic on real hosts; these are
# ones seen in the field).
_DAVINCI_MAJOR = 236
_CONTROL_NODES = (("davinci_manager", 237, 0), ("devmm_svm", 238, 0), ("hisi_hdc", 235, 0))


def _hwhiai_ids():
    """uid/gid of HwHiAiUser from the sysroot's passwd/group, else root."""
    uid = gid = 0
    for name, idx, fname in (("uid", 2, "/etc/passwd"), ("gid", 2, "/etc/group")):
        try:
            with open(path(fname)) as f:
                for line in f:
                    fields = line.split(":")
                    if fields[0] == "HwHiAiUser":
                        if name == "uid":
                            uid = int(fields[idx])
                        else:
                            gid = int(fields[idx])
        except (IOError, OSError):
            pass
    return uid, gid


def make_device_nodes(state):
    """/dev/davinci0..N-1 and the control nodes, crw-rw---- HwHiAiUser (what the loaded
    driver shows).  Idempotent."""
    uid, gid = _hwhiai_ids()
    nodes = [("davinci%d" % d["phy_id"], _DAVINCI_MAJOR, d["phy_id"]) for d in devices(state)]
    for name, major, minor in nodes + list(_CONTROL_NODES):
        target = path("/dev/" + name)
        if not os.path.exists(target):
            os.mknod(target, 0o660 | 0o020000, os.makedev(major, minor))
        os.chown(target, uid, gid)
        os.chmod(target, 0o660)


def remove_device_nodes():
    dev = path("/dev")
    for name in os.listdir(dev):
        if name.startswith("davinci") or name in ("devmm_svm", "hisi_hdc"):
            os.unlink(os.path.join(dev, name))
