"""simcluster stub of torch.distributed: never initialised; collectives raise."""
from .._simcluster_stub import Unimplemented as _Unimplemented, define as _define


def is_available():
    return True


def is_initialized():
    return False


class ProcessGroup(_Unimplemented):
    pass


class ReduceOp:
    SUM, AVG, PRODUCT, MIN, MAX = "sum", "avg", "product", "min", "max"


class Backend:
    NCCL, GLOO, HCCL = "nccl", "gloo", "hccl"


from .device_mesh import DeviceMesh  # noqa: E402,F401

_define(globals(), "torch.distributed", """init_process_group destroy_process_group get_rank get_world_size new_group
    barrier all_reduce all_gather all_gather_object all_gather_into_tensor reduce_scatter broadcast
    broadcast_object_list gather scatter send recv get_backend""")
