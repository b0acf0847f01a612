"""Where the simulator keeps things, and the limits of its address plan."""

import os

TOOL_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(os.path.dirname(TOOL_DIR))
STANDINS_DIR = os.path.join(TOOL_DIR, "standins")

# Volatile per-cluster state (node layers, hardware state, logs): gone with a host reboot,
# like the namespaces it describes.
STATE_ROOT = os.environ.get("SIMCLUSTER_STATE", "/run/simcluster")
# The Debian rootfs every node's overlay sits on: built once, kept across runs.
CACHE_ROOT = os.environ.get("SIMCLUSTER_CACHE", "/var/cache/simcluster")
# Inventories and keys a user or a test points Ansible at.
BUILD_ROOT = os.environ.get("SIMCLUSTER_BUILD", os.path.join(REPO_ROOT, "build", "sim"))

DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = os.environ.get("SIMCLUSTER_MIRROR", "http://deb.debian.org/debian")
# What a node needs: sshd and Python for Ansible, the tools the vendor installers and our
# roles call, and the build prerequisites of the HDK (so they are "installed" offline).
# MPICH for CANN's hccl_test: `mpich` (mpiexec.hydra, libmpich12) and what apt installs with
# it by default, its Recommends `libmpich-dev` (mpi.h; the Makefile's MPI_HOME is then
# /usr/lib/<triplet>/mpich, see README); `automake` only because debootstrap does not resolve
# the virtual automake-1.16 that libmpich-dev's libltdl-dev needs.  nftables: the
# packet-loss fault's drop rule in a RoCE port's namespace (sim/faults.py).
ROOTFS_PACKAGES = (
    "openssh-server", "python3", "python3-apt", "iproute2", "iputils-ping", "pciutils",
    "procps", "kmod", "sudo", "ca-certificates", "gcc", "make", "dkms", "git", "unzip",
    "xz-utils", "bzip2", "curl", "util-linux", "lsb-release", "chrony",
    "nftables", "mpich", "libmpich-dev", "automake",
)
# What rootfs.py does to the tree after debootstrap; part of the cache key, so a change
# here builds a new rootfs.  3: chrony installed, without rc links (not started at boot).
ROOTFS_REVISION = 3

MGMT_IF = "enp189s0f0"       # a Kunpeng server's onboard NIC name, not eth0 on purpose
NODE_DISK = "20g"            # tmpfs that carries each node's writable layer
MAX_CLUSTERS = 16            # address-plan slots
MAX_NODES = 240              # management /24 per slot; 240 x 16 devices fit the fabric /20
NODES_PER_LEAF = 32          # a Linux bridge takes < 1024 ports; leaves join on a spine
