"""simcluster stub of torch.optim."""
from .._simcluster_stub import Unimplemented as _Unimplemented
from . import lr_scheduler  # noqa: F401


class Optimizer(_Unimplemented):
    pass


class AdamW(Optimizer):
    pass


class Adam(Optimizer):
    pass
