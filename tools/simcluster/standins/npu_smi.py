"""npu-smi stand-in for a simulated Atlas node (simcluster; not Huawei's tool).

Prints what the real npu-smi prints (ascend_tools_formats.md section 1), from the node's
hardware state (hwstate.py): `info` in the A2 and A3 layouts byte for byte, `info -l`,
`info -m`, `info -t board|health|usages|memory|common -i N [-c C]`, `info -t topo`,
`upgrade -b mcu -i N` (the MCU version query), `upgrade -t mcu -i N -f FILE` and
`upgrade -a mcu -i N`, `-v`, `-h` and the documented errors.
"""

import os
import re
import sys

import hwstate

# Column widths of the classic 98-column table (npu-smi up to 25.x): left, middle, right.
W1, W2, W3 = 27, 15, 52
# npu-smi 26.x widens the right-hand block and adds "Process id in container".  The
# reference has no verbatim 26.x sample: this rendering (71 columns) is an approximation
# made to exercise parsers that must not rely on fixed offsets.
W3_WIDE = 71
# MCU firmware of a factory board (`npu-smi upgrade -b mcu`): the real A2 sample's value (S8).
DEFAULT_MCU_VERSION = "23.3.13"

TOP_USAGE = """Usage: npu-smi <Command|-h|-v>

Commands:
       info           Show information for devices
       set            Set configuration of devices
       clear          Clear information of devices
       upgrade        Upgrade or query versions of device components
(simcluster stand-in: a simulated npu-smi, not Huawei's tool)"""

INFO_USAGE = "Usage: npu-smi info <watch|proc|-h|-m|-l|-t type> [Options...]"

INFO_HELP = INFO_USAGE + """

Commands:
       watch          Show all device's status in scrolling format
       proc           Show device's matrix process status in scrolling format
       -h, --help     Show this help text and exit
       -m             Show all device's mapping information
       -l             Show all device's topology information
       -t type        Show information for type
                      type: board, flash, memory, usages, sensors, temp, power, volt, mac-addr,
                            common, health, product, ecc, ip, sys-time, i2c_check, work-mode,
                            ecc-enable, p2p-enable, ssh-enable, license, customized-info,
                            device-share, nve-level, aicpu-config, pcie-err, mcu-monitor,
                            err-count, boot-area, vnpu-mode, info-vnpu, vnpu-svm, cpu-num-cfg,
                            first-power-on-date, proc-mem, phyid-remap, vnpu-cfg-recover, key-manage,
                            template-info, pkcs-enable, p2p-mem-cfg, pwm-mode, pwm-duty-ratio,
                            boot-select, topo.

Options:
       -i %d          Card ID
       -c %d          Chip ID
       -p %d          Chip Physical ID
(simcluster stand-in: a simulated npu-smi, not Huawei's tool)"""

TYPES = ("board flash memory usages sensors temp power volt mac-addr common health product ecc "
         "ip sys-time i2c_check work-mode ecc-enable p2p-enable ssh-enable license "
         "customized-info device-share nve-level aicpu-config pcie-err mcu-monitor err-count "
         "boot-area vnpu-mode info-vnpu vnpu-svm cpu-num-cfg first-power-on-date proc-mem "
         "phyid-remap vnpu-cfg-recover key-manage template-info pkcs-enable p2p-mem-cfg "
         "pwm-mode pwm-duty-ratio boot-select topo").split()


class Fail(Exception):
    """Text to print and exit 1."""


def pair(used, total):
    """Used/total as npu-smi prints it: `3445 / 65536`, `0    / 0`, `56363/ 65536`."""
    return "%-5s/ %s" % (used, total)


def kv(key, value, indent="        "):
    return "%s%-31s: %s" % (indent, key, value)


def major(version):
    try:
        return int(str(version).split(".", maxsplit=1)[0])
    except ValueError:
        return 0


# ------------------------------------------------------------------------ npu-smi info

class Table:
    def __init__(self, wide):
        self.w3 = W3_WIDE if wide else W3
        self.width = W1 + W2 + self.w3 + 4

    def sep(self, ch):
        return "+%s+%s+%s+" % (ch * W1, ch * W2, ch * self.w3)

    def full(self, ch="-"):
        return "+" + ch * (self.width - 2) + "+"

    def line(self, text):
        return ("| " + text).ljust(self.width - 1) + "|"

    def row(self, left, mid, right):
        return "|%s|%s|%s|" % (left.ljust(W1), mid.ljust(W2), right.ljust(self.w3))


def _used_hbm(dev, procs):
    return dev["hbm_base_mb"] + sum(p["memory_mb"] for p in procs if p["phy_id"] == dev["phy_id"])


