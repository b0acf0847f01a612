"""hccl_test, table by table: its output as the tool and mpirun print it (fixtures), the
command line, the verdict, and the bisection that finds the node behind a bad all-node run,
with what that search costs."""

import os

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import hccl_bench as hb

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "hccl_test")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


# ---- parse -------------------------------------------------------------------------------

# fixture -> rows, (first bytes, last bytes), last alg_gbps, checks seen, warnings, error fragments, failed ranks
PARSED = [
    ("success.txt", 18, (8192, 1 << 30), 17.99397, {"success"}, 0, [], []),
    ("doc_sample.txt", 14, (8192, 1 << 26), 23.76245, {"success"}, 0, [], []),
    ("null_check.txt", 14, (8192, 1 << 26), 17.90396, {None}, 0, [], []),
    ("overflow.txt", 8, (8192, 1 << 20), 13.39961, {None}, 1, [], []),
    ("failed_root.txt", 4, (8192, 65536), 1.84608, {"success", "failed"}, 0, [], [{"rank": 3, "bytes": None}]),
    ("failed_local_rank.txt", 4, (8192, 65536), 1.84608, {"success", "failed"}, 0, [], [{"rank": 5, "bytes": 16384}]),
    ("interleaved.txt", 12, (8192, 1 << 24), 17.62188, {"success"}, 0, [], []),
    ("partial.txt", 5, (8192, 131072), 4.80438, {"success"}, 0, ["hccl_op_base execute failed"], []),
    ("init_failure.txt", 0, None, None, set(), 0,
     ["hccl interface return err ./common/src/hccl_test_common.cc:538, retcode: 7 (x4)",
      "This is an error in init_hcclComm. (x4)", "no result table", "last lines: "], []),
    ("mpirun_failure.txt", 0, None, None, set(), 0,
     ["libmpi.so.12: cannot open shared object file: No such file or directory (x8)",
      "BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES", "no result table"], []),
    ("empty.txt", 0, None, None, set(), 0, ["no result table", "last lines: (no output)"], []),
]


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("name, count, span, last_gbps, checks, warnings, errors, failed", PARSED,
                         ids=[p[0] for p in PARSED])
def test_parse(name, count, span, last_gbps, checks, warnings, errors, failed, crlf):
    text = fixture(name)
    parsed = hb.parse(text.replace("\n", "\r\n") if crlf else text)
    rows = parsed["rows"]
    assert len(rows) == count
    assert set(r["check"] for r in rows) == checks
    if span:
        assert (rows[0]["bytes"], rows[-1]["bytes"]) == span
        assert rows[-1]["alg_gbps"] == pytest.approx(last_gbps)
        assert all(r["avg_us"] > 0 for r in rows)
    assert len(parsed["warnings"]) == warnings
    joined = "\n".join(parsed["errors"])
    for fragment in errors:
        assert fragment in joined
    if not errors:
        assert parsed["errors"] == []
    assert parsed["failed_ranks"] == failed


def test_parse_reads_the_sweep_line_and_keeps_hccl_log_apart():
    parsed = hb.parse(fixture("interleaved.txt"))
    assert parsed["sweep"] == {"min_bytes": 8192, "max_bytes": 1 << 24, "iters": 20, "warmup_iters": 10}
    # an HCCL [ERROR] log line is context, not a failed run; a number-led log line is not a row
    assert parsed["errors"] == [] and len(parsed["hccl_log"]) == 1
    assert 1048576 not in [r["bytes"] for r in parsed["rows"][:7]]


def test_parse_marks_the_size_a_non_root_rank_failed():
    rows = hb.parse(fixture("failed_local_rank.txt"))["rows"]
    assert [r["check"] for r in rows] == ["success", "failed", "success", "success"]


def test_parse_warning_text_and_rows_only_after_the_header():
    assert hb.parse(fixture("overflow.txt"))["warnings"] == [
        "Warning: The calculation result overflows, No verification is performed."]
    headless = "\n".join(fixture("success.txt").splitlines()[2:])     # rows without a header
    parsed = hb.parse(headless)
    assert parsed["rows"] == [] and "no result table" in parsed["errors"][-1]
    assert "1073741824" in parsed["errors"][-1]                        # the last lines are quoted


