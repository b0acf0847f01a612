# (the wheel puts __version__ and SIMCLUSTER_STUB above this line)
# verl 0.8's rollout utils subclass uvicorn.Server at module level; nothing serves.
from ._simcluster_stub import Unimplemented as _Unimplemented


class Config(_Unimplemented):
    pass


class Server(_Unimplemented):
    pass
