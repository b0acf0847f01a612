"""Running a module's main() in a unit test, on every ansible-core line the collection supports:
ansible.module_utils.testing.patch_module_args is new in 2.19, so older lines get an
equivalent that puts the arguments where AnsibleModule reads them."""

import contextlib
import json

import pytest

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved


def run_module(module, capsys, args):
    """(exit code, result) of MODULE.main() with ARGS."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            module.main()
    return exc.value.code, json.loads(capsys.readouterr().out)