def info_table(state, version):
    wide = major(version) >= 26
    t = Table(wide)
    a3 = state["npu_device"] == "A3"
    procs = hwstate.live_processes(state)
    # Right-hand block: (power, temp, pairs) widths; the 26.x block is wider.
    rw = (12, 18, 21) if not wide else (16, 22, 31)
    out = [t.full(), t.line(("npu-smi " + version).ljust(33) + "Version: " + version), t.sep("-"),
           t.row(" NPU   Name", " Health", " " + "Power(W)".ljust(rw[0]) + "Temp(C)".ljust(rw[1])
                 + "Hugepages-Usage(page)"),
           t.row(" Chip  Phy-ID" if a3 else " Chip", " Bus-Id", " " + "AICore(%)".ljust(rw[0])
                 + "Memory-Usage(MB)".ljust(rw[1]) + "HBM-Usage(MB)"),
           t.sep("=")]
    for npu in hwstate.npu_ids(state):
        chips = hwstate.chips_of(state, npu)
        for n, dev in enumerate(chips):
            power = "-" if dev["power_w"] is None else "%.1f" % dev["power_w"]
            out.append(t.row(" %-6s%s" % (npu, state["chip_name"]), " " + dev["health"],
                             " " + power.ljust(rw[0]) + str(dev["temp_c"]).ljust(rw[1]) + pair(0, 0)))
            out.append(t.row(" %-6s%s" % (dev["chip"], dev["phy_id"] if a3 else ""), " " + dev["bus_id"],
                             " " + str(dev["aicore_pct"]).ljust(rw[0]) + pair(0, 0).ljust(rw[1])
                             + pair(_used_hbm(dev, procs), dev["hbm_total_mb"])))
            out.append(t.full() if n < len(chips) - 1 else t.sep("="))
    out += [t.sep("-")]
    if wide:
        out.append(t.row(" NPU     Chip", " Process id", " Process name".ljust(26) + "| Process memory(MB)"
                         + "| Process id in container"))
    else:
        out.append(t.row(" NPU     Chip", " Process id", " Process name".ljust(26) + "| Process memory(MB)"))
    out.append(t.sep("="))
    for npu in hwstate.npu_ids(state):
        phys = [d["phy_id"] for d in hwstate.chips_of(state, npu)]
        rows = sorted((p for p in procs if p["phy_id"] in phys), key=lambda p: (p["phy_id"], p["pid"]))
        if not rows:
            out.append(t.line("No running processes found in NPU %d" % npu))
        for p in rows:
            chip = hwstate.device(state, p["phy_id"])["chip"]
            right = " " + p["name"].ljust(25) + "| " + str(p["memory_mb"])
            if wide:
                right = " " + p["name"].ljust(25) + "| " + str(p["memory_mb"]).ljust(18) + "| NA"
            out.append(t.row(" %-8s%s" % (npu, chip), " %s" % p["pid"], right))
        out.append(t.sep("="))
    return "\n".join(out)


# --------------------------------------------------------------------- other queries

def info_list(state):
    npus = hwstate.npu_ids(state)
    out = [kv("Total Count", len(npus))]
    for npu in npus:
        out += ["", kv("NPU ID", npu), kv("Chip Count", len(hwstate.chips_of(state, npu)))]
    return "\n".join(out)


def info_mapping(state):
    indent = "        "
    if state["npu_device"] == "A3":
        out = [indent + "".join(h.ljust(31) for h in ("NPU ID", "Chip ID", "Chip Logic ID", "Chip Phy-ID"))
               + "Chip Name".ljust(30)]
        for npu in hwstate.npu_ids(state):
            chips = hwstate.chips_of(state, npu)
            for dev in chips:
                out.append(indent + "".join(str(v).ljust(31) for v in (npu, dev["chip"], dev["phy_id"], dev["phy_id"]))
                           + state["chip_name"])
            out.append(indent + "".join(str(v).ljust(31) for v in (npu, len(chips), "-", "-")) + "Mcu".ljust(30))
        return "\n".join(out)
    out = [indent + "".join(h.ljust(31) for h in ("NPU ID", "Chip ID", "Chip Logic ID")) + "Chip Name".ljust(30)]
    for npu in hwstate.npu_ids(state):
        dev = hwstate.chips_of(state, npu)[0]
        out.append(indent + "".join(str(v).ljust(31) for v in (npu, 0, dev["phy_id"])) + "Ascend " + state["chip_name"])
        out.append(indent + "".join(str(v).ljust(31) for v in (npu, 1, "-")) + "Mcu".ljust(30))
    return "\n".join(out)


