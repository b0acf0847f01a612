#!/bin/sh
# PID 1 of a simulated Atlas node (simcluster).  Boots the node, keeps sshd running and
# turns a reboot request (SIGUSR1 from the shutdown stand-in) into a real restart of
# everything in the node: all processes die, /run is fresh, the boot id changes, a
# driver waiting for a reboot gets loaded.  SIGTERM halts the node.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin
export PATH
reboot=0
halt=0
trap 'reboot=1' USR1
trap 'halt=1' TERM USR2

boot() {
    umount -l /run 2>/dev/null
    mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
    mkdir -p /run/sshd /run/lock
    python3 /opt/simcluster/lib/simctl.py boot || echo "simcluster: boot hook failed" >&2
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