@pytest.mark.parametrize("prefix", ["", "[0] ", "[1,0]<stdout>:", "[12]"])
def test_parse_strips_mpirun_rank_prefixes(prefix):
    text = "\n".join(prefix + line for line in fixture("doc_sample.txt").splitlines())
    assert len(hb.parse(text)["rows"]) == 14


def test_parse_cann_log_lines_are_context():
    text = fixture("success.txt") + (
        "[ERROR] RUNTIME(4120,all_reduce_test):2025-05-13-02:25:59.000.001 [stream.cc:10]4120 task execute failed\n"
        "[INFO] HCCL(4120,all_reduce_test):2025-05-13-02:25:59.000.002 [op_base.cc:1]Error: none, all fine\n")
    parsed = hb.parse(text)
    assert parsed["errors"] == [] and len(parsed["hccl_log"]) == 1 and "RUNTIME" in parsed["hccl_log"][0]


def test_parse_bytes_and_none():
    assert hb.parse(fixture("success.txt").encode())["rows"][0]["bytes"] == 8192
    assert hb.parse(None)["rows"] == []


# ---- sizes, argv, hostfile ---------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (8192, 8192), ("8192", 8192), ("8K", 8192), ("8k", 8192), ("64M", 64 << 20), ("1G", 1 << 30), (" 2g ", 2 << 30),
])
def test_size_bytes(value, expected):
    assert hb.size_bytes(value) == expected


@pytest.mark.parametrize("value", ["8KB", "1.5G", "", "K", "-8K", 0, -1, True, None, "8 T"])
def test_size_bytes_refuses_what_the_tool_refuses(value):
    with pytest.raises(ValueError):
        hb.size_bytes(value)


PATH = "/usr/local/Ascend/cann/tools/hccl_test/bin/all_reduce_test"

ARGV = [
    # the documented cluster run: 2 nodes x 8 NPUs, 8K..1G by 2, fp32 sum, 10 warm-up, 20 iterations, checked
    ((PATH, 2, 8, "8K", "1G", 2, "fp32", "sum", 10, 20, True, "hostfile"), {},
     ["mpirun", "-f", "hostfile", "-n", "16", PATH, "-p", "8", "-b", "8K", "-e", "1G", "-f", "2", "-d", "fp32",
      "-o", "sum", "-w", "10", "-n", "20", "-c", "1"]),
    # one node, all its NPUs, no hostfile, unchecked, a fixed size (no -f then)
    (("all_gather_test", 1, 16), {"begin": "64M", "end": "64M", "check": False, "mpirun": "/usr/local/mpich/bin/mpirun"},
     ["/usr/local/mpich/bin/mpirun", "-n", "16", "all_gather_test", "-p", "16", "-b", "64M", "-e", "64M",
      "-d", "fp32", "-o", "sum", "-w", "10", "-n", "20", "-c", "0"]),
    # nodes as the host list, a float factor, bfp16
    ((hb.binary("/usr/local/Ascend/ascend-toolkit/latest/", "reduce_scatter_test"), ["n1", "n2", "n3"], 8),
     {"begin": 1024, "end": "16M", "factor": 4.0, "dtype": "bfp16", "op": "max", "hostfile": "/tmp/hf"},
     ["mpirun", "-f", "/tmp/hf", "-n", "24",
      "/usr/local/Ascend/ascend-toolkit/latest/tools/hccl_test/bin/reduce_scatter_test", "-p", "8", "-b", "1024",
      "-e", "16M", "-f", "4", "-d", "bfp16", "-o", "max", "-w", "10", "-n", "20", "-c", "1"]),
]


@pytest.mark.parametrize("args, kwargs, expected", ARGV)
def test_argv(args, kwargs, expected):
    assert hb.argv(*args, **kwargs) == expected


@pytest.mark.parametrize("kwargs, message", [
    ({"test": "all_reduce_perf"}, "unknown hccl_test"),
    ({"nodes": 0}, "nodes"),
    ({"npus_per_node": 0}, "npus_per_node"),
    ({"begin": "1G", "end": "8K"}, "below begin"),
    ({"begin": "8KB"}, "K, M or G"),
    ({"factor": 1}, "greater than 1"),
    ({"factor": "x"}, "not a number"),
    ({"dtype": "bf16"}, "dtype"),
    ({"op": "avg"}, "op"),
    ({"warmup": -1}, "warmup"),
    ({"iters": 0}, "iters"),
])
def test_argv_refuses(kwargs, message):
    args = dict(test="all_reduce_test", nodes=2, npus_per_node=8)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        hb.argv(**args)


