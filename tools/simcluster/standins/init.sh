#!/bin/sh
# PID 1 of a simulated Atlas node (simcluster).  Boots the node, keeps sshd running and
# turns a reboot request (SIGUSR1 from the shutdown stand-in) into a real restart of
# everything in the node: all processes die, /run and /dev/shm are fresh, the boot id
# changes, the NPUs' RoCE ports lose their settings (the driver re-applies /etc/hccn.conf),
# a driver waiting for a reboot gets loaded, the node's sysctls and CPU governors return
# to stock and /etc/sysctl.d is applied, and the services enabled for runlevel 2
# (/etc/rc2.d/S*, e.g. chrony after `update-rc.d chrony enable`) start.  SIGTERM halts.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
# Named like the init of a Debian system without systemd (sysvinit), which this node is
# to Ansible: its service_mgr fact is "sysvinit", init scripts and update-rc.d work.
printf init >/proc/self/comm
reboot=0
halt=0
trap 'reboot=1' USR1
trap 'halt=1' TERM USR2

boot() {
    umount -l /run 2>/dev/null
    mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
    mkdir -p /run/sshd /run/lock
    umount -l /dev/shm 2>/dev/null
    mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm
    python3 /opt/simcluster/lib/simctl.py boot || echo "simcluster: boot hook failed" >&2
    for script in /etc/rc2.d/S*; do
        case "$script" in
            */S??ssh) ;;                 # sshd is started below, by this init
            *) [ -x "$script" ] && "$script" start </dev/null ;;
        esac
    done
    /usr/sbin/sshd -E /var/log/sshd.log
}

boot
while :; do
    sleep 2147483647 &
    sleeper=$!
    wait "$sleeper"          # returns on a signal; reaps orphans meanwhile
    kill "$sleeper" 2>/dev/null
    if [ "$halt" = 1 ]; then
        kill -KILL -1 2>/dev/null
        exit 0
    fi
    if [ "$reboot" = 1 ]; then
        reboot=0
        kill -KILL -1 2>/dev/null   # every process of the node but this one
        wait
        boot
    fi
done
