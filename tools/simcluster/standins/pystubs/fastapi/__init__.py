# (the wheel puts __version__ and SIMCLUSTER_STUB above this line)
# verl 0.8's rollout utils import FastAPI at module level; no server is made.
from ._simcluster_stub import Unimplemented as _Unimplemented


class FastAPI(_Unimplemented):
    pass
