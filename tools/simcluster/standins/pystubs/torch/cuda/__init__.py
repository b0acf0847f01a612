"""simcluster stub of torch.cuda: there is no CUDA here (the nodes have NPUs)."""
from .._simcluster_stub import define as _define


def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


_define(globals(), "torch.cuda", "current_device set_device synchronize empty_cache get_device_name "
        "memory_allocated memory_reserved max_memory_allocated get_device_properties manual_seed")
