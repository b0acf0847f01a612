# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the collection knows about Atlas hardware, in one place.

Products and their device counts, the PCI ids, the chip tokens in Huawei's package names,
where the vendor tools live and what "device not started" looks like.  Every reader,
planner and check imports from here.  Python 3.9+, standard library only.
"""

import os

DEFAULT_ROOT = "/usr/local/Ascend"

# Product -> (NPU_DEVICE, devices per node as the driver numbers them: one per die).
# Product -> (NPU device, devices per node, RoCE port speed in Mb/s as `hccn_tool -speed -g` prints
# it).  A speed of None = no public figure: the verify role then expects the speed most ports of the
# cluster show.  A2 (Atlas 800T/800I A2, Atlas 900 A2 PoD): one 200GE port per NPU - "8*200G"
# (ascend_tools_formats.md section 2.3, source S6) and "A2 parameter plane: 8 x 200GE per node"
# (cluster_bringup_facts.md section 6); the switch side of S7's LLDP (`400GE1/1/5:1`, `:2`) is a
# 400GE port split in two 200GE halves.  Atlas 200T A2 Box16 and the A3 products: no figure in our
# references (section 2.3 speaks of 200G or 400G ports without naming products).
PRODUCTS = {
    "Atlas 900 A2 PODc": ("A2", 8, 200000),
    "Atlas 800T A2": ("A2", 8, 200000),
    "Atlas 800I A2": ("A2", 8, 200000),
    "Atlas 200T A2 Box16": ("A2", 16, None),
    "Atlas 800T A3": ("A3", 16, None),
    "Atlas 800I A3": ("A3", 16, None),
    "Atlas 900 A3 SuperPoD": ("A3", 16, None),
}
NPU_DEVICES = ("A2", "A3")
# RoCE ports at these speeds run full duplex only (IEEE 802.3 defines 200GBASE/400GBASE for full
# duplex operation); `hccn_tool -duplex -g` prints it, compared in lower case.
PORT_DUPLEX = "full"

PCI_VENDOR = "0x19e5"
PCI_DEVICES = {
    "0xd801": ("910", "A1"),
    "0xd802": ("910b", "A2"),
    "0xd803": ("910_93", "A3"),
    "0xd500": ("310p", None),
}

# NPU_DEVICE -> the token that names its chip in HDK package names (-910b-, -910_93-).
HDK_CHIP = {"A2": "910b", "A3": "910_93"}
# NPU_DEVICE -> pattern a CANN kernels/ops package name carries (8.3 and 8.5 spellings).
CANN_KERNELS_CHIP = {"A2": r"-910b[-_]", "A3": r"A3-"}
CANN_KERNELS_NAMES = ("A2 takes Ascend-cann-kernels-910b_* / Ascend-cann-910b-ops_*, "
                      "A3 Atlas-A3-cann-kernels_* / Ascend-cann-A3-ops_*")

# npu-smi and hccn_tool answer this while a driver or firmware change waits for a reboot.
NOT_STARTED = "-8005"
NOT_STARTED_MESSAGE = "dcmi module initialize failed. ret is -8005"
NOT_STARTED_HINT = "the device is not started: a driver or firmware change waits for a reboot"

# Where the driver puts npu-smi (a non-login SSH session may lack these on PATH).
TOOL_DIRS = ("/usr/local/bin", "/usr/local/sbin", "/usr/bin", "/usr/sbin", "/bin", "/sbin")


def expected_devices(product):
    """Devices per node of a product, None when unknown."""
    return PRODUCTS.get(product, (None, None, None))[1]


def expected_port(product):
    """-> (speed Mb/s or None, duplex) of a product's RoCE ports; (None, None) for an unknown product."""
    return (PRODUCTS[product][2], PORT_DUPLEX) if product in PRODUCTS else (None, None)


def npu_device_of(product):
    return PRODUCTS.get(product, (None, None, None))[0]


def tool_candidates(name, path_env=None, extra=()):
    """Paths where `name` may be, in the order a login shell would find it, then `extra`."""
    dirs = [d for d in (path_env or "").split(os.pathsep) if d]
    dirs += [d for d in TOOL_DIRS if d not in dirs]
    return [os.path.join(d, name) for d in dirs] + list(extra)


def hccn_tool_candidates(root=DEFAULT_ROOT):
    """The driver's own hccn_tool first (it is not on PATH), then the usual places."""
    return [os.path.join(root, "driver", "tools", "hccn_tool")] + [
        os.path.join(d, "hccn_tool") for d in ("/usr/local/bin", "/usr/local/sbin", "/usr/bin")]


def first_executable(candidates):
    return next((p for p in candidates if p and os.path.isfile(p) and os.access(p, os.X_OK)), None)
