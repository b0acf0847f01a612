"""hccl_test stand-in: CANN's collective benchmark on a simulated Atlas node (simcluster; not
Huawei software).

The toolkit stand-in installs this file as tools/hccl_test/common/src/hccl_test.py and its
Makefile "builds" bin/all_reduce_test, all_gather_test, broadcast_test, reduce_scatter_test and
alltoall_test as copies of it (the test is the program's name).  MPICH's mpiexec (Hydra) starts
one process per rank; each speaks the simple PMI-1 wire protocol over PMI_FD (init,
get_my_kvsname, put, barrier_in, get, finalize) to swap endpoints, then uses local device
rank % -p (or HCCL_TEST_USE_DEVS) and moves real bytes:

- between the NPUs of one node over "HCCS": a full mesh of Unix sockets, 56 GB/s per link (the
  910B's 7 x 56 GB/s; port faults do not touch it, as on hardware);
- between nodes over the device's RoCE port: TCP opened inside the device's network namespace
  (/opt/simcluster/fabric/<phy_id>, as hccn_tool's ping) on its RoCE address, so the bytes cross
  the simulated fabric and its faults: link-down (HCCL init fails), port-slow (the port's token
  bucket), packet-loss (nftables drops).  A port sends RDMA-like messages of one packet, each
  acknowledged before the next, at the profile's port speed: like a RoCE queue pair, it pays for
  every lost packet with a retransmission timeout, where TCP alone would hide most losses.

Collectives are hierarchical, as HCCL's on A2 servers: all_reduce = mesh reduce-scatter inside
each node, all-reduce (reduce-scatter + all-gather) between the nodes over each rail (the NPUs
of one index): recursive halving-doubling when the nodes are a power of two, else a ring; mesh
all-gather inside each node; all_gather, reduce_scatter and broadcast (a ring) the same way
round; alltoall pairwise.  Without one rank count per node: the same over all ranks as one rail.

Scale (hwstate.FABRIC_BYTE_SCALE, FABRIC_TIME_SCALE): 1/256 of the bytes move, every link is
paced at its rate / (256 * 200), and the printed time is the wall-clock time / 200, so the
figures are the size of a real run's.  Every buffer holds one value per chunk (as the real
tool initialises it), so a reduction checks and combines whole chunks at C speed.

Output as the real tool's (hicann oam-tools src/hccl_test; ascend_tools_formats.md 2.3): rank 0
prints "the minbytes is ..." and the table, check_result success/failed/NULL; errors in its
words ("hccl interface return err ..., retcode: N" and "This is an error in init_hcclComm.");
exit status 0 after an HCCL error, as the tool's main() returns a clean-up step's status.
Python 3.9+, standard library only.
"""

import ctypes
import fcntl
import getopt
import math
import os
import re
import selectors
import socket
import struct
import sys
import time

_HERE = os.path.dirname(os.path.realpath(__file__))
for _lib in (os.path.join(_HERE, "..", "common", "src"), _HERE, "/opt/simcluster/lib"):
    if os.path.isfile(os.path.join(_lib, "hwstate.py")):
        sys.path.insert(0, _lib)
        break
import hwstate  # noqa: E402

TESTS = ("all_reduce_test", "all_gather_test", "broadcast_test", "reduce_scatter_test", "alltoall_test")
# -d names in the tool's order, with the element size and a struct format (None: no arithmetic
# here; the tool's check does not know them either: "no match datatype").
DTYPES = (("int8", 1, "b"), ("int16", 2, "h"), ("int32", 4, "i"), ("fp16", 2, "e"), ("fp32", 4, "f"),
          ("int64", 8, "q"), ("uint64", 8, "Q"), ("uint8", 1, "B"), ("uint16", 2, "H"), ("uint32", 4, "I"),
          ("fp64", 8, "d"), ("bfp16", 2, "bf16"), ("int128", 16, None), ("hif8", 1, None),
          ("fp8e4m3", 1, None), ("fp8e5m2", 1, None), ("fp8e8m0", 1, None))
DTYPE = dict((name, (size, fmt)) for name, size, fmt in DTYPES)
OPS = ("sum", "prod", "max", "min")
# How many ranks a reduction can have before its check overflows (the tool's documented table,
# "Result Description"): beyond it the check is off (NULL) with the tool's warning.
OVERFLOW = {
    ("all_reduce_test", "prod"): {"int8": 6, "int16": 14, "int32": 30, "int64": 62, "fp32": 127, "fp16": 15,
                                  "bfp16": 127},
    ("all_reduce_test", "sum"): {"int8": 63, "int16": 16383, "int32": 10 ** 9, "int64": 10 ** 18, "fp32": 10 ** 6,
                                 "fp16": 511, "bfp16": 63},
    ("reduce_scatter_test", "prod"): {"int8": 6, "int16": 14, "int32": 30, "int64": 62, "fp32": 127, "fp16": 15,
                                      "bfp16": 127},
    ("reduce_scatter_test", "sum"): {"int8": 11, "int16": 181, "int32": 46340, "int64": 10 ** 9, "fp32": 2896,
                                     "fp16": 31, "bfp16": 11},
}
KILO, MEGA, GIGA = 1024, 1024 ** 2, 1024 ** 3
BUF_ALIGN_SIZE, BUF_ALIGN_LINE = 512, 1024 * 1024
VAL = 2                               # the tool's fill value of a reduction's input

