# (the wheel puts __version__ and SIMCLUSTER_STUB above this line)
# The names verl and sglang import at module level: classes to subclass or annotate with;
# none loads a model, a tokenizer or a config.
from ._simcluster_stub import Unimplemented as _Unimplemented


class PretrainedConfig(_Unimplemented):
    pass


class PreTrainedTokenizerBase(_Unimplemented):
    pass


class PreTrainedTokenizer(PreTrainedTokenizerBase):
    pass


class PreTrainedTokenizerFast(PreTrainedTokenizerBase):
    pass


class ProcessorMixin(_Unimplemented):
    pass


class GenerationConfig(_Unimplemented):
    pass


class _Auto(_Unimplemented):
    """The Auto* factories: from_pretrained raises."""

    @classmethod
    def from_pretrained(cls, *args, **kwargs):
        raise NotImplementedError("simcluster stub: transformers.%s.from_pretrained" % cls.__name__)


class AutoConfig(_Auto):
    pass


class AutoTokenizer(_Auto):
    pass


class AutoProcessor(_Auto):
    pass


class AutoModelForCausalLM(_Auto):
    pass


class AutoModel(_Auto):
    pass


class AutoModelForSequenceClassification(_Auto):
    pass


class AutoModelForTokenClassification(_Auto):
    pass


class AutoModelForImageTextToText(_Auto):
    pass


class AutoModelForVision2Seq(_Auto):
    pass


class PreTrainedModel(_Unimplemented):
    pass


class MistralForSequenceClassification(PreTrainedModel):
    pass


from . import modeling_outputs  # noqa: E402,F401
