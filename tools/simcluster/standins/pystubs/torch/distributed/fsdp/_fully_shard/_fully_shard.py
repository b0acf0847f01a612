"""simcluster stub of torch.distributed.fsdp._fully_shard._fully_shard (FSDP2)."""
from ...._simcluster_stub import Unimplemented, define


class FSDPModule(Unimplemented):
    pass


class MixedPrecisionPolicy(Unimplemented):
    pass


class OffloadPolicy(Unimplemented):
    pass


class CPUOffloadPolicy(OffloadPolicy):
    pass


define(globals(), "torch.distributed.fsdp._fully_shard._fully_shard", "fully_shard")
