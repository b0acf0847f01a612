"""simcluster stub of torch.autograd."""
from ._simcluster_stub import Unimplemented, define


class Function:
    """Subclassable; apply() raises."""

    @classmethod
    def apply(cls, *args, **kwargs):
        raise NotImplementedError("simcluster stub: torch.autograd.Function.apply (%s)" % cls.__qualname__)


class Variable(Unimplemented):
    pass


define(globals(), "torch.autograd", "backward grad")
