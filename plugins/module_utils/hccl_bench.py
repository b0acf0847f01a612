# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""CANN's hccl_test collective benchmark: its command line, its output, its verdict, and
how to find the node that makes a cluster-wide run slow or fail.

Pure logic, no process is run here: the calling role runs `mpirun` with `argv`, hands the
text to `parse`, judges it with `verdict`, and when the all-node run is bad asks
`bisect_plan` which subsets to run next.  Formats as hccl_test prints them
(hicann/oam-tools src/hccl_test, see ascend_tools_formats.md section 2.3):

    the minbytes is 8192, maxbytes is 67108864, iters is 20, warmup_iters is 5
    data_size(Bytes): | aveg_time(us): | alg_bandwidth(GB/s): | check_result:
    8192              | 764.55         | 0.00998              | success

Why the text and not the exit status decides: hccl_test's main() overwrites the test's
return code with that of a clean-up step, so an HCCL init failure still exits 0, and
MPICH's mpiexec has been seen to exit 0 when a rank did not.  Python 3.9+, standard
library only.
"""

import re

TESTS = ("all_reduce_test", "all_gather_test", "all_gatherv_test", "broadcast_test", "reduce_test",
         "reduce_scatter_test", "reduce_scatterv_test", "scatter_test", "alltoall_test", "alltoallv_test",
         "alltoallvc_test")
# as the tool's -d and -o accept them (note bfp16, not bf16)
DTYPES = ("int8", "int16", "int32", "fp16", "fp32", "int64", "uint64", "uint8", "uint16", "uint32", "fp64",
          "bfp16", "int128", "hif8", "fp8e4m3", "fp8e5m2", "fp8e8m0")
OPS = ("sum", "prod", "max", "min")
BIN_DIR = "tools/hccl_test/bin"     # under ASCEND_HOME_PATH (.../ascend-toolkit/latest or .../cann)

# No per-product floor: our references hold no published hccl_test figure for any product (the one
# figure, 23.76 GB/s at 64 MiB on 8 ranks, is a doc sample on unstated hardware; "8 x 200GE" and
# an unofficial "56 GB/s per HCCS link" are line rates, not an algorithm bandwidth, which depends
# on the algorithm and the rank count).  The floor is the caller's: a knob, or the cluster's first
# healthy run as its baseline.

_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
_SIZE = re.compile(r"^\s*(\d+)\s*([kKmMgG]?)\s*$")

# mpirun's own per-line prefixes: MPICH -prepend-rank "[3] ", Open MPI --tag-output "[1,3]<stdout>:"
_RANK_PREFIX = re.compile(r"^\[\d+(?:,\d+)?\](?:<std(?:out|err)>)?:?\s?")
_SWEEP = re.compile(r"the minbytes is (\d+), maxbytes is (\d+), iters is (-?\d+), warmup_iters is (-?\d+)")
_HEADER = re.compile(r"data_size\(Bytes\):\s*\|\s*a(?:ve?)?g_time\(us\):\s*\|\s*alg_bandwidth\(GB/s\):\s*\|"
                     r"\s*check_result:", re.I)
_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_ROW = re.compile(r"^\s*(\d+)\s*\|\s*(%s)\s*\|\s*(%s)\s*\|\s*(success|failed|NULL)\s*$" % (_NUM, _NUM), re.I)
# older builds: "rank id 3, check result failed"; current: "local rank_id 3, check result failed, 8192 | ... | failed"
_RANK_FAILED = re.compile(r"rank[ _]id (\d+), check result failed(?:,\s*(\d+)\s*\|)?")
_WARNING = re.compile(r"^\s*(Warning: .*?)\s*$")
# what hccl_test and the MPI launchers print when the run did not work
_ERRORS = re.compile("|".join((
    r"(?:hccl|acl) interface return err",
    r"This is an error in \w+",
    r"HcclGetRootInfo failed",
    r"received invalid data from root process",
    r"execute failed",
    r"Alloc memory size is larger than free memory",
    r"memory allocation error",
    r"^\s*Error:",
    r"invalid size specified",
    r"^\s*invalid option",
    r"non-option ARGV-elements",
    r"Fatal error in (?:P?MPI)",
    r"BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES",
    r"YOUR APPLICATION TERMINATED WITH THE EXIT STRING",
    r"one of the processes terminated badly",
    r"error while loading shared libraries",
    r"Could not resolve hostname",
    r"Connection refused",
    r"No route to host",
    r"Permission denied",
    r"died unexpectedly",
    r"mpirun noticed that",
    r"command not found",
    r"未找到命令",
    r"^\s*\[mpiexec@[^\]]*\].*(?:error|fail|abort)",
)), re.I)
# CANN's log lines (ASCEND_SLOG_PRINT_TO_STDOUT=1), e.g. "[ERROR] HCCL(36035,x):2025-05-13-... [op_base.cc:974]...":
# context, not a verdict on their own (the tool's own lines say whether the run failed)
_PLOG = re.compile(r"^\s*\[(ERROR|WARNING|INFO|DEBUG|EVENT|TRACE)\]\s+[A-Z][A-Za-z0-9_]*\(")
_MAX_ERRORS = 20


# ---- sizes and command line ------------------------------------------------------------

def size_bytes(value):
    """Bytes of a size as hccl_test's -b/-e read it: a number with one optional K/M/G
    (powers of 1024, either case); ValueError otherwise, as the tool would refuse it."""
    if isinstance(value, bool):
        raise ValueError("size %r is not a number of bytes" % (value,))
    if isinstance(value, int):
        if value <= 0:
            raise ValueError("size %r must be positive" % (value,))
        return value
    match = _SIZE.match(str(value))
    if not match or int(match.group(1)) <= 0:
        raise ValueError("size %r: give bytes, or a number with K, M or G" % (value,))
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def _count(name, value, minimum=0):
    if isinstance(value, bool) or not isinstance(value, int) and not str(value).strip().isdigit():
        raise ValueError("%s %r must be a whole number" % (name, value))
    if int(value) < minimum:
        raise ValueError("%s %r must be at least %d" % (name, value, minimum))
    return int(value)


def _factor(value):
    try:
        factor = float(value)
    except (TypeError, ValueError):
        raise ValueError("factor %r is not a number" % (value,))
    if factor <= 1.0:
        raise ValueError("factor %r must be greater than 1 (hccl_test refuses it)" % (value,))
    return ("%g" % factor)


def binary(ascend_home, test):
    """Path of a test under a CANN install (ASCEND_HOME_PATH)."""
    return "%s/%s/%s" % (str(ascend_home).rstrip("/"), BIN_DIR, test)


def argv(test, nodes, npus_per_node, begin="8K", end="1G", factor=2, dtype="fp32", op="sum", warmup=10,
         iters=20, check=True, hostfile=None, mpirun="mpirun"):
    """The mpirun argv (MPICH Hydra: `-f hostfile -n ranks`) of one hccl_test run.

    `test` is a test name or a path ending in one; `nodes` a count (or the list of hosts);
    without a hostfile mpirun starts every rank on this node (a one-node run).  Values the
    tool would refuse raise ValueError here, before a cluster-wide launch."""
    name = str(test).rstrip("/").rsplit("/", 1)[-1]
    if name not in TESTS:
        raise ValueError("unknown hccl_test %r (one of %s)" % (name, ", ".join(TESTS)))
    count = len(nodes) if isinstance(nodes, (list, tuple)) else _count("nodes", nodes, 1)
    if count < 1:
        raise ValueError("nodes: at least one")
    npus = _count("npus_per_node", npus_per_node, 1)
    low, high = size_bytes(begin), size_bytes(end)
    if high < low:
        raise ValueError("end %r is below begin %r" % (end, begin))
    if dtype not in DTYPES:
        raise ValueError("dtype %r is not one of %s" % (dtype, ", ".join(DTYPES)))
    if op not in OPS:
        raise ValueError("op %r is not one of %s" % (op, ", ".join(OPS)))
    out = [str(mpirun)]
    if hostfile:
        out += ["-f", str(hostfile)]
    out += ["-n", str(count * npus), str(test), "-p", str(npus), "-b", str(begin).strip(), "-e", str(end).strip()]
    if factor is not None and low != high:
        out += ["-f", _factor(factor)]
    out += ["-d", dtype, "-o", op, "-w", str(_count("warmup", warmup)), "-n", str(_count("iters", iters, 1)),
            "-c", "1" if check else "0"]
    return out


def hostfile(hosts, npus=None):
    """MPICH hostfile text, one `host:npus` line per host.  `hosts`: (host, npus) pairs,
    {"host", "npus"} dicts, a {host: npus} mapping, or names with `npus` for all.
    MPICH's hostfile takes IPv4 addresses or names only, so an IPv6 address is refused."""
    if isinstance(hosts, dict):
        hosts = sorted(hosts.items())
    lines = []
    for item in hosts:
        if isinstance(item, dict):
            host, count = item.get("host"), item.get("npus", npus)
        elif isinstance(item, (list, tuple)):
            host, count = item
        else:
            host, count = item, npus
        host = str(host or "").strip()
        if not host or re.search(r"[\s:]", host):
            raise ValueError("host %r cannot go in an MPICH hostfile" % (host,))
        lines.append("%s:%d" % (host, _count("npus of %s" % host, count, 1)))
    if not lines:
        raise ValueError("no hosts")
    return "\n".join(lines) + "\n"


