"""The cached Debian 12 root file system every simulated node's overlay sits on.

Built once with debootstrap (about a minute), kept under CACHE_ROOT, keyed by suite and
package list so a change of the list builds a new one.  Built into a temporary directory
and renamed when complete, so an interrupted build never leaves a half rootfs in use.
"""

import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
import sys

from . import config


def _key():
    digest = hashlib.sha256(" ".join((config.DEBIAN_SUITE, "r%d" % config.ROOTFS_REVISION)
                                     + config.ROOTFS_PACKAGES).encode())
    return "%s-%s" % (config.DEBIAN_SUITE, digest.hexdigest()[:12])


def path():
    return os.path.join(config.CACHE_ROOT, "rootfs-" + _key())


def _scrub(root):
    """What must differ per node or never be shared: host keys, machine id, apt lists."""
    for key in glob.glob(os.path.join(root, "etc/ssh/ssh_host_*")):
        os.unlink(key)
    with open(os.path.join(root, "etc/machine-id"), "w"):
        pass
    for d in ("var/lib/apt/lists", "var/cache/apt/archives"):
        for entry in glob.glob(os.path.join(root, d, "*")):
            if os.path.isfile(entry):
                os.unlink(entry)


def _disable_services(root):
    """Packages enable their init scripts when installed; a fresh node starts none of them
    but sshd (simcluster-init's own).  chrony stays installed without rc links, as after
    `update-rc.d -f chrony remove`: `update-rc.d chrony defaults` (what Ansible's service
    module runs for enabled=true on a sysvinit system) enables it for runlevels 2-5."""
    for service in ("chrony",):
        subprocess.check_call(["chroot", root, "update-rc.d", "-f", service, "remove"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ensure(log=sys.stderr):
    """Return the rootfs path, building it first if it is not cached."""
    target = path()
    if os.path.isfile(os.path.join(target, ".simcluster-complete")):
        return target
    os.makedirs(config.CACHE_ROOT, exist_ok=True)
    with open(os.path.join(config.CACHE_ROOT, ".build.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)         # one builder at a time
        if os.path.isfile(os.path.join(target, ".simcluster-complete")):
            return target
        if shutil.which("debootstrap") is None:
            raise RuntimeError("debootstrap is not installed (apt-get install debootstrap)")
        tmp = target + ".building"
        shutil.rmtree(tmp, ignore_errors=True)
        log.write("simcluster: building the node rootfs (Debian %s, once) in %s\n"
                  % (config.DEBIAN_SUITE, target))
        cmd = ["debootstrap", "--variant=minbase",
               "--include=" + ",".join(config.ROOTFS_PACKAGES),
               config.DEBIAN_SUITE, tmp, config.DEBIAN_MIRROR]
        with open(target + ".log", "w") as out:
            rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT)
        if rc != 0:
            raise RuntimeError("debootstrap failed (rc %d), see %s.log" % (rc, target))
        _scrub(tmp)
        _disable_services(tmp)
        with open(os.path.join(tmp, ".simcluster-complete"), "w") as f:
            f.write(" ".join(config.ROOTFS_PACKAGES) + "\n")
        shutil.rmtree(target, ignore_errors=True)
        os.rename(tmp, target)
    return target
