"""simcluster stub of transformers.modeling_utils."""
from . import PreTrainedModel

__all__ = ["ALL_ATTENTION_FUNCTIONS", "PreTrainedModel"]
ALL_ATTENTION_FUNCTIONS = {}
