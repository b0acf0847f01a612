"""simcluster stub of transformers.modeling_flash_attention_utils."""
from ._simcluster_stub import define


def flash_attn_supports_top_left_mask():
    return False


define(globals(), "transformers.modeling_flash_attention_utils", "_flash_attention_forward fa_peft_integration_check")