@pytest.mark.parametrize("hosts, npus, expected", [
    ([("10.10.130.22", 8), ("10.10.130.21", 8)], None, "10.10.130.22:8\n10.10.130.21:8\n"),
    ([{"host": "node1", "npus": 16}, {"host": "node2"}], 8, "node1:16\nnode2:8\n"),
    (["node1", "node2"], 8, "node1:8\nnode2:8\n"),
    ({"node2": 8, "node1": 4}, None, "node1:4\nnode2:8\n"),
])
def test_hostfile(hosts, npus, expected):
    assert hb.hostfile(hosts, npus) == expected


@pytest.mark.parametrize("hosts, npus", [([], 8), (["fe80::1"], 8), (["node 1"], 8), ([""], 8), (["n1"], 0),
                                         (["n1"], None)])
def test_hostfile_refuses(hosts, npus):
    with pytest.raises(ValueError):
        hb.hostfile(hosts, npus)


# ---- floors and verdicts -----------------------------------------------------------------

VERDICTS = [
    ("success.txt", None, None, True, 17.99397, 1 << 30, ["17.99 GB/s at 1G", "no floor set"]),
    ("success.txt", 15, None, True, 17.99397, 1 << 30, ["floor 15.00 GB/s"]),
    ("success.txt", 20, None, False, 17.99397, 1 << 30, ["17.99 GB/s at 1G is below the floor of 20.00 GB/s"]),
    ("success.txt", 20, "64M", False, None, 1 << 26, ["at 64M is below the floor"]),
    ("success.txt", 1, "3M", False, None, None, ["no row at 3M (measured 8K to 1G)"]),
    ("doc_sample.txt", 20, None, True, 23.76245, 1 << 26, ["23.76 GB/s at 64M"]),
    ("null_check.txt", None, None, True, 17.90396, 1 << 26, []),
    ("overflow.txt", None, None, True, 13.39961, 1 << 20, []),
    ("failed_root.txt", None, None, False, 1.84608, 65536, ["check_result failed at 32K on rank 3"]),
    ("failed_local_rank.txt", None, 8192, False, 0.27216, 8192, ["check_result failed at 16K on rank 5"]),
    ("interleaved.txt", None, None, True, 17.62188, 1 << 24, []),
    ("partial.txt", 1, None, False, 4.80438, 131072, ["reported errors: hccl_op_base execute failed"]),
    ("init_failure.txt", 1, None, False, None, None, ["no result rows: hccl interface return err"]),
    ("mpirun_failure.txt", None, None, False, None, None, ["no result rows", "libmpi.so.12"]),
    ("empty.txt", None, None, False, None, None, ["no result rows", "(no output)"]),
]


@pytest.mark.parametrize("name, floor, size, ok, bandwidth, at, fragments", VERDICTS,
                         ids=["%s-%s-%s" % (v[0], v[1], v[2]) for v in VERDICTS])
def test_verdict(name, floor, size, ok, bandwidth, at, fragments):
    result = hb.verdict(hb.parse(fixture(name)), floor, size)
    assert result["ok"] is ok
    if bandwidth is not None:
        assert result["bandwidth"] == pytest.approx(bandwidth)
    assert result["size"] == at
    assert result["floor"] == (None if floor is None else float(floor))
    for fragment in fragments:
        assert fragment in result["message"]


# ---- bisection ---------------------------------------------------------------------------

def simulate(nodes, intra=(), inter=()):
    """Run bisect_plan to the end against a cluster where `intra` nodes fail any run they are
    in (their own NPUs or HCCS are bad) and `inter` nodes fail any run of two or more nodes
    (their RoCE side is bad).  -> (plan, runs made, rounds)."""
    results, runs, rounds = [], 0, 0
    while True:
        plan = hb.bisect_plan(nodes, results)
        if plan["done"]:
            return plan, runs, rounds
        rounds += 1
        assert plan["next"], plan
        for hosts in plan["next"]:
            ok = not any(h in intra for h in hosts) and not (len(hosts) > 1 and any(h in inter for h in hosts))
            results.append({"hosts": list(reversed(hosts)), "ok": ok})     # order within a run is irrelevant
            runs += 1
        assert rounds <= 3 * len(nodes), "no progress"


