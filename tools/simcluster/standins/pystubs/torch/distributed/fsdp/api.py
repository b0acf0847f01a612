"""simcluster stub of torch.distributed.fsdp.api."""
import enum

from ..._simcluster_stub import Unimplemented


class StateDictType(enum.Enum):
    FULL_STATE_DICT = 1
    LOCAL_STATE_DICT = 2
    SHARDED_STATE_DICT = 3


class FullStateDictConfig(Unimplemented):
    pass


class ShardedStateDictConfig(Unimplemented):
    pass


class ShardedOptimStateDictConfig(Unimplemented):
    pass
