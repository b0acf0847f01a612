# (the wheel puts __version__ and SIMCLUSTER_STUB above this line)
# verl's dataset and agent-loop modules import PIL.Image at module level; no image is opened.
from . import Image  # noqa: F401
