"""simcluster stub of torch.distributed.fsdp."""
from ..._simcluster_stub import Unimplemented
from ._fully_shard import CPUOffloadPolicy, FSDPModule, MixedPrecisionPolicy, OffloadPolicy, fully_shard  # noqa: F401
from .api import FullStateDictConfig, ShardedOptimStateDictConfig, ShardedStateDictConfig, StateDictType  # noqa: F401


class FullyShardedDataParallel(Unimplemented):
    pass


class MixedPrecision(Unimplemented):
    pass


class CPUOffload(Unimplemented):
    pass
