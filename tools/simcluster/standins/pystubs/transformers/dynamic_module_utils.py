"""simcluster stub of transformers.dynamic_module_utils."""
from ._simcluster_stub import define

define(globals(), "transformers.dynamic_module_utils", "custom_object_save")
