#!/bin/sh
# Boots one simulated node.  Runs as PID 1 of fresh mount/UTS/IPC/PID namespaces inside
# the node's network namespace (simcluster starts it with nsenter + unshare), assembles
# the node's root file system and becomes the node's init.  Every mount made here lives
# in the node's mount namespace only, so it disappears with the node.
#
# Environment: NODE, STAGE (scratch dir with disk/ and root/), LOWER (overlay lowerdirs),
# DISK_SIZE, HW (hardware-state dir), PCI (fake PCI tree), FABRIC ("phy_id:netns-file ..."),
# KERNEL (the node's own kernel files: proc-sys/<path below /proc/sys>, cpu/; nodekernel.py).
set -eu

mount --make-rprivate /
mount -t tmpfs -o "size=$DISK_SIZE,mode=755" "simdisk-$NODE" "$STAGE/disk"
mkdir -p "$STAGE/disk/upper" "$STAGE/disk/work"
mount -t overlay "simroot-$NODE" \
    -o "lowerdir=$LOWER,upperdir=$STAGE/disk/upper,workdir=$STAGE/disk/work" "$STAGE/root"
R=$STAGE/root

mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
# The node's kernel settings are its own: /proc/sys and /sys are read-only in the node (a
# write fails instead of reaching the host's kernel), with regular files of the node's
# bound over the few entries a node may set (the baseline sysctls, the CPU governors).
mount --bind "$R/proc/sys" "$R/proc/sys"
mount -o remount,bind,ro "$R/proc/sys"
mount -o remount,bind,ro "$R/sys"
# The ARP table's defaults (net.ipv4.neigh.default.*) exist only in the host's network
# namespace: the node's neigh/ becomes a read-only directory of its own with default/ for
# its files and the namespace's real per-interface entries bound back in.
neigh=$R/proc/sys/net/ipv4/neigh
if [ -d "$KERNEL/proc-sys/net/ipv4/neigh/default" ] && [ ! -e "$neigh/default" ]; then
    mkdir -p "$STAGE/neigh/default" "$STAGE/neigh-real"
    mount --bind "$neigh" "$STAGE/neigh-real"
    for f in "$KERNEL/proc-sys/net/ipv4/neigh/default"/*; do : >"$STAGE/neigh/default/${f##*/}"; done
    for d in "$STAGE/neigh-real"/*; do mkdir -p "$STAGE/neigh/${d##*/}"; done
    mount --bind "$STAGE/neigh" "$neigh"
    mount -o remount,bind,ro "$neigh"
    for d in "$STAGE/neigh-real"/*; do mount --bind "$d" "$neigh/${d##*/}"; done
    umount "$STAGE/neigh-real"
fi
for rel in $(cd "$KERNEL/proc-sys" && find . -type f | sed 's|^\./||'); do
    mount --bind "$KERNEL/proc-sys/$rel" "$R/proc/sys/$rel"
done
mount --bind "$KERNEL/cpu" "$R/sys/devices/system/cpu"
mount --bind "$PCI" "$R/sys/bus/pci/devices"

mount -t tmpfs -o mode=755,size=1m,nosuid dev "$R/dev"
for spec in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    name=${spec%%:*}; nums=${spec#*:}
    mknod -m 666 "$R/dev/$name" c "${nums%%:*}" "${nums#*:}"
done
mkdir -p "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"

# The cards: hardware state shared with the host, one network namespace per RoCE port.
mount --bind "$HW" "$R/opt/simcluster/hw"
mount --bind "$HW/boot_id" "$R/proc/sys/kernel/random/boot_id"
mkdir -p "$R/opt/simcluster/fabric"
for pair in $FABRIC; do
    touch "$R/opt/simcluster/fabric/${pair%%:*}"
    mount --bind "${pair#*:}" "$R/opt/simcluster/fabric/${pair%%:*}"
done
# What verl's upstream install script downloads (sim/internet.py): read-only, no route out.
mkdir -p "$R/opt/simcluster/internet"
mount --bind -o ro "$INTERNET" "$R/opt/simcluster/internet"
# Storage every node of the cluster shares (as an NFS or parallel file system would be).
mkdir -p "$R/shared"
mount --bind "$SHARED" "$R/shared"
# The node's disk, reachable for the disk-full fault (a tmpfs remount).
mount --bind "$STAGE/disk" "$R/.simdisk"

hostname "$NODE"
cd "$R"
mkdir -p .oldroot
pivot_root . .oldroot
cd /
umount -l /.oldroot
rmdir /.oldroot
# No process of the node may set the host's clock: CAP_SYS_TIME leaves the bounding set
# (chronyd runs with -x, which needs no clock control).
exec setpriv --bounding-set -sys_time /usr/sbin/simcluster-init
