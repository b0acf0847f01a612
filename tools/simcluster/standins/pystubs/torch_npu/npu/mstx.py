"""simcluster stub of torch_npu.npu.mstx (profiler markers).  verl imports it when an NPU is
visible and decorates with mstx_range at import time: the decorator leaves the function as it
is; the markers themselves raise."""
from .._simcluster_stub import define


def mstx_range(message=None, stream=None, domain=None):
    return lambda fn: fn


define(globals(), "torch_npu.npu.mstx", "range_start range_end mark")
