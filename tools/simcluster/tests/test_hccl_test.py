"""CANN's hccl_test on a two-node A2 cluster: MPICH in the node rootfs, the toolkit's
tools/hccl_test built with make (with and without MPI_HOME), a node's own all_reduce and the two
nodes' (MPICH's Hydra over root SSH between the nodes) read by the collection's parser
(plugins/module_utils/hccl_bench.py), and the port faults: port-slow and packet-loss lower the
two-node bandwidth and are undone, link-down stops HCCL init (a node's own run, HCCS only, stays
good).  One cluster for the module."""

import importlib.util
import os
import platform
import queue
import subprocess
import sys
import threading
import time

import pytest

import simkit

sys.path[:0] = [simkit.TOOL, os.path.join(simkit.TOOL, "standins")]
from sim import artifacts  # noqa: E402
import hccl_test  # noqa: E402

NAME = "simhccl"
NODES = ("node1", "node2")
MPI_HOME = "/usr/lib/%s-linux-gnu/mpich" % platform.machine()
SET_ENV = ". /usr/local/Ascend/ascend-toolkit/set_env.sh"
HCCL_TEST = "$ASCEND_HOME_PATH/tools/hccl_test"
MAKE = "make -C %s ASCEND_DIR=$ASCEND_HOME_PATH" % HCCL_TEST
SWEEP = "-b 8K -e 64M -f 2 -d fp32 -o sum -w 2 -n 5 -c 1"
SIZES = [8192 * 2 ** k for k in range(14)]          # 8K .. 64M
SLOW_PORT = ("node2", 3)
FIGURES = {}                                         # what the runs measured (printed at the end)


def _hccl_bench():
    path = os.path.join(simkit.REPO, "plugins", "module_utils", "hccl_bench.py")
    spec = importlib.util.spec_from_file_location("hccl_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hccl_bench = _hccl_bench()


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """Two A2 nodes with driver and toolkit, and root SSH from node1 to both nodes for Hydra: a
    key made here, the nodes' host keys pinned (known_hosts from the cluster's), a launcher."""
    out = str(tmp_path_factory.mktemp("artifacts"))
    artifacts.generate("seed", out, platform.machine(), python=False)
    toolkit = [f for f in sorted(os.listdir(out)) if f.startswith("Ascend-cann-toolkit_")][0]
    c = simkit.Cluster(NAME, "a2", 2).up()
    try:
        for node in NODES:
            result = c.install_driver(node, simkit.run_file(out, "driver"))
            assert result.returncode == 0, result.stdout + result.stderr
            c.scp(node, os.path.join(out, toolkit), "/root/")
            c.ssh(node, "bash /root/%s --full --quiet --install-for-all" % toolkit)
        key = str(tmp_path_factory.mktemp("ssh") / "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hccl_test@" + NAME, "-f", key],
                       check=True)
        with open(key + ".pub") as f:
            pub = f.read()
        for node in NODES:
            c.ssh(node, "cat >> /root/.ssh/authorized_keys", stdin=pub)
        with open(key) as f:
            c.ssh("node1", "umask 077 && cat > /root/.ssh/hccl_test", stdin=f.read())
        with open(os.path.join(c.build, "known_hosts")) as f:
            c.ssh("node1", "cat > /root/.ssh/hccl_known_hosts", stdin=f.read())
        c.ssh("node1", "umask 077 && cat > /root/hccl-ssh && chmod 700 /root/hccl-ssh", stdin=(
            "#!/bin/sh\nexec ssh -i /root/.ssh/hccl_test -o IdentitiesOnly=yes "
            "-o UserKnownHostsFile=/root/.ssh/hccl_known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes "
            "-l root \"$@\"\n"))
        c.ssh("node1", "cat > /root/hostfile", stdin="".join("%s:8\n" % c.ip(n) for n in NODES))
        yield c
    finally:
        c.down()
        if FIGURES:
            sys.stderr.write("\nhccl_test figures (GB/s at 64 MiB, wall s): %s\n" % FIGURES)


