# (the wheel puts __version__ and SIMCLUSTER_STUB above this line)
from ._simcluster_stub import define as _define

_define(globals(), "accelerate", "init_empty_weights")
