"""simcluster stub of torch.utils.data: classes to subclass; a loader never loads."""
from typing import Generic as _Generic, TypeVar as _TypeVar

from ..._simcluster_stub import Unimplemented as _Unimplemented

_T = _TypeVar("_T")


class Dataset(_Generic[_T]):
    """Subclassable as the real one (it has no state)."""


class IterableDataset(Dataset):
    pass


class Sampler(_Generic[_T]):
    def __init__(self, *args, **kwargs):
        pass


class DataLoader(_Generic[_T], _Unimplemented):
    pass


class RandomSampler(Sampler, _Unimplemented):
    pass


class SequentialSampler(Sampler, _Unimplemented):
    pass