@pytest.fixture(scope="module")
def built(sim):
    for node in NODES:
        sim.ssh(node, "%s && %s MPI_HOME=%s" % (SET_ENV, MAKE, MPI_HOME))
    return sim


def run(c, node, argv, timeout=300):
    """mpirun ARGV on the node after set_env.sh -> (stdout, exit status)."""
    proc = c.ssh(node, "%s && timeout %d mpirun %s" % (SET_ENV, timeout, argv), check=False)
    return proc.stdout, proc.returncode


def two_nodes(c, label, test="all_reduce_test"):
    """The head's run over both nodes, as role verify starts it -> parsed, with the bandwidth."""
    start = time.monotonic()
    text, rc = run(c, "node1", "-f /root/hostfile -n 16 -launcher ssh -launcher-exec /root/hccl-ssh %s/bin/%s -p 8 %s"
                   % (HCCL_TEST, test, SWEEP))
    parsed = hccl_bench.parse(text)
    parsed["rc"], parsed["text"] = rc, text
    judged = hccl_bench.verdict(parsed)
    parsed["gbps"], parsed["ok"] = judged["bandwidth"], judged["ok"]
    FIGURES[label] = (judged["bandwidth"], round(time.monotonic() - start, 1))
    return parsed


def all_success(parsed):
    assert parsed["rc"] == 0, parsed["text"]
    assert parsed["errors"] == [] and parsed["failed_ranks"] == [], parsed["text"]
    assert [r["bytes"] for r in parsed["rows"]] == SIZES, parsed["text"]
    assert all(r["check"] == "success" and r["alg_gbps"] > 0 for r in parsed["rows"]), parsed["text"]
    assert parsed["sweep"] == {"min_bytes": 8192, "max_bytes": 64 * 1024 ** 2, "iters": 5, "warmup_iters": 2}


def test_mpich_is_installed_in_the_node(sim):
    out = sim.ssh("node1", "ls %s/include/mpi.h && readlink -f /usr/lib/%s-linux-gnu/libmpi.so && "
                           "mpirun --version" % (MPI_HOME, platform.machine())).stdout
    assert "mpi.h" in out and "libmpich.so" in out and "HYDRA" in out


def test_make_without_mpi_home_fails_on_mpi_h(sim):
    proc = sim.ssh("node1", "%s && %s" % (SET_ENV, MAKE), check=False)
    assert proc.returncode == 2
    assert "fatal error: mpi.h: No such file or directory" in proc.stderr and "Error 1" in proc.stderr
    assert sim.ssh("node1", "%s && ls %s/bin/all_reduce_test" % (SET_ENV, HCCL_TEST), check=False).returncode == 2


def test_make_builds_the_tests_once(sim):
    first = sim.ssh("node1", "%s && %s MPI_HOME=%s" % (SET_ENV, MAKE, MPI_HOME))
    assert "all_reduce_test compile completed" in first.stdout
    listing = sim.ssh("node1", "%s && cd %s/bin && ls" % (SET_ENV, HCCL_TEST)).stdout.split()
    assert listing == ["all_gather_test", "all_reduce_test", "alltoall_test", "broadcast_test",
                       "reduce_scatter_test"]
    again = sim.ssh("node1", "%s && %s MPI_HOME=%s" % (SET_ENV, MAKE, MPI_HOME))
    assert "Nothing to be done for 'all'" in again.stdout and "compile" not in again.stdout


def test_a_nodes_own_run(built):
    text, rc = run(built, "node2", "-n 8 %s/bin/all_reduce_test -p 8 %s" % (HCCL_TEST, SWEEP))
    parsed = hccl_bench.parse(text)
    parsed["rc"], parsed["text"] = rc, text
    all_success(parsed)
    assert text.splitlines()[0] == "the minbytes is 8192, maxbytes is 67108864, iters is 5, warmup_iters is 2"
    assert hccl_bench.verdict(parsed)["ok"]


@pytest.fixture(scope="module")
def healthy(built):
    parsed = two_nodes(built, "healthy")
    all_success(parsed)
    return parsed["gbps"]