def names(n):
    return ["node%d" % i for i in range(1, n + 1)]


# nodes, intra-faulty, inter-faulty -> blamed, unresolved, runs, rounds
BISECT = [
    ("healthy-2", 2, [], [], [], [], 1, 1),
    ("healthy-8", 8, [], [], [], [], 1, 1),
    ("2-intra", 2, ["node2"], [], ["node2"], [], 3, 2),
    ("2-roce", 2, [], ["node1"], [], [["node1", "node2"]], 3, 2),      # two nodes: the path, not a node
    ("4-intra", 4, ["node1"], [], ["node1"], [], 5, 3),
    ("4-roce", 4, [], ["node1"], ["node1"], [], 7, 4),
    ("8-intra", 8, ["node1"], [], ["node1"], [], 7, 4),
    ("8-roce", 8, [], ["node1"], ["node1"], [], 9, 5),
    ("8-roce-late", 8, [], ["node6"], ["node6"], [], 9, 5),
    ("5-intra", 5, ["node3"], [], ["node3"], [], 5, 3),
    ("5-roce", 5, [], ["node3"], ["node3"], [], 5, 3),      # {1,2,3} bad beside {1,2} good already names node3
    ("5-roce-last", 5, [], ["node5"], ["node5"], [], 7, 4),
    ("8-two-roce-apart", 8, [], ["node1", "node5"], ["node1", "node5"], [], 15, 5),
    ("8-two-roce-together", 8, [], ["node1", "node2"], ["node1", "node2"], [], 9, 5),
    ("8-two-intra-apart", 8, ["node2", "node7"], [], ["node2", "node7"], [], 11, 4),
    ("8-every-run-fails", 8, ["node4"], ["node4"], ["node4"], [], 7, 4),
    ("5-every-run-fails", 5, ["node1"], ["node1"], ["node1"], [], 7, 4),
    # no node proven across nodes yet: one good on its own outside the bad half is the partner
    ("3-roce-middle", 3, [], ["node2"], ["node2"], [], 7, 4),
    # a RoCE fault in every half: each half's partner is the other half's faulty node, so nothing is proven
    ("4-two-roce-apart", 4, [], ["node1", "node3"], [], [["node1", "node2"], ["node3", "node4"]], 10, 4),
]


@pytest.mark.parametrize("n, intra, inter, blamed, unresolved, runs, rounds", [b[1:] for b in BISECT],
                         ids=[b[0] for b in BISECT])
def test_bisect(n, intra, inter, blamed, unresolved, runs, rounds):
    plan, made, taken = simulate(names(n), intra, inter)
    assert plan["blamed"] == blamed
    assert plan["unresolved"] == unresolved
    assert (made, taken) == (runs, rounds)


def test_bisect_first_round_and_halves():
    nodes = names(5)
    assert hb.bisect_plan(nodes, []) == {"next": [nodes], "blamed": [], "unresolved": [], "done": False}
    plan = hb.bisect_plan(nodes, {tuple(nodes): False})                 # a mapping works as well
    assert plan["next"] == [nodes[:3], nodes[3:]] and not plan["done"]


def test_bisect_blames_a_bad_one_node_run_at_once():
    nodes = names(4)
    results = [{"hosts": nodes, "ok": False}, {"hosts": ["node3"], "ok": False}]
    plan = hb.bisect_plan(nodes, results)
    assert plan["blamed"] == ["node3"] and not plan["done"]             # the halves are still to run


def test_bisect_cost_is_two_runs_a_round():
    for n in (2, 4, 8, 16, 32, 64):
        for faulty in (names(n)[0], names(n)[-1]):
            dummy, runs, rounds = simulate(names(n), intra=[faulty])
            assert rounds == 1 + (n - 1).bit_length() and runs == 1 + 2 * (rounds - 1)
            if n == 2:
                continue
            dummy, runs, rounds = simulate(names(n), inter=[faulty])
            assert rounds == 2 + (n - 1).bit_length() and runs == 1 + 2 * (rounds - 1)


@pytest.mark.parametrize("nodes, results", [
    ([], []),
    (["a", "a"], []),
    (["a", "b"], [{"hosts": ["a", "c"], "ok": True}]),
])
def test_bisect_refuses(nodes, results):
    with pytest.raises(ValueError):
        hb.bisect_plan(nodes, results)