def _hex(value):
    return "0x" + value[2:].upper() if value.lower().startswith("0x") else value


def board(state, npu, chip, version):
    chips = hwstate.chips_of(state, npu)
    if chip is not None:
        if state["npu_device"] == "A3":
            rows = [("NPU ID", npu), ("NPU Name", state["npu_name"]), ("Chip ID", chip),
                    ("Chip Name", state["chip_name"])]
        else:
            rows = [("NPU ID", npu), ("Chip ID", chip), ("Chip Type", state["chip_type"]),
                    ("Chip Name", state["chip_name"])]
        return "\n".join(kv(k, v) for k, v in rows)
    node_number = int("".join(c for c in state["node"] if c.isdigit()) or 0)
    rows = [
        ("NPU ID", npu), ("Product Name", state["product_name"]), ("Model", "NA"),
        ("Manufacturer", "Huawei"),
        ("Serial Number", "%s%05d" % (state["serial_prefix"], node_number * 16 + npu)),
        ("Software Version", version), ("Firmware Version", state["firmware_active"]),
        ("Compatibility", "OK"), ("Board ID", state["board_id"]), ("PCB ID", "A"), ("BOM ID", 1),
        ("PCIe Bus Info", chips[0]["bus_id"]), ("Slot ID", npu), ("Class ID", "NA"),
        ("PCI Vendor ID", _hex(state["pci_vendor_id"])), ("PCI Device ID", _hex(state["pci_device_id"])),
        ("Subsystem Vendor ID", _hex(state["pci_vendor_id"])),
        ("Subsystem Device ID", _hex(state["subsystem_device_id"])), ("Chip Count", len(chips)),
    ]
    return "\n".join(kv(k, v) for k, v in rows)


def health(state, npu, chip):
    chips = hwstate.chips_of(state, npu)
    if chip is None:
        worst = max((d["health"] for d in chips), key=hwstate.HEALTH_VALUES.index)
        rows = [kv("NPU ID", npu), kv("Chip Count", len(chips)), kv("Health", worst)]
        rows += [kv("Chip ID", d["chip"]) for d in chips]
        return "\n".join(rows)
    dev = chips[chip]
    codes = " ".join(dev["error_codes"]) or "NA"
    info = dev["error_info"] or ["NA"]
    rows = [kv("Health Status", dev["health"], "\t"), kv("Error Code", codes, "\t"),
            kv("Error Information", info[0], "\t")]
    rows += [kv("", more, "\t") for more in info[1:]]
    return "\n".join(rows)


# ------------------------------------------------- -t usages | memory | common | topo

# Per chip figures the reference gives for a 910B (S6, S17); A3 dies assumed alike.
AICORE_FREQ_MHZ = 1800
AICORE_CUR_FREQ_MHZ = 800
HBM_CLOCK_MHZ = 1600
HBM_MANUFACTURER = "0x56"
MCU_TEMP_C = 38
# AI cores per chip: 910B3 has 20 (Huawei's 910B product table), the 910B1 of S6 24; an
# A3 die 24 (assumed).
AICORE_COUNT = {"910B1": 24, "910B2": 24, "910B3": 20, "910B4": 20, "Ascend910": 24}


def _hbm_rate(dev, procs):
    return int(round(100.0 * _used_hbm(dev, procs) / dev["hbm_total_mb"])) if dev["hbm_total_mb"] else 0


def _chips(state, npu, chip):
    chips = hwstate.chips_of(state, npu)
    return chips if chip is None else [chips[chip]]


def usages(state, npu, chip):
    """-t usages -i N [-c C]: the S6 block per chip (an A3 card without -c: one block per die,
    assumed)."""
    procs = hwstate.live_processes(state)
    out = [kv("NPU ID", npu), kv("Chip Count", len(hwstate.chips_of(state, npu)))]
    for dev in _chips(state, npu, chip):
        out += ["", kv("DDR Capacity(MB)", 0), kv("DDR Usage Rate(%)", 0),
                kv("DDR Hugepages Total(page)", 0), kv("DDR Hugepages Usage Rate(%)", 0),
                kv("HBM Capacity(MB)", dev["hbm_total_mb"]), kv("HBM Usage Rate(%)", _hbm_rate(dev, procs)),
                kv("Aicore Usage Rate(%)", dev["aicore_pct"]), kv("Aivector Usage Rate(%)", 0),
                kv("Aicpu Usage Rate(%)", 0), kv("Ctrlcpu Usage Rate(%)", 0),
                kv("DDR Bandwidth Usage Rate(%)", 0), kv("HBM Bandwidth Usage Rate(%)", 0),
                kv("Chip ID", dev["chip"])]
    return "\n".join(out)


