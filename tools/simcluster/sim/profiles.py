"""Hardware models of the Atlas servers the simulator can stand in for.

Default values for the a2 profile are the ones of the real Atlas A2 sample in
ascend_tools_formats.md section 1.1 (S1), those of a3 the real A3 sample of section 1.2 (S2),
so an untouched node prints those samples byte for byte.
"""

# (bus id, power W, temp C, HBM used MB) per NPU of the S1 sample, in NPU order.
_A2_CARDS = [
    ("0000:C1:00.0", 98.2, 41, 3445), ("0000:C2:00.0", 96.8, 41, 3418),
    ("0000:81:00.0", 94.2, 41, 3416), ("0000:82:00.0", 99.9, 42, 3417),
    ("0000:01:00.0", 92.3, 45, 3417), ("0000:02:00.0", 102.4, 46, 3433),
    ("0000:41:00.0", 101.6, 45, 3415), ("0000:42:00.0", 98.8, 47, 3411),
]

# Box16: two HCCS rings of eight 910B; the bus ids of the second ring are made up
# (one PCIe switch per ring), values otherwise in the range of the A2 sample.
_BOX16_BUSES = ["0000:%s:00.0" % b for b in (
    "C1", "C2", "81", "82", "01", "02", "41", "42",
    "C3", "C4", "83", "84", "03", "04", "43", "44")]

# A3: (die0 bus, die1 bus, die0 power, die0 temp, die1 temp, die0 HBM, die1 HBM) per NPU.
# NPUs 0, 1 and 7 are the S2 values; 2-6 take the S2 bus ids and powers, with
# temperatures and HBM in the range the source reports for them (it elides them).
_A3_CARDS = [
    ("9D", "9F", 165.4, 37, 36, 3173, 2885), ("99", "9B", 162.3, 37, 37, 3168, 2886),
    ("95", "97", 160.3, 37, 36, 3163, 2885), ("91", "93", 165.6, 38, 37, 3163, 2885),
    ("8D", "8F", 170.9, 38, 37, 3163, 2885), ("89", "8B", 162.2, 37, 36, 3163, 2885),
    ("85", "87", 164.1, 38, 37, 3163, 2885), ("81", "83", 164.5, 39, 38, 3152, 2893),
]


def _dev(npu, chip, phy_id, bus, power, temp, hbm_used, hbm_total=65536):
    return {
        "npu": npu, "chip": chip, "phy_id": phy_id, "bus_id": bus,
        "power_w": power, "temp_c": temp, "aicore_pct": 0,
        "hbm_total_mb": hbm_total, "hbm_base_mb": hbm_used,
        "health": "OK", "error_codes": [], "error_info": [],
    }


def _a2_devices():
    return [_dev(i, 0, i, *card) for i, card in enumerate(_A2_CARDS)]


def _box16_devices():
    out = []
    for i, bus in enumerate(_BOX16_BUSES):
        power, temp, hbm = _A2_CARDS[i % 8][1:]
        out.append(_dev(i, 0, i, bus, power, temp, hbm))
    return out


def _a3_devices():
    out = []
    for npu, (b0, b1, power, t0, t1, h0, h1) in enumerate(_A3_CARDS):
        out.append(_dev(npu, 0, npu * 2, "0000:%s:00.0" % b0, power, t0, h0))
        out.append(_dev(npu, 1, npu * 2 + 1, "0000:%s:00.0" % b1, None, t1, h1))
    return out


