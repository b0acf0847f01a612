"""simcluster stub of torch.distributed.fsdp.wrap."""
from ..._simcluster_stub import define

define(globals(), "torch.distributed.fsdp.wrap", "size_based_auto_wrap_policy transformer_auto_wrap_policy "
       "lambda_auto_wrap_policy _or_policy")
