"""simcluster stub of torch.distributed.fsdp._runtime_utils."""
from ..._simcluster_stub import define

define(globals(), "torch.distributed.fsdp._runtime_utils", "_lazy_init")
