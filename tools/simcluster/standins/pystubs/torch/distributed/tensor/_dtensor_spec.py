"""simcluster stub of torch.distributed.tensor._dtensor_spec."""
from ..._simcluster_stub import Unimplemented


class DTensorSpec(Unimplemented):
    pass
