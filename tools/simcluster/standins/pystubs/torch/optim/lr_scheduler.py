"""simcluster stub of torch.optim.lr_scheduler."""
from .._simcluster_stub import Unimplemented as _Unimplemented


class LRScheduler(_Unimplemented):
    pass


class LambdaLR(LRScheduler):
    pass
