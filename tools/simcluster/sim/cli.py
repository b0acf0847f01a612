"""Command line of the simulated Atlas cluster (see `simcluster --help`)."""

import argparse
import os
import sys

from . import cluster, config, faults, profiles, rootfs
from .cluster import SimError

EPILOG = """\
Everything here is simulated: namespaces and veths on this machine stand in for Atlas
servers, and the npu-smi, hccn_tool and .run installers on the nodes are stand-ins that
print what Huawei's tools print.  Nothing is routed off this machine.
"""


def _parser():
    p = argparse.ArgumentParser(prog="simcluster", description="Simulated Huawei Atlas cluster.",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="boot a cluster and write build/sim/NAME/hosts.yml")
    up.add_argument("name")
    up.add_argument("--profile", choices=profiles.names(), default="a2")
    up.add_argument("--nodes", type=int, default=2)
    up.add_argument("--mgmt-cidr", help="management network (default 198.18.<slot>.0/24)")
    up.add_argument("--fabric-cidr", help="RoCE fabric (default 198.19.<16*slot>.0/20)")
    up.add_argument("--disk", default=config.NODE_DISK, help="per-node disk size (tmpfs)")
    up.add_argument("--unaddressed", action="store_true",
                    help="RoCE ports without address, gateway or netdetect address and no "
                         "/etc/hccn.conf (a new rack); default: configured from the address plan")
    down = sub.add_parser("down", help="remove a cluster and everything it made")
    group = down.add_mutually_exclusive_group(required=True)
    group.add_argument("name", nargs="?")
    group.add_argument("--all", action="store_true")
    st = sub.add_parser("status", help="show the nodes of a cluster")
    st.add_argument("name")
    fault = sub.add_parser("fault", help="inject or clear a fault",
                           epilog="kinds:\n" + "\n".join("  %-17s %s" % kv for kv in sorted(faults.USAGE.items())),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    fault.add_argument("name")
    fault.add_argument("host")
    fault.add_argument("kind")
    fault.add_argument("args", nargs="*")
    art = sub.add_parser("artifacts", help="generate the vendor installer stand-ins of a stack")
    art.add_argument("--stack", required=True)
    art.add_argument("--out", required=True)
    art.add_argument("--arch", help="target architecture (default: both)")
    art.add_argument("--no-python", action="store_true",
                     help="only the HDK/CANN .run files, not the Python half (conda, wheelhouse, sources)")
    sub.add_parser("rootfs", help="build the cached node rootfs now (up does it when needed)")
    ssh = sub.add_parser("ssh", help="ssh into a node with the cluster's key and known_hosts")
    ssh.add_argument("name")
    ssh.add_argument("host")
    ssh.add_argument("command", nargs=argparse.REMAINDER)
    return p


def _ssh(name, host, command):
    reg = cluster.load(name)
    if host not in reg["nodes"]:
        raise SimError("unknown host %r in %s" % (host, name))
    b = cluster.build_dir(name)
    argv = ["ssh", "-i", os.path.join(b, "id_ed25519"),
            "-o", "UserKnownHostsFile=" + os.path.join(b, "known_hosts"),
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
            "root@" + reg["nodes"][host]["mgmt_ip"]] + command
    os.execvp("ssh", argv)


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        if args.cmd == "up":
            cluster.up(args.name, args.profile, args.nodes, args.mgmt_cidr, args.fabric_cidr,
                       args.disk, unaddressed=args.unaddressed)
        elif args.cmd == "down":
            if args.all:
                gone = cluster.down_all()
                print("simcluster: removed %s" % (", ".join(gone) or "nothing"))
            else:
                cluster.down(args.name)
        elif args.cmd == "status":
            reg, rows = cluster.status(args.name)
            print("%s: %s, profile %s, %d nodes, management %s, fabric %s (%s), RoCE ports %s" % (
                reg["name"], reg["product"], reg["profile"], len(rows),
                reg["plan"]["mgmt_cidr"], reg["plan"]["fabric_cidr"],
                ", ".join("plane %s gateway %s" % (p["cidr"], p["gateway"]) for p in reg["plan"].get("planes", [])),
                reg.get("addressing", "configured")))
            print("%-8s %-15s %-8s %-9s %-10s %-16s %s" % ("HOST", "ADDRESS", "STATE", "REACHABLE", "DRIVER",
                                                           "ROCE", "FAULTS"))
            for r in rows:
                print("%-8s %-15s %-8s %-9s %-10s %-16s %s" % (r["node"], r["mgmt_ip"], r["state"],
                                                               "yes" if r["reachable"] else "no",
                                                               r["driver"], r["roce"], r["faults"]))
        elif args.cmd == "fault":
            print(faults.inject(args.name, args.host, args.kind, args.args))
        elif args.cmd == "artifacts":
            from . import artifacts
            try:
                written = artifacts.generate(args.stack, args.out, args.arch, python=not args.no_python)
            except ValueError as err:
                raise SimError(str(err))
            print("simcluster: %d files in %s" % (len(written), args.out))
        elif args.cmd == "rootfs":
            print(rootfs.ensure())
        elif args.cmd == "ssh":
            _ssh(args.name, args.host, args.command)
    except RuntimeError as err:  # SimError and rootfs build failures: one line
        sys.stderr.write("simcluster: %s\n" % err)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
