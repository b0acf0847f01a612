"""simcluster stub of torch_npu.npu (what `import torch_npu` registers as `torch.npu`): the
device queries answer from the node's /dev/davinciN, as the runtime sees them, so a smoke job
on a simulated node finds its NPUs.  Not Huawei's code: nothing runs on a device.

The runtime's view: every /dev/davinciN (N digits only; davinci_manager is not a device),
restricted and renumbered by ASCEND_RT_VISIBLE_DEVICES when it is set (comma-separated ids in
that order; ids without a device are dropped).
"""

import os
import re

# Where the device nodes are; a test points it at a directory of its own.
DEV_DIR = "/dev"
_current = [0]


def _visible():
    """Physical ids of the visible devices, in logical order."""
    present = sorted(int(m.group(1)) for m in (re.match(r"^davinci([0-9]+)$", n) for n in _listdir()) if m)
    wanted = os.environ.get("ASCEND_RT_VISIBLE_DEVICES")
    if wanted is None:
        return present
    out = []
    for item in wanted.split(","):
        item = item.strip()
        if item.isdigit() and int(item) in present and int(item) not in out:
            out.append(int(item))
    return out


def _listdir():
    try:
        return os.listdir(DEV_DIR)
    except OSError:
        return []


def device_count():
    return len(_visible())


def is_available():
    return device_count() > 0


def _index(device):
    """An int, "npu:N" or "N" -> N."""
    if isinstance(device, str):
        text = device.split(":", 1)[1] if device.startswith("npu:") else device
        if not text.isdigit():
            raise RuntimeError("Invalid device string: '%s'" % device)     # sim: wording not from torch_npu
        return int(text)
    return int(getattr(device, "index", device))


def set_device(device):
    index, count = _index(device), device_count()
    if not 0 <= index < count:
        # sim: the shape of torch_npu's refusal, not its exact text
        raise RuntimeError("Invalid device ID %d: %d NPU(s) visible (ASCEND_RT_VISIBLE_DEVICES=%s)"
                           % (index, count, os.environ.get("ASCEND_RT_VISIBLE_DEVICES", "unset")))
    _current[0] = index


def current_device():
    if not is_available():
        raise RuntimeError("No NPU device is visible")                       # sim
    return _current[0]