def memory(state, npu, chip):
    """-t memory -i N [-c C]: S17's lines per chip (indented as the other -t answers)."""
    out = []
    for dev in _chips(state, npu, chip):
        if out:
            out.append("")
        out += [kv("DDR Capacity(MB)", 0), kv("DDR Clock Speed(MHz)", 0),
                kv("HBM Capacity(MB)", dev["hbm_total_mb"]), kv("HBM Clock Speed(MHz)", HBM_CLOCK_MHZ),
                kv("HBM Temperature(C)", dev["temp_c"] + 6), kv("HBM Manufacturer ID", HBM_MANUFACTURER)]
    return "\n".join(out)


def common(state, npu, chip):
    """-t common -i N [-c C]: S6's block per chip, then the card's MCU."""
    procs = hwstate.live_processes(state)
    out = [kv("NPU ID", npu), kv("Chip Count", len(hwstate.chips_of(state, npu)))]
    for dev in _chips(state, npu, chip):
        power = "NA" if dev["power_w"] is None else "%.1f" % dev["power_w"]
        out += ["", kv("Chip ID", dev["chip"]), kv("Memory Usage Rate(%)", 0),
                kv("HBM Usage Rate(%)", _hbm_rate(dev, procs)), kv("Aicore Usage Rate(%)", dev["aicore_pct"]),
                kv("Aicore Freq(MHZ)", AICORE_FREQ_MHZ), kv("Aicore curFreq(MHZ)", AICORE_CUR_FREQ_MHZ),
                kv("Aicore Count", AICORE_COUNT.get(state["chip_name"], 24)),
                kv("Temperature(C)", dev["temp_c"]), kv("NPU Real-time Power(W)", power)]
    out += ["", kv("Chip Name", "mcu"), kv("Temperature(C)", MCU_TEMP_C)]
    return "\n".join(out)


TOPO_LEGEND = """Legend:
  X    = Self
  SYS  = Path traversing PCIe and NUMA nodes. Nodes are connected through SMP, such as QPI, UPI.
  PHB  = Path traversing PCIe and the PCIe host bridge of a CPU.
  PIX  = Path traversing a single PCIe switch
  PXB  = Path traversing multipul PCIe switches
  HCCS = Connection traversing HCCS."""


# CPU Affinity of an 8-NPU A2 server: S6's column for NPU 0, 1 and 7 (a 192-core Kunpeng host,
# 24-core NUMA nodes); NPU 2-6 filled in with the remaining nodes (assumed).
A2_AFFINITY = ["144-167", "0-23", "168-191", "24-47", "96-119", "72-95", "120-143", "48-71"]


def _affinity(state, index, count):
    """CPU Affinity column: the state's `cpu_affinity` list when it has one, S6's column on an
    8-device node, else one 24-core block per device (assumed)."""
    given = state.get("cpu_affinity") or (A2_AFFINITY if count == 8 else None)
    if given and index < len(given):
        return given[index]
    return "%d-%d" % (index * 24, index * 24 + 23)


def topo(state):
    """-t topo (no -i): one row per device (phy id); HCCS within a ring of hccs_rings, SYS
    between rings (a2-box16, assumed); the S6 legend."""
    devs = hwstate.devices(state)
    rings = state.get("hccs_rings") or [[d["phy_id"] for d in devs]]
    ring_of = {phy: n for n, ring in enumerate(rings) for phy in ring}
    names = ["NPU%d" % d["phy_id"] for d in devs]
    out = [" " * 11 + "".join(n.ljust(11) for n in names) + "CPU Affinity"]
    for i, a in enumerate(devs):
        cells = []
        for b in devs:
            if a is b:
                cells.append("X")
            elif ring_of.get(a["phy_id"]) == ring_of.get(b["phy_id"]):
                cells.append("HCCS")
            else:
                cells.append("SYS")
        out.append(names[i].ljust(11) + "".join(c.ljust(11) for c in cells) + _affinity(state, i, len(devs)))
    return "\n".join(out) + "\n\n" + TOPO_LEGEND


# -------------------------------------------------------------------- upgrade (MCU)

UPGRADE_USAGE = ("Usage: npu-smi upgrade <-b|-t|-a> <type> -i %d [-f file]\n"
                 "(simcluster stand-in: a simulated npu-smi, not Huawei's tool)")   # sim wording


def mcu_version(state):
    return state.get("mcu_version") or DEFAULT_MCU_VERSION


