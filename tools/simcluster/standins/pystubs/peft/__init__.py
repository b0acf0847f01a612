# (the wheel puts __version__ and SIMCLUSTER_STUB above this line)
# The names verl's FSDP engine imports; no adapter is ever made.
import enum as _enum

from ._simcluster_stub import Unimplemented as _Unimplemented, define as _define


class TaskType(str, _enum.Enum):
    CAUSAL_LM = "CAUSAL_LM"
    SEQ_CLS = "SEQ_CLS"
    TOKEN_CLS = "TOKEN_CLS"


class LoraConfig(_Unimplemented):
    pass


class PeftModel(_Unimplemented):
    pass


_define(globals(), "peft", "get_peft_model")