def test_two_nodes(healthy):
    assert healthy > 10, "two A2 nodes should show tens of GB/s, not %s" % healthy


@pytest.mark.parametrize("fault, undo", [(("port-slow", "3"), ("port-fast", "3")),
                                         (("packet-loss", "3", "5"), ("packet-loss-off", "3"))],
                         ids=["port-slow", "packet-loss"])
def test_a_degraded_port_lowers_the_two_node_bandwidth(built, healthy, fault, undo):
    node = SLOW_PORT[0]
    built.fault(node, *fault)
    try:
        bad = two_nodes(built, fault[0])
    finally:
        built.fault(node, *undo)
    all_success(bad)                      # slower, not wrong
    assert bad["gbps"] < 0.6 * healthy, (bad["gbps"], healthy)
    again = two_nodes(built, fault[0] + " undone")
    all_success(again)
    assert again["gbps"] > 0.75 * healthy, (again["gbps"], healthy)


def test_link_down_fails_hccl_init(built):
    built.fault("node2", "link-down", "3")
    try:
        parsed = two_nodes(built, "link-down")
        own, rc = run(built, "node2", "-n 8 %s/bin/all_reduce_test -p 8 -b 64M -e 64M -w 1 -n 2" % HCCL_TEST)
    finally:
        built.fault("node2", "link-up", "3")
    assert parsed["rc"] == 0                         # as the real tool: the text says it failed
    assert parsed["rows"] == [] and not parsed["ok"]
    assert any("hccl interface return err" in e and "retcode: 7" in e for e in parsed["errors"]), parsed["text"]
    assert any(e.startswith("This is an error in init_hcclComm. (x16)") for e in parsed["errors"]), parsed["errors"]
    # the node's own run uses HCCS only: the RoCE port's link does not matter
    assert rc == 0 and hccl_bench.verdict(hccl_bench.parse(own))["ok"], own


# ---- the collectives' arithmetic, without a cluster: ranks as threads, links as queues ----

class _Pipe:
    def __init__(self, src, dst, peer):
        self.src, self.dst, self.peer = src, dst, peer


@pytest.mark.parametrize("hosts", [["a"] * 4, ["a", "b"], ["a"] * 3 + ["b"] * 3, ["a", "b", "c", "d"],
                                   ["a", "a", "b", "b", "c", "c", "d", "d"], ["a", "b", "c"], ["a", "a", "b"]],
                         ids=["1x4", "2x1", "2x3", "4x1", "4x2", "3x1-ring", "uneven"])
@pytest.mark.parametrize("test", hccl_test.TESTS)
def test_collectives_deliver_what_the_check_expects(monkeypatch, hosts, test):
    """Every rank's result equals the tool's expected buffer, on rails of a power of two (halving-
    doubling), of three (ring) and without one rank count per node (one ring over all)."""
    size = len(hosts)
    pipes = dict(((a, b), queue.Queue()) for a in range(size) for b in range(size))

    def transfer(sends, recvs):
        for link, data in sends:
            pipes[(link.src, link.dst)].put(bytes(data))
        got = {}
        for link, n in recvs:
            got[link.peer] = pipes[(link.src, link.dst)].get(timeout=10)
            assert len(got[link.peer]) == n
        return got
    monkeypatch.setattr(hccl_test, "transfer", transfer)
    opts = hccl_test.Options()
    opts.dtype, opts.op, opts.root = "fp32", "sum", size - 1
    results, errors = {}, []

    def rank(r):
        try:
            comm = hccl_test.Comm(r, size, hosts)
            to, frm = comm.peers(test)
            comm.out = dict((p, _Pipe(r, p, p)) for p in to)
            comm.inn = dict((p, _Pipe(p, r, p)) for p in frm)
            case = hccl_test.Case(test, comm, opts, 1024 ** 2)
            results[r] = (case.run(), case.expected)
        except Exception as err:  # pylint: disable=broad-except
            errors.append((r, repr(err)))
    threads = [threading.Thread(target=rank, args=(r,)) for r in range(size)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(results) == list(range(size))
    assert all(got == expected for got, expected in results.values())