PROFILES = {
    "a2": {
        "product": "Atlas 900 A2 PODc",
        "port_speed_mbps": 200000,       # hccn_tool -speed -g of a healthy port (sim: 200GE everywhere)
        "npu_device": "A2",
        "chip_name": "910B3",            # npu-smi Name column
        "chip_type": "Ascend",           # -t board -c: Chip Type
        "hdk_chip": "910b",              # token in the HDK/CANN package names
        "pci_device_id": "d802",
        "subsystem_device_id": "0x3003",
        "board_id": "0x30",
        "product_name": "IT21HMDC_Bin5",
        "hccs_rings": [list(range(8))],
        "devices": _a2_devices,
    },
    "a2-box16": {
        "product": "Atlas 200T A2 Box16",
        "port_speed_mbps": 200000,       # hccn_tool -speed -g of a healthy port (sim: 200GE everywhere)
        "npu_device": "A2",
        "chip_name": "910B3",
        "chip_type": "Ascend",
        "hdk_chip": "910b",
        "pci_device_id": "d802",
        "subsystem_device_id": "0x3003",
        "board_id": "0x34",
        "product_name": "IT21HMDC_Bin5",
        "hccs_rings": [list(range(8)), list(range(8, 16))],
        "devices": _box16_devices,
    },
    "a3": {
        "product": "Atlas 800T A3",
        "port_speed_mbps": 200000,       # hccn_tool -speed -g of a healthy port (sim: 200GE everywhere)
        "npu_device": "A3",
        "chip_name": "Ascend910",
        "npu_name": "9392",              # -t board -c on A3: NPU Name
        "hdk_chip": "910_93",
        "pci_device_id": "d803",
        "subsystem_device_id": "0x3001",
        "board_id": "0x71",
        "product_name": "IT22HMDA_2_S",
        "hccs_rings": [list(range(16))],
        "devices": _a3_devices,
    },
}

# Firmware flashed on the boards when they leave the factory (before any HDK install).
FACTORY_FIRMWARE = "7.5.0.1.129"


def names():
    return sorted(PROFILES)


def get(name):
    if name not in PROFILES:
        raise KeyError(name)
    return PROFILES[name]


def device_count(name):
    return len(PROFILES[name]["devices"]())


def fabric_planes(name):
    """Devices (phy ids) per subnet of the fabric: one subnet for every port of an A2 or
    Box16 node; on A3 die 0 and die 1 of each NPU in different subnets (two planes)."""
    devs = PROFILES[name]["devices"]()
    if PROFILES[name]["npu_device"] == "A3":
        return [[d["phy_id"] for d in devs if d["chip"] == die] for die in (0, 1)]
    return [[d["phy_id"] for d in devs]]


def initial_state(profile, cluster, node, serial_prefix="1025C90"):
    """The JSON document hwstate.py reads, for one node fresh from the factory."""
    p = get(profile)
    devs = p["devices"]()
    for d in devs:
        d["roce"] = {
            "address": None, "netmask": None, "gateway": None, "netdetect": None,
            "tls_switch": 0, "tls_preconfigured": 1, "tls_alarm_days": 60,
            "net_health": None,   # None = derived from link and address
        }
    return {
        "schema": 1,
        "cluster": cluster,
        "node": node,
        "profile": profile,
        "product": p["product"],
        "npu_device": p["npu_device"],
        "chip_name": p["chip_name"],
        "chip_type": p.get("chip_type"),
        "npu_name": p.get("npu_name"),
        "hdk_chip": p["hdk_chip"],
        "pci_vendor_id": "0x19e5",
        "pci_device_id": "0x" + p["pci_device_id"],
        "subsystem_device_id": p["subsystem_device_id"],
        "board_id": p["board_id"],
        "product_name": p["product_name"],
        "serial_prefix": serial_prefix,
        "hccs_rings": p["hccs_rings"],
        "port_speed_mbps": p["port_speed_mbps"],
        "firmware_active": FACTORY_FIRMWARE,
        "firmware_flashed": None,
        "driver_loaded": None,
        "devices": devs,
        "processes": [],
        "faults": {"dcmi_error": False, "disk_full": False, "installer": {}},
        # 3 packets 1 s apart (iputils' default, whose output hccn_tool -ping mirrors): a
        # probe takes about 2 s when answered, 3 s when not, as on hardware.
        "ping": {"count": 3, "interval_s": 1.0, "timeout_s": 1},
    }