def upgrade(args):
    """upgrade -b mcu -i N: `Version : <ver>` (S8); -t mcu -i N -f FILE stages the image named
    FILE (its version from the file name, as Huawei's deployer reads it); -a mcu -i N activates
    the staged image: the MCU runs it (sim: no reset needed)."""
    if len(args) < 4 or args[0] not in ("-b", "-t", "-a") or args[1] != "mcu" or args[2] != "-i" \
            or not args[3].isdigit():
        raise Fail(UPGRADE_USAGE)
    state = hwstate.load()
    if not hwstate.device_started(state):
        raise Fail(hwstate.DCMI_NOT_STARTED)
    npu = int(args[3])
    if npu not in hwstate.npu_ids(state):
        raise Fail("Invalid card id.\nError parameter of -i\n" + UPGRADE_USAGE)
    if args[0] == "-b":
        return kv("Version", mcu_version(state))
    if args[0] == "-t":
        if len(args) != 6 or args[4] != "-f":
            raise Fail(UPGRADE_USAGE)
        image = hwstate.path(args[5])
        found = re.search(r"(\d+\.\d+\.\d+)", os.path.basename(args[5]))
        if not os.path.isfile(image) or not found:
            raise Fail("Upgrade failed, the file %s is invalid." % args[5])   # sim wording
        with hwstate.locked() as st:
            st.setdefault("mcu_staged", {})[str(npu)] = found.group(1)
        return "Start upgrade mcu, please wait a moment.\nUpgrade mcu success."   # sim wording
    with hwstate.locked() as st:
        staged = st.get("mcu_staged", {}).pop(str(npu), None)
        if staged is None:
            raise Fail("There is no mcu image to activate on card %d." % npu)   # sim wording
        st["mcu_version"] = staged
    return "Activate mcu success."   # sim wording


# ------------------------------------------------------------------------- arguments

def _options(args):
    """-i/-c/-p values as ints; raise Fail with npu-smi's wording on bad ones."""
    opts, i = {}, 0
    while i < len(args):
        flag = args[i]
        if flag not in ("-i", "-c", "-p") or i + 1 >= len(args) or not args[i + 1].isdigit():
            raise Fail("Error parameter of %s\n%s" % (flag, INFO_USAGE))
        opts[flag] = int(args[i + 1])
        i += 2
    return opts


def _card_and_chip(state, opts):
    npus = hwstate.npu_ids(state)
    if "-i" not in opts:
        raise Fail("Error parameter of -i\n" + INFO_USAGE)
    if opts["-i"] not in npus:
        raise Fail("Invalid card id.\nError parameter of -i\n" + INFO_USAGE)
    chip = opts.get("-c")
    # Modelled on the -i wording; the reference quotes no chip-id error.
    if chip is not None and chip >= len(hwstate.chips_of(state, opts["-i"])):
        raise Fail("Invalid chip id.\nError parameter of -c\n" + INFO_USAGE)
    return opts["-i"], chip


def info(args):
    if args in (["-h"], ["--help"]):
        return INFO_HELP
    state = hwstate.load()
    version = hwstate.driver_installed_version() or "unknown"
    if args and args[0] == "-t" and (len(args) < 2 or args[1] not in TYPES):
        raise Fail("Error parameter of -t\n" + INFO_HELP)
    if args and args[0] not in ("-l", "-m", "-t"):
        raise Fail(INFO_HELP)
    if not hwstate.device_started(state):
        raise Fail(hwstate.DCMI_NOT_STARTED)
    if not args:
        return info_table(state, version)
    if args == ["-l"]:
        return info_list(state)
    if args == ["-m"]:
        return info_mapping(state)
    kind = args[1]
    if kind == "topo" and len(args) == 2:
        return topo(state)
    npu, chip = _card_and_chip(state, _options(args[2:]))
    if kind == "board":
        return board(state, npu, chip, version)
    if kind == "health":
        return health(state, npu, chip)
    if kind == "usages":
        return usages(state, npu, chip)
    if kind == "memory":
        return memory(state, npu, chip)
    if kind == "common":
        return common(state, npu, chip)
    raise Fail("This device does not support querying %s." % kind)


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        if not args or args[0] in ("-h", "--help"):
            text = TOP_USAGE
        elif args[0] == "-v":
            text = "npu-smi version: %s" % (hwstate.driver_installed_version() or "unknown")
        elif args[0] == "info":
            text = info(args[1:])
        elif args[0] == "upgrade":
            text = upgrade(args[1:])
        else:
            raise Fail(TOP_USAGE)
    except Fail as err:
        print(str(err))
        return 1
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
