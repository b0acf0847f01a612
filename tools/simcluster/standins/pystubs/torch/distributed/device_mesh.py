"""simcluster stub of torch.distributed.device_mesh."""
from .._simcluster_stub import Unimplemented, define


class DeviceMesh(Unimplemented):
    pass


define(globals(), "torch.distributed.device_mesh", "init_device_mesh")