HCCS_LINK_BYTES_S = 56e9              # one HCCS link of a 910B (7 per NPU, full mesh)
ROCE_MSG = 1448                       # one packet of the port (veth MTU 1500, IPv4 + TCP with timestamps)
HCCS_PIECE = 16384                    # HCCS streams in pieces of this many (scaled) bytes
CONNECT_TIMEOUT_S = 10                # sim: at most this long (or HCCL_CONNECT_TIMEOUT) to build the links
STALL_TIMEOUT_S = 60                  # sim: a collective that moves nothing this long failed (HCCL_EXEC_TIMEOUT)
OP_FLOOR_US = 10                      # sim: no collective takes less (a real one launches a task on the NPU)
HCCL_E_UNAVAIL, HCCL_E_TIMEOUT = 7, 9
# Where the tool's checks sit in its source (the line of the documented init error, FAQ "retcode: 7").
INIT_CHECK = "./common/src/hccl_test_common.cc:538"
OP_CHECK = "./opbase_test/hccl_%s_rootinfo_test.cc:147"
USAGE_LINES = ("USAGE: ./test \n\t"
               "[-b,--minbytes <min size in bytes>] \n\t"
               "[-e,--maxbytes <max size in bytes>] \n\t"
               "[-i,--stepbytes <increment size>] \n\t"
               "[-f,--stepfactor <increment factor>] \n\t"
               "[-n,--iters <iteration count>] \n\t"
               "[-o,--op <sum/prod/min/max>] \n\t"
               "[-d,--datatype <int8/int16/int32/fp16/fp32/int64/uint64/uint8/uint16/uint32/fp64/bfp16/int128/hif8/"
               "fp8e4m3/fp8e5m2/fp8e8m0>] \n\t"
               "[-r,--root <root>] \n\t"
               "[-w,--warmup_iters <warmup iteration count>] \n\t"
               "[-c,--check <result verification> 0:disabled 1:enabled.] \n\t"
               "[-p,--npus <npus used for one node>] \n\t"
               "[-z,--zero_copy  0:disabled 1:enabled.] \n\t"
               "[-s,--nslb  0:disabled 1:enabled.] \n\t"
               "[-h,--help]\n"
               "(simcluster stand-in: a simulated hccl_test, not Huawei's)")
LONGOPTS = ["op=", "datatype=", "minbytes=", "maxbytes=", "stepbytes=", "stepfactor=", "root=", "iters=",
            "warmup_iters=", "check=", "npus=", "help", "zero_copy=", "nslb="]
SHORT = {"op": "o", "datatype": "d", "minbytes": "b", "maxbytes": "e", "stepbytes": "i", "stepfactor": "f",
         "root": "r", "iters": "n", "warmup_iters": "w", "check": "c", "npus": "p", "help": "h", "zero_copy": "z",
         "nslb": "s"}