# ---- output ------------------------------------------------------------------------------

def _lines(text):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return [_RANK_PREFIX.sub("", line) for line in (text or "").splitlines()]


def _dedup(items):
    """Keep the first of each line, counting repeats (every rank prints the same error)."""
    counts, order = {}, []
    for item in items:
        if item not in counts:
            order.append(item)
        counts[item] = counts.get(item, 0) + 1
    return ["%s (x%d)" % (i, counts[i]) if counts[i] > 1 else i for i in order]


def _tail(lines, count=5):
    tail = [line.strip() for line in lines if line.strip()][-count:]
    return " | ".join(tail) if tail else "(no output)"


def parse(text):
    """Rows, warnings and errors of a hccl_test stdout, however mpirun interleaved it.

    -> {"rows": [{"bytes", "avg_us", "alg_gbps", "check": "success"|"failed"|None}],
        "warnings": [...], "errors": [...], "failed_ranks": [{"rank", "bytes"}],
        "sweep": {"min_bytes", "max_bytes", "iters", "warmup_iters"} or None, "hccl_log": [...]}
    A row only counts after the table header, so a number-led log line cannot pose as one.
    A rank's own "check result failed" line marks that size failed: the current source
    prints `failed` in the root's row only when the root itself failed."""
    lines = _lines(text)
    rows, warnings, errors, failed, hccl_log = [], [], [], [], []
    sweep, header = None, False
    for line in lines:
        if _HEADER.search(line):
            header = True
            continue
        row = _ROW.match(line) if header else None
        if row:
            check = row.group(4).lower()
            rows.append({"bytes": int(row.group(1)), "avg_us": float(row.group(2)),
                         "alg_gbps": float(row.group(3)), "check": None if check == "null" else check})
            continue
        rank_failed = _RANK_FAILED.search(line)
        if rank_failed:
            size = rank_failed.group(2)
            failed.append({"rank": int(rank_failed.group(1)), "bytes": int(size) if size else None})
            continue
        match = _SWEEP.search(line)
        if match:
            sweep = dict(zip(("min_bytes", "max_bytes", "iters", "warmup_iters"), map(int, match.groups())))
            continue
        plog = _PLOG.match(line)
        if plog:
            if plog.group(1) == "ERROR":
                hccl_log.append(line.strip())
            continue
        match = _WARNING.match(line)
        if match:
            warnings.append(match.group(1))
        elif _ERRORS.search(line):
            errors.append(line.strip())
    failed_sizes = set(f["bytes"] for f in failed)
    for row in rows:
        if row["bytes"] in failed_sizes:
            row["check"] = "failed"
    errors = _dedup(errors)[:_MAX_ERRORS]
    if not header:
        errors.append("no result table (no data_size(Bytes): header) in the output; last lines: %s" % _tail(lines))
    elif not rows:
        errors.append("the result table has no rows; last lines: %s" % _tail(lines))
    return {"rows": rows, "warnings": _dedup(warnings), "errors": errors,
            "failed_ranks": sorted(failed, key=lambda f: (f["rank"], f["bytes"] or 0)),
            "sweep": sweep, "hccl_log": _dedup(hccl_log)[:_MAX_ERRORS]}


