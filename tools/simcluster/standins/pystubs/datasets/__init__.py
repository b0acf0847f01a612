# (the wheel puts __version__ and SIMCLUSTER_STUB above this line)
# verl's RL dataset annotates with datasets.Dataset; nothing loads data.
from ._simcluster_stub import Unimplemented as _Unimplemented, define as _define


class Dataset(_Unimplemented):
    pass


_define(globals(), "datasets", "load_dataset concatenate_datasets")
