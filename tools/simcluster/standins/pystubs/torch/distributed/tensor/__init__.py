"""simcluster stub of torch.distributed.tensor."""
from ..._simcluster_stub import Unimplemented


class DTensor(Unimplemented):
    pass


class Placement(Unimplemented):
    pass


class Shard(Placement):
    pass


class Replicate(Placement):
    pass
