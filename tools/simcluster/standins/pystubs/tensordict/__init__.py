# (the wheel puts __version__ and SIMCLUSTER_STUB above this line)
# The names verl imports; none holds data.
from .base import TensorDictBase  # noqa: F401
from .tensorclass import NonTensorData, NonTensorStack  # noqa: F401


class TensorDict(TensorDictBase):
    pass
