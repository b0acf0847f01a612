"""Node-side control of a simulated Atlas node (simcluster, not a Huawei tool).

    simctl.py boot                      run by the node's init at every (re)boot
    simctl.py busy PHY_ID [NAME] [MB]   start a process that "holds" an NPU
    simctl.py idle PHY_ID               stop the processes holding that NPU

Boot does what a real power cycle does to the cards: a driver waiting for a reboot is
loaded, freshly flashed firmware becomes active, processes are gone, /dev/davinci*
exist exactly when a driver is installed, and the boot id changes.  The RoCE ports lose
their addresses, routes, gateway and netdetect address; a loaded driver re-applies
/etc/hccn.conf (the code of `hccn_tool -a -cfg recovery`).  The very first power-on
(`simcluster up`) keeps the ports as the site left them (configured or unaddressed).
The node's own kernel settings return to stock (nodekernel.py), then /etc/sysctl.conf and
the sysctl.d directories are applied (`sysctl --system`, as systemd-sysctl does) and an
/etc/fstab line for /dev/shm sizes the fresh /dev/shm.
"""

import os
import signal
import subprocess
import sys
import time
import uuid

import hwstate
import nodekernel

FIRST_BOOT_ID = "00000000-0000-0000-0000-000000000000"


def _log(message):
    sys.stderr.write("simcluster boot: %s\n" % message)


def _kernel_settings():
    """Stock sysctls and governors, then what the node's configuration asks for."""
    for problem in nodekernel.reset():
        _log(problem)
    proc = subprocess.run(["sysctl", "--system"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("sysctl:"):      # read-only keys a package's sysctl.d sets
            _log(line)
    opts = nodekernel.fstab_shm_options()
    if opts:
        proc = subprocess.run(["mount", "-o", "remount," + opts, nodekernel.SHM],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, check=False)
        if proc.returncode != 0:
            _log("/etc/fstab %s (%s): %s" % (nodekernel.SHM, opts, proc.stdout.strip()))


def boot():
    with open(os.path.join(hwstate.hw_dir(), "power.log"), "a") as log:
        log.write("%.6f booted\n" % time.time())
    with open(os.path.join(hwstate.hw_dir(), "boot_id"), "r+") as f:
        # Rewritten in place: it is bind-mounted over /proc/sys/kernel/random/boot_id.
        first = f.read().strip() == FIRST_BOOT_ID
        f.seek(0)
        f.write(str(uuid.uuid4()) + "\n")
        f.truncate()
    if os.path.isdir(hwstate.path("/dev")):
        hwstate.remove_device_nodes()
    with hwstate.locked() as state:
        state["processes"] = []
        installed = hwstate.driver_installed_version()
        state["driver_loaded"] = installed
        if state.get("firmware_flashed"):
            state["firmware_active"] = state["firmware_flashed"]
        if installed:
            hwstate.make_device_nodes(state)
        if not first:
            import hccn_tool   # the driver's tool, also in this library (sim layer)
            hccn_tool.reset_ports(state)
            if installed:
                text, rc = hccn_tool.recovery(state)
                if rc or "success" in text:
                    _log("/etc/hccn.conf re-applied by the driver: " + " ".join(text.splitlines()))
    _kernel_settings()
    return 0


def busy(phy_id, name="python", memory_mb=19502):
    """Fork a daemon named NAME and record it as holding device PHY_ID."""
    with hwstate.locked() as state:
        if hwstate.device(state, phy_id) is None:
            sys.stderr.write("no device with phy id %d\n" % phy_id)
            return 1
    read_fd, write_fd = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.close(read_fd)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            with open("/proc/self/comm", "w") as comm:
                comm.write((name or "python")[:15])  # npu-smi may show no name
            os.write(write_fd, str(os.getpid()).encode())
            os.close(write_fd)
            while True:
                signal.pause()
        os._exit(0)
    os.close(write_fd)
    pid = int(os.read(read_fd, 32).decode())
    os.close(read_fd)
    with hwstate.locked() as state:
        state["processes"].append(
            {"phy_id": phy_id, "pid": pid, "name": name, "memory_mb": memory_mb})
    print(pid)
    return 0


def idle(phy_id):
    with hwstate.locked() as state:
        keep = []
        for proc in state["processes"]:
            if proc["phy_id"] != phy_id:
                keep.append(proc)
                continue
            try:
                os.kill(proc["pid"], signal.SIGKILL)
            except OSError:
                pass
        state["processes"] = keep
    return 0


def main(argv):
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "boot":
        return boot()
    if cmd == "busy":
        name = args[1] if len(args) > 1 else "python"
        mem = int(args[2]) if len(args) > 2 else 19502
        return busy(int(args[0]), name, mem)
    if cmd == "idle":
        return idle(int(args[0]))
    sys.stderr.write("unknown command %s\n" % cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