# ---- verdict -----------------------------------------------------------------------------

def _fmt_size(size):
    for unit, scale in (("G", 1024 ** 3), ("M", 1024 ** 2), ("K", 1024)):
        if size >= scale and size % scale == 0:
            return "%d%s" % (size // scale, unit)
    return "%d B" % size


def verdict(parsed, floor_gbps=None, size=None):
    """Whether a parsed run is healthy: rows present, no error, no failed check anywhere,
    and the bandwidth at `size` (default: the largest size measured) not below the floor.
    -> {"ok", "bandwidth", "size", "floor", "message"}; floor None only reports the figure."""
    rows = parsed.get("rows") or []
    floor = None if floor_gbps is None else float(floor_gbps)
    out = {"ok": False, "bandwidth": None, "size": None, "floor": floor, "message": ""}
    if not rows:
        out["message"] = "no result rows: %s" % ("; ".join(parsed.get("errors") or []) or "empty output")
        return out
    if size is None:
        row = max(rows, key=lambda r: r["bytes"])
    else:
        wanted = size_bytes(size)
        row = next((r for r in rows if r["bytes"] == wanted), None)
        if row is None:
            out["message"] = "no row at %s (measured %s to %s)" % (
                _fmt_size(wanted), _fmt_size(min(r["bytes"] for r in rows)), _fmt_size(max(r["bytes"] for r in rows)))
            return out
    out.update(bandwidth=row["alg_gbps"], size=row["bytes"])
    figure = "%.2f GB/s at %s" % (row["alg_gbps"], _fmt_size(row["bytes"]))
    failed = sorted(set([r["bytes"] for r in rows if r["check"] == "failed"]
                        + [f["bytes"] for f in parsed.get("failed_ranks") or [] if f["bytes"] is not None]))
    ranks = sorted(set(f["rank"] for f in parsed.get("failed_ranks") or []))
    if failed or ranks:
        out["message"] = "check_result failed%s%s (%s)" % (
            " at " + ", ".join(_fmt_size(s) for s in failed) if failed else "",
            " on rank " + ", ".join(str(r) for r in ranks) if ranks else "", figure)
    elif parsed.get("errors"):
        out["message"] = "the run reported errors: %s (%s)" % ("; ".join(parsed["errors"][:3]), figure)
    elif floor is not None and row["alg_gbps"] < floor:
        out["message"] = "%s is below the floor of %.2f GB/s" % (figure, floor)
    else:
        out["ok"] = True
        out["message"] = figure + (", floor %.2f GB/s" % floor if floor is not None else ", no floor set")
    return out


# ---- bisection ---------------------------------------------------------------------------

def bisect_plan(nodes, results):
    """The next hccl_test runs that narrow a bad all-node run down to the nodes at fault.

    `nodes`: the hosts of the all-node run, in order.  `results`: the runs so far, as
    [{"hosts": [...], "ok": bool}] (or a {tuple(hosts): ok} mapping); ok = its verdict.
    -> {"next": [[hosts], ...], "blamed": [...], "unresolved": [[hosts], ...], "done": bool}

    Plan, recomputed from the results each call (so it is deterministic and resumable):
    the all-node run first; a bad run of two or more nodes is split in halves (first half
    the larger), each half run on its own, and bad halves are split again, down to single
    nodes.  A one-node run (all its NPUs, HCCS only) that is bad blames that node directly.
    A bad set whose halves are both good has a fault that only shows across nodes (a RoCE
    port): each of its members not yet proven good is paired with a node that was (the first
    such in `nodes`; before any node is proven, a node outside the set that was good on its
    own).  A node is blamed when a bad run holds it and otherwise only nodes proven good (in a
    good run of two or more nodes): every run with it is bad, a run without it is good.  A bad
    set whose members are all proven good, that has no node to pair with (two nodes), or whose
    pairs proved nothing (a fault in every half), is `unresolved`: the path between them, not
    a node.

    Cost with one slow node among N: 1 all-node run, then ceil(log2 N) rounds of 2 runs
    (the two halves), plus, when the fault is inter-node only, at most one round of 2 pair
    runs; e.g. N=8: 7 runs in 4 rounds (intra-node fault) or 9 in 5 (RoCE fault).  Each
    further slow node in another half adds its own halves and pairs to the same rounds.
    The runs of one round may share nodes: run them one after another, not at once."""
    order = dict((host, i) for i, host in enumerate(nodes))
    if len(order) != len(nodes) or not nodes:
        raise ValueError("nodes must be distinct and not empty")

    def key(hosts):
        unknown = [h for h in hosts if h not in order]
        if unknown:
            raise ValueError("run over hosts outside nodes: %s" % ", ".join(map(str, unknown)))
        return tuple(sorted(set(hosts), key=order.get))

    known = {}
    items = results.items() if isinstance(results, dict) else (
        (r.get("hosts") or [], r.get("ok")) for r in (results or []))
    for hosts, ok in items:
        if hosts:
            known[key(hosts)] = bool(ok)
    proven = set(h for run, ok in known.items() if ok and len(run) > 1 for h in run)
    reference = next((h for h in nodes if h in proven), None)
    wanted, unresolved = [], []

    def want(run):
        if run not in known and run not in wanted:
            wanted.append(run)

    def walk(run):
        if len(run) == 1:
            return
        half = (len(run) + 1) // 2
        halves = (run[:half], run[half:])
        if any(h not in known for h in halves):
            for h in halves:
                want(h)
            return
        if not (known[halves[0]] and known[halves[1]]):
            for h in halves:
                if not known[h]:
                    walk(h)
            return
        suspects = [h for h in run if h not in proven]
        # No node proven across nodes yet: one outside this run that was good on its own will do;
        # a good pair proves both, and then the other suspects are settled against them.
        partner = reference or next((h for h in nodes if h not in run and known.get((h,)) is True), None)
        if not suspects or partner is None:
            unresolved.append(list(run))
            return
        # a suspect is settled by any run of it with proven nodes only (whichever proven node it was)
        pending = [key((h, partner)) for h in suspects if not any(
            h in other and len(other) > 1 and all(o in proven for o in other if o != h) for other in known)]
        if pending and all(pair in known for pair in pending):
            unresolved.append(list(run))        # the partner was no better: nothing more to learn here
        for pair in pending:
            want(pair)

    full = key(nodes)
    if full not in known:
        return {"next": [list(full)], "blamed": [], "unresolved": [], "done": False}
    if known[full]:
        return {"next": [], "blamed": [], "unresolved": [], "done": True}
    walk(full)
    blamed = [h for h in nodes if h not in proven and any(
        not ok and h in run and all(o in proven for o in run if o != h) for run, ok in known.items())]
    if not wanted:
        unresolved = [u for u in unresolved if not any(h in blamed for h in u)]
    return {"next": [list(r) for r in wanted], "blamed": blamed,
            "unresolved": [] if wanted else unresolved, "done": not wanted}


# ---- building and running it on a node ---------------------------------------------------

# The distribution's MPICH by package manager: what to install, the MPI_HOME hccl_test's
# Makefile takes (include/mpi.h, lib/libmpi*), and its Hydra launcher.  "{triplet}" is the
# node's multiarch triplet (Debian and Ubuntu keep MPICH's headers and libs per arch).
# Debian/Ubuntu: <home>/include links to mpi.h; -lmpi is libmpich-dev's /usr/lib/<triplet>/libmpi.so.
# openEuler/EL: mpi.h is in /usr/include/mpich-<arch> (MPI_INC_DIR overrides the Makefile's
# <home>/include), and the libraries in <home>/lib are off the loader's path at run time.
_EL_MPICH = {"packages": ["mpich", "mpich-devel"], "home": "/usr/lib64/mpich", "mpirun": "/usr/lib64/mpich/bin/mpirun",
             "make": ["MPI_INC_DIR=/usr/include/mpich-{arch}"], "library_path": "/usr/lib64/mpich/lib"}
MPI = {
    "apt": {"packages": ["mpich", "libmpich-dev"], "home": "/usr/lib/{triplet}/mpich",
            "mpirun": "/usr/bin/mpiexec.mpich", "make": [], "library_path": ""},
    "dnf": _EL_MPICH,
    "yum": _EL_MPICH,
}
BUILT = ("all_reduce_test", "all_gather_test", "broadcast_test", "reduce_scatter_test", "alltoall_test")


def build_plan(pkg_mgr, arch, ascend_home, mpi_home="", mpirun=""):
    """What the cann role does so the benchmark can run: the MPI packages, and the make of
    hccl_test under the toolkit (ascend-deployer builds it too, then never runs it).
    -> {"packages", "mpi_home", "mpirun", "dir", "make", "library_path", "creates"}; ValueError when the
    node's package manager has no known MPICH and no mpi_home was given."""
    layout = MPI.get(pkg_mgr or "")
    if layout is None and not (mpi_home and mpirun):
        raise ValueError("no MPICH layout known for package manager %r: set the MPI home and mpirun knobs" % (pkg_mgr,))
    if mpi_home or layout is None:          # the user's own MPICH: their home, nothing added
        layout = {"packages": (layout or {}).get("packages", []), "home": mpi_home, "mpirun": "", "make": [],
                  "library_path": ""}
    home = layout["home"].replace("{triplet}", "%s-linux-gnu" % arch)
    src = "%s/%s" % (str(ascend_home).rstrip("/"), BIN_DIR.rsplit("/", 1)[0])
    make = ["make", "-C", src, "MPI_HOME=" + home, "ASCEND_DIR=" + str(ascend_home).rstrip("/")]
    return {"packages": list(layout["packages"]), "mpi_home": home, "mpirun": mpirun or layout["mpirun"] or "mpirun",
            "dir": src, "make": make + [v.replace("{arch}", arch) for v in layout["make"]],
            "library_path": layout["library_path"], "creates": "%s/bin/%s" % (src, BUILT[0])}


def series(run, nodes, floor_gbps=None, size=None, bisect=True, max_runs=16):
    """The all-node run, then (when it is bad and bisect) the runs bisect_plan asks for,
    round by round, one after another.  `run(hosts)` runs hccl_test over those hosts and
    returns {"text", "rc", "seconds"}.  -> {"ok", "runs": [...], "blamed", "unresolved",
    "bandwidth", "message"}; each run carries its hosts, verdict and parse summary."""
    runs, results = [], []

    def one(hosts):
        out = run(list(hosts))
        parsed = parse(out.get("text") or "")
        judged = verdict(parsed, floor_gbps, size)
        if out.get("rc") not in (0, None) and judged["ok"]:
            judged = dict(judged, ok=False, message="mpirun exited %s (%s)" % (out["rc"], judged["message"]))
        runs.append({"hosts": list(hosts), "ok": judged["ok"], "bandwidth": judged["bandwidth"],
                     "size": judged["size"], "message": judged["message"], "rc": out.get("rc"),
                     "seconds": out.get("seconds"), "rows": parsed["rows"], "errors": parsed["errors"]})
        results.append({"hosts": list(hosts), "ok": judged["ok"]})

    step = bisect_plan(nodes, results)
    while step["next"] and len(runs) < max_runs:
        for hosts in step["next"]:
            one(hosts)
        if not bisect:
            break
        step = bisect_plan(nodes, results)
    first = runs[0]
    out = {"ok": first["ok"], "runs": runs, "bandwidth": first["bandwidth"], "blamed": [], "unresolved": []}
    if first["ok"]:
        out["message"] = "%d node(s): %s" % (len(nodes), first["message"])
        return out
    if bisect and len(nodes) > 1:
        out["blamed"], out["unresolved"] = step["blamed"], step["unresolved"]
        found = []
        if step["blamed"]:
            found.append("slow or failing: " + ", ".join(step["blamed"]))
        for pair in step["unresolved"]:
            found.append("the path between %s (each is good with others)" % " and ".join(pair))
        if step["next"]:
            found.append("bisection stopped after %d runs" % len(runs))
        out["message"] = "%d node(s): %s; %s" % (len(nodes), first["message"], "; ".join(found) or "no node to blame")
    else:
        out["message"] = "%d node(s): %s" % (len(nodes), first["message"])
    return out
