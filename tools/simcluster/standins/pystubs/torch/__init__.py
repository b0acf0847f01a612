# (the wheel puts __version__ and SIMCLUSTER_STUB above this line)
# Deep enough that `import verl` and `import sglang` get through their module-level code:
# the types, dtypes and submodules they name at import time exist; no tensor is ever made.
import builtins as _builtins
import contextlib as _contextlib

from ._simcluster_stub import Unimplemented as _Unimplemented, define as _define, passthrough_decorator as _passthrough


class dtype:
    def __init__(self, name, is_floating_point=False, itemsize=4):
        self._name, self.is_floating_point, self.itemsize = name, is_floating_point, itemsize

    def __repr__(self):
        return "torch." + self._name


float32 = float = dtype("float32", True)
float64 = double = dtype("float64", True, 8)
float16 = half = dtype("float16", True, 2)
bfloat16 = dtype("bfloat16", True, 2)
float8_e4m3fn = dtype("float8_e4m3fn", True, 1)
float8_e5m2 = dtype("float8_e5m2", True, 1)
int64 = long = dtype("int64", itemsize=8)
int32 = int = dtype("int32")
int16 = short = dtype("int16", itemsize=2)
int8 = dtype("int8", itemsize=1)
uint8 = dtype("uint8", itemsize=1)
bool = dtype("bool", itemsize=1)
complex64 = dtype("complex64", itemsize=8)


class device:
    def __init__(self, type, index=None):
        if isinstance(type, str) and ":" in type:
            type, index = type.split(":", 1)[0], _builtins.int(type.split(":", 1)[1])
        self.type, self.index = type, index

    def __repr__(self):
        return "device(type=%r%s)" % (self.type, "" if self.index is None else ", index=%d" % self.index)


class layout:
    def __init__(self, name):
        self._name = name


strided, jagged = layout("strided"), layout("jagged")


class Size(tuple):
    pass


class Tensor(_Unimplemented):
    pass


class FloatTensor(Tensor):
    pass


class LongTensor(Tensor):
    pass


class BoolTensor(Tensor):
    pass


class Generator(_Unimplemented):
    pass


inf, nan = _builtins.float("inf"), _builtins.float("nan")


@_contextlib.contextmanager
def _nothing(*args, **kwargs):
    yield


class no_grad(_contextlib.ContextDecorator):
    """As a decorator and as a context: changes nothing (there are no gradients here)."""

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


enable_grad = inference_mode = no_grad
compile = _passthrough

_define(globals(), "torch", """tensor as_tensor from_numpy frombuffer is_tensor zeros zeros_like ones ones_like empty
    empty_like full full_like arange randn randint randperm rand manual_seed cat stack split chunk where gather
    scatter sum mean max min clamp clip exp log sqrt rsqrt pow abs sign sigmoid logsumexp cumsum sort topk nonzero
    bincount numel load save equal allclose isin eq ne gt lt round var std count_nonzero masked_select
    repeat_interleave roll squeeze tensor_split multinomial maximum minimum square any all finfo iinfo
    use_deterministic_algorithms set_default_dtype get_default_dtype autocast""")

from . import autograd, cuda, distributed, nn, optim, utils  # noqa: E402  (after the names they use)
