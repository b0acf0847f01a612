"""simcluster stub of transformers.trainer_pt_utils."""
from ._simcluster_stub import define

define(globals(), "transformers.trainer_pt_utils", "get_module_class_from_name")
