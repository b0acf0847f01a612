"""simcluster stub of transformers.modeling_outputs: the output classes, as plain dataclasses."""
from dataclasses import dataclass
from typing import Any, Optional


@dataclass
class ModelOutput:
    pass


@dataclass
class BaseModelOutputWithPast(ModelOutput):
    last_hidden_state: Any = None
    past_key_values: Optional[Any] = None
    hidden_states: Optional[Any] = None
    attentions: Optional[Any] = None


@dataclass
class CausalLMOutputWithPast(ModelOutput):
    loss: Optional[Any] = None
    logits: Any = None
    past_key_values: Optional[Any] = None
    hidden_states: Optional[Any] = None
    attentions: Optional[Any] = None
