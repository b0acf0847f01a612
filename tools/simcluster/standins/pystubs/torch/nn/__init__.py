"""simcluster stub of torch.nn: classes to subclass; none can be instantiated."""
from .._simcluster_stub import Unimplemented as _Unimplemented
from . import functional, init  # noqa: F401


class Module(_Unimplemented):
    pass


class Parameter(_Unimplemented):
    pass


class Linear(Module):
    pass


class Embedding(Module):
    pass


class ModuleList(Module):
    pass
