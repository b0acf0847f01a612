"""simcluster stub of torch.nn.init."""
from .._simcluster_stub import define

define(globals(), "torch.nn.init", "normal_ zeros_ ones_ uniform_ xavier_uniform_ kaiming_uniform_ constant_")
