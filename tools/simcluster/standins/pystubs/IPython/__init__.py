# (the wheel puts __version__ and SIMCLUSTER_STUB above this line)
# sglang.utils imports IPython.display at module level (for notebooks); nothing displays here.
# Once IPython is in sys.modules, Ray (and tqdm.auto) ask get_ipython() whether they run in a
# notebook: None, as the real one answers outside an IPython shell.
from . import display  # noqa: F401


def get_ipython():
    return None
