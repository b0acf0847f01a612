"""simcluster stub of torch.distributed.fsdp._fully_shard."""
from . import _fully_shard  # noqa: F401
from ._fully_shard import CPUOffloadPolicy, FSDPModule, MixedPrecisionPolicy, OffloadPolicy, fully_shard  # noqa: F401
