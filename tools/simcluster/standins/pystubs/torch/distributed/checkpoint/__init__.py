"""simcluster stub of torch.distributed.checkpoint."""
from . import state_dict  # noqa: F401
