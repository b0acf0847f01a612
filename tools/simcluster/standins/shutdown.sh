#!/bin/sh
# simcluster stand-in for shutdown/reboot/poweroff/halt on a simulated node.
# It asks the node's init (PID 1) to restart or halt the node a second later, so the
# caller (for example Ansible's reboot module over SSH) sees its command succeed first.
action=halt
case "$(basename "$0")" in
    reboot) action=reboot ;;
    shutdown)
        for arg in "$@"; do
            case "$arg" in
                -r|--reboot) action=reboot ;;
                -c) echo "simcluster: nothing to cancel" >&2; exit 0 ;;
                --help) echo "shutdown [-r|-h|-P] [TIME] [MESSAGE] (simcluster stand-in)"; exit 0 ;;
            esac
        done ;;
esac
# A power log on the host side lets tests see when each node went down and came back.
echo "$(date +%s.%N) $action requested" >> /opt/simcluster/hw/power.log 2>/dev/null
signal=USR2
[ "$action" = reboot ] && signal=USR1
# Ignored signals survive fork+exec: the helper must outlive the caller's
# terminal, whose hangup can arrive before setsid() has detached it.
trap '' HUP INT
setsid sh -c "sleep 1; kill -$signal 1" </dev/null >/dev/null 2>&1 &
exit 0
