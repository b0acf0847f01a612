"""roles/conda/files/pip_satisfied.py: decides whether the conda role's pip run can be skipped,
so a wrong "satisfied" would leave an env short.  Run against this interpreter's own packages
(pip and pytest are always installed here)."""

import os
import subprocess
import sys

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "conda", "files", "pip_satisfied.py")


def unmet(*args):
    proc = subprocess.run([sys.executable, SCRIPT] + list(args), stdout=subprocess.PIPE, universal_newlines=True,
                          check=False)
    assert proc.returncode == (1 if proc.stdout.strip() else 0)
    return proc.stdout.splitlines()


@pytest.mark.parametrize("reqs, expected", [
    (["pip", "pytest>=1"], []),
    (["pytest<1"], ["pytest<1 (found %s)" % pytest.__version__]),
    (["no-such-dist-here==1.0"], ["no-such-dist-here==1.0"]),
    (["no-such-dist-here; python_version < '3'"], []),            # marker false: not needed here
    (["Pytest"], []),                                             # names are case-insensitive
    (["pytest @ https://example.invalid/pytest.whl"], ["pytest @ https://example.invalid/pytest.whl"]),
    (["not a requirement !!"], ["not a requirement !!"]),
])
def test_requirements(reqs, expected):
    assert unmet(*reqs) == expected


def test_requirements_file_skips_comments_and_options(tmp_path):
    req = tmp_path / "requirements-npu.txt"
    req.write_text("# verl requirements\n--extra-index-url https://example.invalid/simple\n\npip  # the installer\n"
                   "no-such-dist-here>=2\npytest\n")
    assert unmet(str(req)) == ["no-such-dist-here>=2"]


def test_print_python_comes_first():
    proc = subprocess.run([sys.executable, SCRIPT, "--print-python", "pip", "no-such-dist-here"],
                          stdout=subprocess.PIPE, universal_newlines=True, check=False)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == ["%d.%d.%d" % sys.version_info[:3], "no-such-dist-here"]
