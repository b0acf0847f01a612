"""simcluster stub of tensordict.base."""
from ._simcluster_stub import Unimplemented


class TensorDictBase(Unimplemented):
    pass
