"""simcluster stub of torch.distributed.fsdp._fully_shard._fsdp_init."""
from ...._simcluster_stub import define

define(globals(), "torch.distributed.fsdp._fully_shard._fsdp_init", "_get_post_forward_mesh_info")
