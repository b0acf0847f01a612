"""simcluster stub of tensordict.tensorclass."""
from ._simcluster_stub import Unimplemented


class NonTensorData(Unimplemented):
    pass


class NonTensorStack(Unimplemented):
    pass
