"""simcluster stub of torch.distributed.checkpoint.state_dict."""
from ..._simcluster_stub import Unimplemented, define


class StateDictOptions(Unimplemented):
    pass


define(globals(), "torch.distributed.checkpoint.state_dict", "get_model_state_dict set_model_state_dict "
       "get_optimizer_state_dict set_optimizer_state_dict get_state_dict set_state_dict")