def out(text=""):
    """One line to stdout at once (the tool sets line buffering: mpiexec interleaves lines)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class HcclError(Exception):
    """An HCCL call failed with this return code."""

    def __init__(self, code, why=""):
        Exception.__init__(self, why)
        self.code = code


# ---- the loader: what ld.so would refuse before main() -----------------------------------

def _multiarch():
    machine = os.uname().machine
    return {"x86_64": "x86_64-linux-gnu", "aarch64": "aarch64-linux-gnu"}.get(machine, machine + "-linux-gnu")


def missing_library(environ):
    """The first shared library the real binary needs that the loader would not find, or None:
    libhccl.so is in the toolkit's lib64 (LD_LIBRARY_PATH after set_env.sh), MPICH's library in
    a system directory (Debian) or in LD_LIBRARY_PATH (openEuler's /usr/lib64/mpich/lib)."""
    dirs = [d for d in environ.get("LD_LIBRARY_PATH", "").split(":") if d]
    system = ["/lib/" + _multiarch(), "/usr/lib/" + _multiarch(), "/lib64", "/usr/lib64", "/lib", "/usr/lib"]
    for names, where in ((("libhccl.so",), dirs), (("libmpi.so.12", "libmpich.so.12"), dirs + system)):
        if not any(os.path.exists(os.path.join(d, n)) for d in where for n in names):
            return names[0]
    return None


# ---- command line, as the tool parses and checks it -----------------------------------------

class Options:
    def __init__(self):
        self.begin = self.end = 64 * MEGA
        self.step_bytes = None
        self.factor = None
        self.iters, self.warmup, self.check, self.root = 20, 10, 1, 0
        self.dtype, self.op, self.op_given = "fp32", "sum", False
        self.npus = None
        self.help = False


def parse_size(text):
    match = re.match(r"^\s*([-+]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*))(.*)$", text)
    if not match:
        return -1
    value = int(match.group(1), 0)
    unit = match.group(2)
    if unit == "":
        return value
    if len(unit) == 1 and unit in "kKmMgG":
        return value * {"k": KILO, "m": MEGA, "g": GIGA}[unit.lower()]
    return -1


def all_digit(text):
    if not text.isdigit():
        out("Error:In judge all digit, Check whether the value of [-i -n -r -w -c -p] is a positive integer.")
        return -1
    return int(text)


def _factor(value):
    try:
        return float(re.match(r"^\s*([-+]?[0-9.]*(?:[eE][-+]?[0-9]+)?)", value).group(1) or 0)
    except ValueError:
        return 0.0


# option letter -> (Options attribute, conversion as the tool does it: strtoull-like sizes, strict digits)
_SETTERS = {
    "b": ("begin", parse_size), "e": ("end", parse_size), "i": ("step_bytes", all_digit), "f": ("factor", _factor),
    "n": ("iters", all_digit), "r": ("root", all_digit), "w": ("warmup", all_digit), "c": ("check", all_digit),
    "p": ("npus", all_digit), "o": ("op", lambda v: v if v in OPS else None),
    "d": ("dtype", lambda v: v if v in DTYPE else None),
}


def parse_args(argv):
    """-> Options, or None after the tool's messages (it then says 'This is an error in parse_cmd_line.')."""
    opts = Options()
    try:
        pairs, rest = getopt.gnu_getopt(argv, "o:d:b:e:i:f:r:n:w:c:p:z:a:s:h", LONGOPTS)
    except getopt.GetoptError as err:
        name = os.path.basename(sys.argv[0])
        if len(err.opt) == 1:      # getopt_long's words
            sys.stderr.write("%s: invalid option -- '%s'\n" % (name, err.opt))
        else:
            sys.stderr.write("%s: unrecognized option '--%s'\n" % (name, err.opt))
        out("invalid option ")
        out("Try [-h --help] for more information.")
        return None
    for key, value in pairs:
        key = SHORT.get(key.lstrip("-"), key.lstrip("-"))
        if key == "h":
            out(USAGE_LINES)
            opts.help = True
            return opts
        if key == "o":
            opts.op_given = True
        if key in _SETTERS:
            attr, convert = _SETTERS[key]
            setattr(opts, attr, convert(value))
    if rest:
        out("non-option ARGV-elements: " + "".join(r + " " for r in rest))
        return None
    return opts


def sweep(opts, test, rank_size):
    """(min, max, sizes) as check_data_count() and the size loop make them, or an error line."""
    if opts.begin <= 0 or opts.end <= 0:
        return "invalid size specified for [-b,--minbytes] or [-e,--maxbytes]"
    low, high = opts.begin, opts.end
    if opts.step_bytes is not None and opts.step_bytes < 0:
        return "Error: [-i,--stepbytes] must be greater than or equal to 0."
    if high < low:
        return "invalid option: maxbytes < minbytes, Check the [-b,--minbytes] and [-e,--maxbytes] options."
    step = opts.step_bytes if opts.step_bytes is not None else (1 if high == low else (high - low) // 10)
    if test in ("all_gather_test", "reduce_scatter_test", "alltoall_test"):   # need_ranksize_alignment
        align = rank_size * BUF_ALIGN_SIZE
        low = max(low, rank_size)
        low = low // align * align if low > BUF_ALIGN_LINE else low // rank_size * rank_size
        high = max(high, rank_size) // rank_size * rank_size
        step = (step + rank_size - 1) // rank_size * rank_size
    if opts.factor is not None and opts.factor <= 1.0:
        return "Error: [-f,--stepfactor] Must be greater than 1.0f, Start step mod."
    sizes, size = [], low
    while size <= high and len(sizes) < 10000:
        sizes.append(size)
        if opts.factor is not None:
            size = int(size * opts.factor)
        elif step == 0:
            break
        else:
            size += step
    return low, high, sizes


def check_cmd_line(opts, rank_size, dev_count):
    if opts.dtype is None:
        return "Error: [-d,--datatype] is invalid, Use [-h,--help] to check the correct input parameter."
    if opts.op is None:
        return "Error: [-o,--op] is invalid, Use [-h,--help] to check the correct input parameter."
    if opts.warmup < 0:
        return "Error: [-w,--warmup_iters] is invalid, warmup_iters must be greater than or equal to 0."
    if opts.iters < 0:
        return "Error: [-n,--iters] is invalid, iters must be greater than or equal to 0."
    if opts.root >= rank_size or opts.root < 0:
        return ("Error: [-r,--root <root>] is invalid, root rank must be greater than or equal to 0 and less than "
                "or equal to %d." % (rank_size - 1))
    if opts.check not in (0, 1):
        return "Error: [-c,--check] is invalid, check should be 0 or 1"
    if dev_count == 0:
        return "Error: The number of device is 0.Check whether the package is correct."
    if opts.npus < 1 or opts.npus > dev_count:
        return ("Error: [-p,--npus <npus used for one node>] is invalid, npus must be greater than or equal to 1 "
                "and less than or equal to %d." % dev_count)
    return None


# ---- PMI-1 (MPICH's simple wire protocol over PMI_FD) ---------------------------------------

class Pmi:
    """The process manager interface a rank of MPICH's Hydra talks to; without PMI_FD a
    singleton of one rank (MPI_Init outside mpiexec)."""

    def __init__(self, environ):
        fd = environ.get("PMI_FD")
        self.rank = int(environ.get("PMI_RANK", "0"))
        self.size = int(environ.get("PMI_SIZE", "1"))
        self.sock, self.buf, self.store = None, b"", {}
        if fd:
            self.sock = socket.socket(fileno=int(fd))
            self._cmd("cmd=init pmi_version=1 pmi_subversion=1")
            self.kvsname = self._cmd("cmd=get_my_kvsname")["kvsname"]
        else:
            self.kvsname = "singleton_%d" % os.getpid()

    def _cmd(self, line):
        self.sock.sendall((line + "\n").encode())
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise HcclError(HCCL_E_TIMEOUT, "the process manager went away")
            self.buf += chunk
        reply, self.buf = self.buf.split(b"\n", 1)
        fields = dict(item.split("=", 1) for item in reply.decode().split() if "=" in item)
        if fields.get("rc", "0") not in ("0",) and fields.get("cmd") != "get_result":
            raise HcclError(HCCL_E_TIMEOUT, "PMI: %s" % reply.decode())
        return fields

    def put(self, key, value):
        if self.sock:
            self._cmd("cmd=put kvsname=%s key=%s value=%s" % (self.kvsname, key, value))
        else:
            self.store[key] = value

    def barrier(self):
        if self.sock:
            self._cmd("cmd=barrier_in")

    def get(self, key):
        if not self.sock:
            return self.store[key]
        reply = self._cmd("cmd=get kvsname=%s key=%s" % (self.kvsname, key))
        if reply.get("rc") != "0":
            raise HcclError(HCCL_E_TIMEOUT, "PMI: no %s" % key)
        return reply["value"]

    def finalize(self):
        if self.sock:
            try:
                self._cmd("cmd=finalize")
            except (OSError, HcclError):
                pass


# ---- the device's RoCE port ---------------------------------------------------------------

CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS = 0x8913
IFF_UP, IFF_RUNNING = 0x1, 0x40


def _setns(fd):
    if hasattr(os, "setns"):
        os.setns(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def port_netns(phy_id):
    base = os.environ.get("SIMCLUSTER_FABRIC_DIR") or hwstate.path(hwstate.FABRIC_NETNS_DIR)
    return os.path.join(base, str(phy_id))


def in_port(phy_id, make):
    """Call make() inside the device's network namespace (sockets keep the namespace they
    were made in), then come back to the node's."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        target = os.open(port_netns(phy_id), os.O_RDONLY)
        try:
            _setns(target)
            try:
                return make()
            finally:
                _setns(own)
        finally:
            os.close(target)
    finally:
        os.close(own)


def port_state(phy_id):
    """(address or None, why not usable or None): the port's address from the driver's state
    and whether its link is up (the kernel's carrier of eth<phy_id>)."""
    try:
        dev = hwstate.device(hwstate.load(), phy_id)
    except (OSError, ValueError):
        return None, "no hardware state"
    address = dev and dev["roce"].get("address")
    if not address:
        return None, "device %d has no IP address (hccn_tool -i %d -ip -s)" % (phy_id, phy_id)

    def flags():
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            ifr = struct.pack("16sH14s", ("eth%d" % phy_id).encode(), 0, b"")
            return struct.unpack("16sH", fcntl.ioctl(probe.fileno(), SIOCGIFFLAGS, ifr)[:18])[1]
        finally:
            probe.close()
    try:
        bits = in_port(phy_id, flags)
    except OSError as err:
        return None, "device %d: %s" % (phy_id, err)
    if not bits & IFF_UP or not bits & IFF_RUNNING:
        return None, "the link of device %d is down" % phy_id
    return address, None


# ---- pacing and links ----------------------------------------------------------------------

class Pacer:
    """A link's (or a port's) line rate on the scale model: a byte may leave no earlier than
    its predecessors' transmission allows."""

    def __init__(self, bytes_per_s):
        self.rate = hwstate.fabric_rate(bytes_per_s)
        self.free_at = 0.0

    def wait(self, now):
        return max(0.0, self.free_at - now)

    def take(self, now, nbytes):
        self.free_at = max(now, self.free_at) + nbytes / self.rate


class Link:
    """One direction between two ranks: `out` links send data (and on RoCE read one ack per
    message), `in` links receive it (and on RoCE ack each message)."""

    def __init__(self, sock, kind, peer, pacer=None):
        sock.setblocking(False)
        if kind == "roce":
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.kind, self.peer, self.pacer = sock, kind, peer, pacer


class _Send:
    def __init__(self, link, data):
        self.link, self.data, self.pos = link, memoryview(data), 0
        self.msg_end = 0          # RoCE: end of the message on the wire, waiting for its ack
        self.waiting_ack = False

    def done(self):
        return self.pos >= len(self.data) and not self.waiting_ack


class _Recv:
    def __init__(self, link, nbytes):
        self.link, self.buf, self.got, self.acks = link, bytearray(nbytes), 0, 0

    def done(self):
        return self.got >= len(self.buf) and self.acks == 0


def transfer(sends, recvs):
    """Move every (link, bytes) of sends and receive every (link, nbytes) of recvs at once;
    -> {peer: bytes received}.  HCCS streams at its link's pace; a RoCE port sends one message
    (one packet) at a time at the port's pace and the next only after the peer acked it."""
    tx = [_Send(link, data) for link, data in sends]
    rx = [_Recv(link, n) for link, n in recvs]
    sel = selectors.DefaultSelector()
    registered = {}
    last_progress = time.monotonic()
    try:
        while not all(s.done() for s in tx) or not all(r.done() for r in rx):
            now = time.monotonic()
            wanted, timeout = {}, None
            for s in tx:
                if s.link.kind == "roce":
                    if s.waiting_ack:
                        if s.pos < s.msg_end:
                            wanted[s.link.sock] = wanted.get(s.link.sock, 0) | selectors.EVENT_WRITE
                        wanted[s.link.sock] = wanted.get(s.link.sock, 0) | selectors.EVENT_READ
                    elif s.pos < len(s.data):
                        wait = s.link.pacer.wait(now)
                        if wait > 0:
                            timeout = wait if timeout is None else min(timeout, wait)
                        else:
                            s.msg_end = min(len(s.data), s.pos + ROCE_MSG)
                            s.link.pacer.take(now, s.msg_end - s.pos)
                            s.waiting_ack = True
                            wanted[s.link.sock] = selectors.EVENT_WRITE | selectors.EVENT_READ
                elif s.pos < len(s.data):
                    wait = s.link.pacer.wait(now)
                    if wait > 0:
                        timeout = wait if timeout is None else min(timeout, wait)
                    else:
                        wanted[s.link.sock] = selectors.EVENT_WRITE
            for r in rx:
                events = selectors.EVENT_READ if r.got < len(r.buf) else 0
                if r.acks:
                    events |= selectors.EVENT_WRITE
                if events:
                    wanted[r.link.sock] = wanted.get(r.link.sock, 0) | events
            for sock in list(registered):
                if sock not in wanted:
                    sel.unregister(sock)
                    del registered[sock]
            for sock, events in wanted.items():
                if registered.get(sock) != events:
                    (sel.modify if sock in registered else sel.register)(sock, events)
                    registered[sock] = events
            if not registered:
                time.sleep(timeout or 0)
                continue
            ready = sel.select(1.0 if timeout is None else min(timeout, 1.0))
            now = time.monotonic()
            if now - last_progress > STALL_TIMEOUT_S:
                raise HcclError(HCCL_E_TIMEOUT, "no progress for %d s" % STALL_TIMEOUT_S)
            events = dict((key.fileobj, mask) for key, mask in ready)
            for s in tx:
                mask = events.get(s.link.sock, 0)
                if s.link.kind == "roce":
                    if mask & selectors.EVENT_WRITE and s.pos < s.msg_end:
                        s.pos += _send(s.link.sock, s.data[s.pos:s.msg_end])
                        last_progress = now
                    if mask & selectors.EVENT_READ and s.waiting_ack:
                        ack = _recv(s.link.sock, 1)
                        if ack:
                            s.waiting_ack = False
                            last_progress = now
                elif mask & selectors.EVENT_WRITE:
                    room = len(s.data) - s.pos
                    sent = _send(s.link.sock, s.data[s.pos:s.pos + min(room, HCCS_PIECE)])
                    s.link.pacer.take(now, sent)
                    s.pos += sent
                    last_progress = now
            for r in rx:
                mask = events.get(r.link.sock, 0)
                if mask & selectors.EVENT_READ and r.got < len(r.buf):
                    view = memoryview(r.buf)[r.got:]
                    if r.link.kind == "roce":       # no further than the end of this message
                        view = view[:ROCE_MSG - r.got % ROCE_MSG]
                    n = _recv_into(r.link.sock, view)
                    before, r.got = r.got, r.got + n
                    if r.link.kind == "roce" and (r.got % ROCE_MSG == 0 or r.got == len(r.buf)) \
                            and r.got != before:
                        r.acks += 1
                    last_progress = now
                if mask & selectors.EVENT_WRITE and r.acks:
                    r.acks -= _send(r.link.sock, b"\x06" * r.acks)
                    last_progress = now
    finally:
        sel.close()
    return dict((r.link.peer, bytes(r.buf)) for r in rx)


def _send(sock, data):
    try:
        return sock.send(data)
    except BlockingIOError:
        return 0
    except OSError as err:
        raise HcclError(HCCL_E_TIMEOUT, "send: %s" % err)


def _recv(sock, n):
    try:
        data = sock.recv(n)
    except BlockingIOError:
        return b""
    except OSError as err:
        raise HcclError(HCCL_E_TIMEOUT, "recv: %s" % err)
    if not data:
        raise HcclError(HCCL_E_TIMEOUT, "the peer closed its link")
    return data


def _recv_into(sock, view):
    try:
        n = sock.recv_into(view)
    except BlockingIOError:
        return 0
    except OSError as err:
        raise HcclError(HCCL_E_TIMEOUT, "recv: %s" % err)
    if n == 0:
        raise HcclError(HCCL_E_TIMEOUT, "the peer closed its link")
    return n


# ---- the communicator ------------------------------------------------------------------------

class Comm:
    """Ranks, their nodes and devices, and this rank's links.  hier: every node has the same
    number of ranks (L), so rank (node m, local i) talks HCCS to its node and RoCE along rail i;
    else one ring over all ranks in rank order (L = 1, M = N)."""

    def __init__(self, rank, size, hosts):
        self.rank, self.size = rank, size
        order = []
        for host in hosts:
            if host not in order:
                order.append(host)
        self.nodes = [[r for r in range(size) if hosts[r] == h] for h in order]
        self.hosts = hosts
        counts = set(len(n) for n in self.nodes)
        self.hier = len(counts) == 1
        if self.hier:
            self.L, self.M = counts.pop(), len(self.nodes)
            self.local = [n for n in self.nodes if rank in n][0]
            self.local_idx = self.local.index(rank)
            self.rail = [n[self.local_idx] for n in self.nodes]
        else:
            self.L, self.M = 1, size
            self.local, self.local_idx, self.rail = [rank], 0, list(range(size))
        self.pos = self.rail.index(rank)
        self.out, self.inn = {}, {}

    def rail_of(self, rank):
        if not self.hier:
            return list(range(self.size))
        idx = [n for n in self.nodes if rank in n][0].index(rank)
        return [n[idx] for n in self.nodes]

    def peers(self, test):
        """(ranks I send to, ranks I receive from) for this test."""
        if test == "alltoall_test":
            others = [r for r in range(self.size) if r != self.rank]
            return others, others
        mesh = [r for r in self.local if r != self.rank]
        to, frm = list(mesh), list(mesh)
        if self.halving() and test != "broadcast_test":
            partners = [self.rail[self.pos ^ d] for d in _distances(self.M)]
            to += partners
            frm += partners
        elif self.M > 1:
            to.append(self.rail[(self.pos + 1) % self.M])
            frm.append(self.rail[(self.pos - 1) % self.M])
        return to, frm

    def halving(self):
        """Between the nodes HCCL's recursive halving-doubling when the rail has a power of two
        ranks (log2 M steps instead of a ring's M - 1), else a ring."""
        return self.M > 1 and self.M & (self.M - 1) == 0

    def same_node(self, peer):
        return self.hosts[peer] == self.hosts[self.rank]


def _hello(rank):
    return struct.pack("!I", rank)


def build_links(comm, pmi, test, dev, roce_speed):
    """Listen, publish, connect: -> None when every link is up, else (retcode, why).  A rank
    whose port cannot serve publishes so, and then every rank gives up at once (on hardware
    the others would wait HCCL_CONNECT_TIMEOUT for it)."""
    to, frm = comm.peers(test)
    remote = [p for p in set(to + frm) if not comm.same_node(p)]
    local = [p for p in set(to + frm) if comm.same_node(p)]
    failure, listeners = None, {}
    endpoint = "-"
    if remote:
        address, why = port_state(dev)
        if why:
            failure = (HCCL_E_UNAVAIL, why)
        else:
            try:
                def listen():
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind((address, 0))
                    s.listen(1024)
                    return s
                listeners["roce"] = in_port(dev, listen)
                endpoint = "%s:%d" % (address, listeners["roce"].getsockname()[1])
            except OSError as err:
                failure = (HCCL_E_UNAVAIL, "device %d: %s" % (dev, err))
    if local:
        listeners["hccs"] = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listeners["hccs"].bind(_hccs_name(pmi, comm.rank))
        listeners["hccs"].listen(1024)
    pmi.put("e%d" % comm.rank, "!%d" % failure[0] if failure else endpoint)
    pmi.barrier()
    endpoints = [pmi.get("e%d" % r) for r in range(comm.size)]
    broken = [r for r in range(comm.size) if endpoints[r].startswith("!") and r != comm.rank]
    if failure is None and broken:
        failure = (HCCL_E_TIMEOUT, "rank %s (%s) cannot use its RoCE port" % (
            ", ".join(map(str, broken)), ", ".join("device %d of %s" % (comm.devs[r], comm.hosts[r]) for r in broken)))
    try:
        if failure is None:
            failure = _connect_all(comm, pmi, to, frm, dev, endpoints, roce_speed, listeners)
    finally:
        for s in listeners.values():
            s.close()
    return failure


def _hccs_name(pmi, rank):
    return ("\0simcluster-hccs/%s/%d" % (pmi.kvsname, rank)).encode()


def _connect_all(comm, pmi, to, frm, dev, endpoints, roce_speed, listeners):
    limit = CONNECT_TIMEOUT_S
    try:
        limit = min(limit, float(os.environ.get("HCCL_CONNECT_TIMEOUT", limit)))
    except ValueError:
        pass
    deadline = time.monotonic() + limit
    roce_pacer = Pacer(roce_speed)
    for peer in sorted(to):
        try:
            if comm.same_node(peer):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(max(0.1, deadline - time.monotonic()))
                s.connect(_hccs_name(pmi, peer))
                s.sendall(_hello(comm.rank))
                comm.out[peer] = Link(s, "hccs", peer, Pacer(HCCS_LINK_BYTES_S))
                continue
            host, port = endpoints[peer].rsplit(":", 1)

            def connect():
                c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                c.settimeout(max(0.1, deadline - time.monotonic()))
                c.connect((host, int(port)))
                return c
            s = in_port(dev, connect)
            s.sendall(_hello(comm.rank))
            comm.out[peer] = Link(s, "roce", peer, roce_pacer)
        except (OSError, ValueError) as err:
            return (HCCL_E_TIMEOUT, "connect to rank %d (device %d of %s): %s"
                    % (peer, comm.devs[peer], comm.hosts[peer], err))
    return _accept_all(comm, set(frm), listeners.get("roce"), listeners.get("hccs"), deadline)


def _accept_all(comm, expected, roce_listener, hccs_listener, deadline):
    sel = selectors.DefaultSelector()
    for s in (roce_listener, hccs_listener):
        if s is not None:
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, "listener")
    pending = {}
    try:
        while expected - set(comm.inn):
            left = deadline - time.monotonic()
            if left <= 0:
                missing = sorted(expected - set(comm.inn))
                return (HCCL_E_TIMEOUT, "no link from rank %s within the connect timeout"
                        % ", ".join(map(str, missing)))
            for key, dummy in sel.select(left):
                if key.data == "listener":
                    try:
                        s, _addr = key.fileobj.accept()
                    except BlockingIOError:
                        continue
                    s.setblocking(False)
                    kind = "hccs" if key.fileobj is hccs_listener else "roce"
                    pending[s] = (kind, b"")
                    sel.register(s, selectors.EVENT_READ, "hello")
                else:
                    s = key.fileobj
                    kind, got = pending[s]
                    try:
                        chunk = s.recv(4 - len(got))
                    except BlockingIOError:
                        continue
                    if not chunk:
                        sel.unregister(s)
                        del pending[s]
                        continue
                    got += chunk
                    pending[s] = (kind, got)
                    if len(got) == 4:
                        sel.unregister(s)
                        del pending[s]
                        peer = struct.unpack("!I", got)[0]
                        comm.inn[peer] = Link(s, kind, peer)
        return None
    finally:
        sel.close()


# ---- values and chunks -----------------------------------------------------------------------

def encode(dtype, value):
    size, fmt = DTYPE[dtype]
    if fmt is None:
        return bytes([int(value) & 0xff]) * size
    if fmt == "bf16":
        return struct.pack("<f", float(value))[2:]
    if fmt in "efd":
        try:
            return struct.pack("<" + fmt, float(value))
        except (OverflowError, struct.error):
            return struct.pack("<" + fmt, math.copysign(float("inf"), value))
    bits = 8 * size
    value = int(value) % (1 << bits)
    if fmt.islower() and value >= 1 << (bits - 1):
        value -= 1 << bits
    return struct.pack("<" + fmt, value)


def decode(dtype, elem):
    fmt = DTYPE[dtype][1]
    if fmt is None:
        return elem[0]
    if fmt == "bf16":
        return struct.unpack("<f", b"\0\0" + elem)[0]
    return struct.unpack("<" + fmt, elem)[0]


def fill(dtype, value, count):
    return encode(dtype, value) * count


def element_of(dtype, chunk):
    """The one value a chunk holds, as its bytes; None when the chunk is not one value."""
    size = DTYPE[dtype][0]
    first = chunk[:size]
    return first if chunk == first * (len(chunk) // size) else None


def reduce_chunks(dtype, op, a, b):
    ea, eb = element_of(dtype, a), element_of(dtype, b)
    if ea is None or eb is None or DTYPE[dtype][1] is None:
        return b"\xff" * len(a)            # not what the tool's check expects
    x, y = decode(dtype, ea), decode(dtype, eb)
    value = {"sum": lambda: x + y, "prod": lambda: x * y, "max": lambda: max(x, y), "min": lambda: min(x, y)}[op]()
    return encode(dtype, value) * (len(a) // DTYPE[dtype][0])


def split(buf, parts):
    n = len(buf) // parts
    return [buf[i * n:(i + 1) * n] for i in range(parts)]


# ---- collectives ----------------------------------------------------------------------------

def _ring_step(comm, send, recv_len):
    nxt, prv = comm.rail[(comm.pos + 1) % comm.M], comm.rail[(comm.pos - 1) % comm.M]
    return transfer([(comm.out[nxt], send)], [(comm.inn[prv], recv_len)])[prv]


def ring_reduce_scatter(comm, blocks, dtype, op, shift=0):
    """Blocks of the rail's ring, reduced so that this rank ends with block (pos + 1 + shift)."""
    m, pos = comm.M, comm.pos
    for s in range(m - 1):
        out_i, in_i = (pos - s + shift) % m, (pos - s - 1 + shift) % m
        got = _ring_step(comm, blocks[out_i], len(blocks[in_i]))
        blocks[in_i] = reduce_chunks(dtype, op, blocks[in_i], got)
    return (pos + 1 + shift) % m


def ring_all_gather(comm, blocks, have):
    """Each rank of the rail holds block `have` (pos + offset); after it every rank has all."""
    m = comm.M
    offset = have - comm.pos
    for s in range(m - 1):
        out_i, in_i = (comm.pos + offset - s) % m, (comm.pos + offset - s - 1) % m
        blocks[in_i] = _ring_step(comm, blocks[out_i], len(blocks[in_i]))
    return blocks


def _distances(m):
    """1, 2, 4, ... below m."""
    out, d = [], 1
    while d < m:
        out.append(d)
        d *= 2
    return out


def _exchange(comm, partner, data, nbytes):
    return transfer([(comm.out[partner], data)], [(comm.inn[partner], nbytes)])[partner]


def halving_reduce_scatter(comm, blocks, dtype, op):
    """Recursive halving over the rail (M a power of two): this rank ends with block pos reduced."""
    lo, hi = 0, comm.M
    for d in reversed(_distances(comm.M)):
        mid = (lo + hi) // 2
        keep, give = ((mid, hi), (lo, mid)) if comm.pos & d else ((lo, mid), (mid, hi))
        got = _exchange(comm, comm.rail[comm.pos ^ d], b"".join(blocks[give[0]:give[1]]),
                        sum(len(b) for b in blocks[keep[0]:keep[1]]))
        for j, b in zip(range(*keep), split(got, keep[1] - keep[0])):
            blocks[j] = reduce_chunks(dtype, op, blocks[j], b)
        lo, hi = keep
    return lo


def doubling_all_gather(comm, blocks):
    """Recursive doubling over the rail (M a power of two): from block pos to all M blocks."""
    lo, hi = comm.pos, comm.pos + 1
    for d in _distances(comm.M):
        plo = lo ^ d
        phi = plo + hi - lo
        got = _exchange(comm, comm.rail[comm.pos ^ d], b"".join(blocks[lo:hi]),
                        sum(len(b) for b in blocks[plo:phi]))
        blocks[plo:phi] = split(got, phi - plo)
        lo, hi = min(lo, plo), max(hi, phi)
    return blocks


def mesh(comm, sends, recv_len):
    """Inside the node: sends = {local peer: bytes}; -> {local peer: bytes}."""
    if not sends:
        return {}
    return transfer([(comm.out[p], data) for p, data in sends.items()],
                    [(comm.inn[p], recv_len) for p in sends])


def all_reduce(comm, buf, dtype, op):
    parts = split(buf, comm.L)
    i = comm.local_idx
    peers = [p for p in comm.local if p != comm.rank]
    got = mesh(comm, dict((p, parts[comm.local.index(p)]) for p in peers), len(parts[i]))
    mine = parts[i]
    for p in peers:
        mine = reduce_chunks(dtype, op, mine, got[p])
    if comm.halving():
        blocks = split(mine, comm.M)
        halving_reduce_scatter(comm, blocks, dtype, op)
        mine = b"".join(doubling_all_gather(comm, blocks))
    elif comm.M > 1:
        blocks = split(mine, comm.M)
        have = ring_reduce_scatter(comm, blocks, dtype, op)
        mine = b"".join(ring_all_gather(comm, blocks, have))
    parts[i] = mine
    got = mesh(comm, dict((p, mine) for p in peers), len(mine))
    for p in peers:
        parts[comm.local.index(p)] = got[p]
    return b"".join(parts)


def all_gather(comm, part):
    """-> every rank's part, in rank order."""
    have = {comm.rank: part}
    if comm.M > 1:
        blocks = [part] * comm.M
        gathered = doubling_all_gather(comm, blocks) if comm.halving() else ring_all_gather(comm, blocks, comm.pos)
        for j, b in enumerate(gathered):
            have[comm.rail[j]] = b
    peers = [p for p in comm.local if p != comm.rank]
    mine = b"".join(have[r] for r in comm.rail)
    got = mesh(comm, dict((p, mine) for p in peers), len(mine))
    for p in peers:
        for r, b in zip(comm.rail_of(p), split(got[p], comm.M)):
            have[r] = b
    return b"".join(have[r] for r in range(comm.size))


def reduce_scatter(comm, buf, dtype, op):
    """buf holds one part per rank (rank order); -> this rank's part, reduced over all."""
    parts = split(buf, comm.size)
    peers = [p for p in comm.local if p != comm.rank]
    sends = dict((p, b"".join(parts[r] for r in comm.rail_of(p))) for p in peers)
    mine = [parts[r] for r in comm.rail]
    got = mesh(comm, sends, len(b"".join(mine)))
    for p in peers:
        for j, b in enumerate(split(got[p], comm.M)):
            mine[j] = reduce_chunks(dtype, op, mine[j], b)
    if comm.halving():
        halving_reduce_scatter(comm, mine, dtype, op)
    elif comm.M > 1:
        ring_reduce_scatter(comm, mine, dtype, op, shift=-1)
    return mine[comm.pos]


def broadcast(comm, buf, root):
    """The root's buffer to every rank: scattered inside the root's node, passed along each rail,
    gathered inside every node."""
    parts = split(buf, comm.L)
    i = comm.local_idx
    peers = [p for p in comm.local if p != comm.rank]
    root_node = [n for n in comm.nodes if root in n][0] if comm.hier else None
    if comm.hier and comm.rank in root_node and comm.L > 1:
        if comm.rank == root:
            transfer([(comm.out[p], parts[comm.local.index(p)]) for p in peers], [])
        else:
            parts[i] = transfer([], [(comm.inn[root], len(parts[i]))])[root]
    if comm.M > 1:
        start = comm.rail.index(root) if not comm.hier else comm.nodes.index(root_node)
        hops = (comm.pos - start) % comm.M
        nxt, prv = comm.rail[(comm.pos + 1) % comm.M], comm.rail[(comm.pos - 1) % comm.M]
        if hops > 0:
            parts[i] = transfer([], [(comm.inn[prv], len(parts[i]))])[prv]
        if hops < comm.M - 1:
            transfer([(comm.out[nxt], parts[i])], [])
    got = mesh(comm, dict((p, parts[i]) for p in peers), len(parts[i]))
    for p in peers:
        parts[comm.local.index(p)] = got[p]
    return b"".join(parts)


def alltoall(comm, buf):
    blocks = split(buf, comm.size)
    others = [r for r in range(comm.size) if r != comm.rank]
    got = transfer([(comm.out[r], blocks[r]) for r in others], [(comm.inn[r], len(blocks[r])) for r in others])
    got[comm.rank] = blocks[comm.rank]
    return b"".join(got[r] for r in range(comm.size))


# ---- one size of the sweep --------------------------------------------------------------------

class Case:
    """What a test moves at one size: logical bytes (the tool's malloc_kSize and bandwidth),
    the scaled buffer, the operation, and the expected result."""

    def __init__(self, test, comm, opts, size):
        esize = DTYPE[opts.dtype][0]
        n, scale = comm.size, hwstate.FABRIC_BYTE_SCALE
        count = (size + esize - 1) // esize
        self.test, self.comm, self.opts = test, comm, opts
        dt, op, r = opts.dtype, opts.op, comm.rank
        if test == "all_reduce_test":
            self.kbytes = self.bw_bytes = count * esize
            real = _round_up(max(1, -(-count // scale)), comm.L * comm.M)
            self.input = fill(dt, VAL, real)
            self.expected = fill(dt, _combined(op, [VAL] * n), real)
            self.run = lambda: all_reduce(comm, self.input, dt, op)
        elif test == "reduce_scatter_test":
            per = -(-count // n)
            self.kbytes = per * esize
            self.bw_bytes = self.kbytes * n
            real = max(1, -(-per // scale))
            self.input = fill(dt, n, real * n)
            self.expected = fill(dt, _combined(op, [n] * n), real)
            self.run = lambda: reduce_scatter(comm, self.input, dt, op)
        elif test == "all_gather_test":
            per = -(-count // n)
            self.kbytes = per * esize
            self.bw_bytes = self.kbytes * n
            real = max(1, -(-per // scale))
            self.input = fill(dt, r + 1, real)
            self.expected = b"".join(fill(dt, k + 1, real) for k in range(n))
            self.run = lambda: all_gather(comm, self.input)
        elif test == "broadcast_test":
            self.kbytes = self.bw_bytes = count * esize
            real = _round_up(max(1, -(-count // scale)), comm.L)
            self.input = fill(dt, VAL if r == opts.root else 0, real)
            self.expected = fill(dt, VAL, real)
            self.run = lambda: broadcast(comm, self.input, opts.root)
        else:   # alltoall_test
            aligned = n * 128 if count >= n * 128 else n
            count = _round_up(count, aligned)
            self.kbytes = self.bw_bytes = count * esize
            real = max(1, -(-count // n // scale))
            self.input = fill(dt, r + 1, real * n)
            self.expected = b"".join(fill(dt, k + 1, real) for k in range(n))
            self.run = lambda: alltoall(comm, self.input)


def _round_up(value, multiple):
    return -(-value // multiple) * multiple


def _combined(op, values):
    result = values[0]
    for v in values[1:]:
        result = {"sum": result + v, "prod": result * v, "max": max(result, v), "min": min(result, v)}[op]
    return result


def overflows(test, opts, size):
    if test in ("all_gather_test", "alltoall_test", "broadcast_test"):
        return opts.dtype in ("int8", "uint8") and size >= 128, "Warning: The initdata overflows, No verification is performed."
    limit = OVERFLOW.get((test, opts.op), {}).get(opts.dtype)
    return limit is not None and size > limit, "Warning: The calculation result overflows, No verification is performed."


# ---- main ------------------------------------------------------------------------------------

def run(test, argv, environ):
    """The tool's main(): -> exit status."""
    lib = missing_library(environ)
    if lib:
        sys.stderr.write("%s: error while loading shared libraries: %s: cannot open shared object file: "
                         "No such file or directory\n" % (sys.argv[0], lib))
        return 127
    try:
        pmi = Pmi(environ)
    except (OSError, ValueError, HcclError) as err:
        out("Fatal error in PMPI_Init: Other MPI error, error stack: %s" % err)   # sim wording
        return 1
    try:
        return _main(test, argv, environ, pmi)
    finally:
        pmi.finalize()


def _main(test, argv, environ, pmi):
    opts = parse_args(argv)
    if opts is None:
        out("This is an error in parse_cmd_line.")
        return 255
    if opts.help:
        return 0
    rank, size = pmi.rank, pmi.size
    try:
        state = hwstate.load()
    except (OSError, ValueError):
        state = None
    if state is None or not hwstate.device_started(state):
        # aclrtGetDeviceCount without a running driver (sim: the return code of an unloaded driver)
        out("acl interface return err ./common/src/hccl_test_common.cc:488, retcode: 507033.")
        out("This is an error in get_mpi_proc.")
        return 507033 & 0xff
    devices = [d["phy_id"] for d in hwstate.devices(state)]
    if opts.npus is None:
        opts.npus = len(devices)
    use = environ.get("HCCL_TEST_USE_DEVS")
    if use:
        ids = sorted(int(x) for x in re.findall(r"\d+", use)) or [0]
        dev = ids[rank % len(ids)]
    else:
        dev = rank % opts.npus if opts.npus > 0 else 0
    bad = check_cmd_line(opts, size, len(devices))
    swept = None if bad else sweep(opts, test, size)
    if bad or isinstance(swept, str):
        out(bad or swept)
        out("This is an error in check_cmd_line.")
        return 255
    low, high, sizes = swept
    if opts.factor is not None and opts.step_bytes is not None and rank == opts.root:
        out("Warning: [-f,--stepfactor] and [-i,--stepbytes] are set, [-f,--stepfactor] is enabled by default.")
    if rank == opts.root:
        out("the minbytes is %d, maxbytes is %d, iters is %d, warmup_iters is %d" % (low, high, opts.iters, opts.warmup))
    try:
        comm = init_comm(pmi, test, dev, state)
    except HcclError as err:
        out("hccl interface return err %s, retcode: %d " % (INIT_CHECK, err.code))
        out("This is an error in init_hcclComm.")
        return 0
    try:
        sweep_sizes(test, comm, opts, sizes)
    except HcclError as err:
        out("hccl interface return err %s, retcode: %d " % (OP_CHECK % test.split("_test")[0].replace("_", ""),
                                                            err.code))
        out("hccl_op_base execute failed, Detailed logs are stored at the default path: /root/ascend/log/")
    return 0


def init_comm(pmi, test, dev, state):
    """HcclCommInitRootInfo: who is where, then every link the test needs; fails on every rank
    when one rank's does (the failing rank's code, HCCL_E_TIMEOUT on the others)."""
    rank, size = pmi.rank, pmi.size
    pmi.put("h%d" % rank, "%s,%d" % (socket.gethostname(), dev))
    pmi.barrier()
    hosts, devs = [], []
    for r in range(size):
        host, d = pmi.get("h%d" % r).rsplit(",", 1)
        hosts.append(host)
        devs.append(int(d))
    comm = Comm(rank, size, hosts)
    comm.devs = devs
    speed = (state.get("port_speed_mbps") or 200000) * 1e6 / 8
    failure = build_links(comm, pmi, test, dev, speed)
    pmi.put("s%d" % rank, str(failure[0]) if failure else "0")
    pmi.barrier()
    others = [r for r in range(size) if r != rank and pmi.get("s%d" % r) != "0"]
    if failure:
        raise HcclError(failure[0], failure[1])
    if others:
        raise HcclError(HCCL_E_TIMEOUT, "rank %s failed" % ", ".join(map(str, others)))
    return comm


def sweep_sizes(test, comm, opts, sizes):
    root = comm.rank == opts.root
    header = True
    for size in sizes:
        case = Case(test, comm, opts, size)
        check = opts.check
        overflow, warning = overflows(test, opts, comm.size)
        if test in ("all_gather_test", "alltoall_test", "broadcast_test") and opts.op_given and root:
            out("Warning: The -o,--op <sum/prod/min/max> option does not take effect. Check the cmd parameter.")
        if overflow:
            check = 0
            if root and header:
                out(warning)
        result = None
        for dummy in range(opts.warmup):
            result = _timed(case)
        start = time.monotonic()
        for dummy in range(opts.iters):
            result = _timed(case)
        wall = time.monotonic() - start
        if result is None:
            result = _timed(case)
        avg_us = wall / max(opts.iters, 1) / hwstate.FABRIC_TIME_SCALE * 1e6
        gbps = case.bw_bytes / avg_us * 1e-3 if avg_us > 0 else 0.0
        if check == 0:
            verdict = "NULL"
        else:
            ok = DTYPE[opts.dtype][1] is not None and result == case.expected
            if DTYPE[opts.dtype][1] is None:
                out("no match datatype")
            if not ok:
                out("rank id %d, check result failed, %-17d | %-14.2f | %-20.5f | failed" % (comm.rank, size, avg_us,
                                                                                             gbps))
            verdict = "success" if ok else "failed"
        if root:
            if header:
                out("%-15s | %-12s | %-18s | %s" % ("data_size(Bytes):", "aveg_time(us):", "alg_bandwidth(GB/s):",
                                                    "check_result:"))
                header = False
            out("%-17d | %-14.2f | %-20.5f | %s" % (size, avg_us, gbps, verdict))


def _timed(case):
    """One collective, OP_FLOOR_US at least (scaled)."""
    start = time.monotonic()
    result = case.run()
    left = OP_FLOOR_US * 1e-6 * hwstate.FABRIC_TIME_SCALE - (time.monotonic() - start)
    if left > 0:
        time.sleep(left)
    return result


def main(argv=None, environ=None):
    argv = sys.argv[1:] if argv is None else argv
    environ = os.environ if environ is None else environ
    test = os.path.basename(sys.argv[0])
    if test not in TESTS:
        test = environ.get("SIMCLUSTER_HCCL_TEST", "all_reduce_test")
    return run(test, argv, environ)


if __name__ == "__main__":
    sys.exit(main())
