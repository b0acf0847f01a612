"""patch_module_args for ansible-core older than 2.19, which lacks
ansible.module_utils.testing: the arguments go where AnsibleModule reads them."""

import contextlib
import json

from ansible.module_utils import basic


@contextlib.contextmanager
def patch_module_args(args=None):
    saved = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = saved
