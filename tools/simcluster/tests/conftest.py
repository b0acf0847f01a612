"""Session guard of the simulator's tests: the host's own kernel settings and clock are the
same after every test as before (the nodes have their own copies; see nodekernel.py).  Also the
stand-ins' node: a root and a hardware state in a temporary directory."""

import os
import sys

import pytest

import simkit

sys.path.insert(0, simkit.TOOL)
from sim import cluster  # noqa: E402  (also puts the stand-ins on sys.path)
import hwstate  # noqa: E402
import nodekernel  # noqa: E402
from sim import profiles  # noqa: E402

# The keys the nodes get their own files for, plus forwarding (on only in the gateway
# router's namespace).
HOST_KEYS = sorted(nodekernel.SYSCTL_STOCK) + ["net.ipv4.ip_forward"]


def host_sysctls():
    out = {}
    for key in HOST_KEYS:
        with open("/proc/sys/" + nodekernel.sysctl_rel(key)) as f:
            out[key] = f.read()
    return out


def host_clock():
    """The host clock's discipline (adjtimex, read only): frequency, tick, status."""
    t = simkit.adjtimex()
    return {"freq": t.freq, "tick": t.tick, "status": t.status}


def host_governors():
    out = {}
    for n in nodekernel.cpu_ids(open("/sys/devices/system/cpu/possible").read()):
        path = "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor" % n
        if os.path.exists(path):
            with open(path) as f:
                out[path] = f.read()
    return out


@pytest.fixture(scope="session", autouse=True)
def host_kernel_untouched():
    # `up` raises two host-wide limits the simulation itself needs (README "Host limits");
    # they are in place before the baseline is taken, as they are after any first `up`.
    cluster._raise_host_limits()
    before = (host_sysctls(), host_clock(), host_governors())
    yield before
    after = (host_sysctls(), host_clock(), host_governors())
    assert after == before, "the tests changed the host's kernel settings or clock"


@pytest.fixture
def node(tmp_path, monkeypatch):
    """A node for the stand-ins run in this process (SIMCLUSTER_SYSROOT, SIMCLUSTER_HW): returns
    make(profile, version, edit, processes) -> the saved state, with the driver loaded; make.root
    is the node's root."""
    root, hw = tmp_path / "root", tmp_path / "hw"
    (root / "usr/local/Ascend/driver").mkdir(parents=True)
    (root / "proc").mkdir()
    hw.mkdir()
    monkeypatch.setenv("SIMCLUSTER_SYSROOT", str(root))
    monkeypatch.setenv("SIMCLUSTER_HW", str(hw))

    def make(profile="a2", version="25.2.0", edit=None, processes=()):
        (root / "usr/local/Ascend/driver/version.info").write_text("Version=%s\n" % version)
        state = profiles.initial_state(profile, "t", "node1")
        state["driver_loaded"] = version
        for proc in processes:
            (root / "proc" / str(proc["pid"])).mkdir(exist_ok=True)
            state["processes"].append(proc)
        if edit:
            edit(state)
        hwstate.save(state, str(hw))
        return state
    make.root = root
    return make
