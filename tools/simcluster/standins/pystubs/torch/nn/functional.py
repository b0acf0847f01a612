"""simcluster stub of torch.nn.functional."""
from .._simcluster_stub import define as _define

_define(globals(), "torch.nn.functional", """pad softmax log_softmax cross_entropy linear relu gelu silu dropout
    embedding normalize one_hot scaled_dot_product_attention""")
