"""The collection tarball holds what an installed collection needs and nothing else.

Built from the checkout exactly as a release is (`ansible-galaxy collection build`), so junk a
developer's tree really has (.venv-sanity, caches, molecule or integration files) is caught,
and from a copy with junk added, to prove the check catches it.
"""

import fnmatch
import os
import re
import subprocess
import sys
import tarfile

import pytest

from checkout import copy_checkout

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GALAXY = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
# Every member must match one of these (directories are checked through their files).
ALLOWED = [
    "MANIFEST.json", "FILES.json", "README.md", "LICENSE", "CHANGELOG.rst", "site.yml",
    "meta/runtime.yml", "changelogs/changelog.yaml", "changelogs/config.yaml",
    "playbooks/*.yml", "plugins/*.py", "plugins/*.yml", "roles/*", "inventories/*",
    "tests/config.yml", "tests/unit/*",
]
FORBIDDEN = ["*__pycache__*", "*.pyc", "*.pytest_cache*", "*.venv*", "*.ansible/*", "*.cache/*", "*.tar.gz",
             "tests/integration/*", "tests/release/*", "molecule/*", "*/molecule/*", "tools/*", "build/*", "reports/*",
             "ansible.cfg", ".ansible-lint", ".config/*", "*.sh", "Makefile", "requirements-dev.txt",
             "tests/unit/test_knobs_generated.py", "tests/unit/plugins/module_utils/test_npu_smi.py",
             "tests/unit/plugins/module_utils/test_secrets_pip.py"]
MAX_BYTES = 600 * 1024          # 0.2.0: about 340 kB
MAX_FILES = 450                 # 0.2.0: about 300 files


def build(source, out):
    cfg = out / "ansible.cfg"           # none of the checkout's settings
    cfg.write_text("[defaults]\n")
    done = subprocess.run([GALAXY, "collection", "build", "--force", "--output-path", str(out), str(source)],
                          cwd=str(out), env=dict(os.environ, ANSIBLE_CONFIG=str(cfg)),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert done.returncode == 0, done.stdout
    (tarball,) = [p for p in out.iterdir() if p.name.endswith(".tar.gz")]
    return tarball


# A shipped test that reaches into the checkout (tools/, the simulator) fails once installed.
NEEDS_CHECKOUT = re.compile(r"""["']tools["']\s*[,)+/]|^\s*(from|import) sim\b""", re.M)      # a path, not a key


def problems(tarball):
    with tarfile.open(str(tarball)) as tar:
        files = [m.name for m in tar.getmembers() if not m.isdir()]
        out = ["%s (needs the checkout: tools/ or the simulator)" % name for name in files
               if name.startswith("tests/") and name.endswith(".py")
               and NEEDS_CHECKOUT.search(tar.extractfile(name).read().decode())]
    for name in files:
        bad = [p for p in FORBIDDEN if fnmatch.fnmatch(name, p)]
        if bad or not any(fnmatch.fnmatch(name, p) for p in ALLOWED):
            out.append("%s (%s)" % (name, "matches " + bad[0] if bad else "not an installed collection's file"))
    if len(files) > MAX_FILES:
        out.append("%d files, more than %d" % (len(files), MAX_FILES))
    if tarball.stat().st_size > MAX_BYTES:
        out.append("%d bytes, more than %d" % (tarball.stat().st_size, MAX_BYTES))
    return out


def test_the_release_tarball_is_clean(tmp_path):
    tarball = build(REPO, tmp_path)
    assert problems(tarball) == []
    with tarfile.open(str(tarball)) as tar:
        names = set(tar.getnames())
    for needed in ("plugins/modules/ascend_facts.py", "roles/verify/meta/argument_specs.yml", "CHANGELOG.rst",
                   "tests/unit/conftest.py", "tests/unit/plugins/module_utils/fixtures/npu_smi/a2_info_25.2.0.txt"):
        assert needed in names


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """The checkout's own files (tracked and new, not ignored), as a build would see them."""
    return copy_checkout(tmp_path_factory.mktemp("checkout"))


@pytest.mark.parametrize("junk, expect", [
    # caches and venvs a developer's tree has: build_ignore leaves them out
    (".venv-sanity/lib/python3.11/site-packages/x.py", None),
    ("tests/unit/.pytest_cache/v/cache/nodeids", None),
    ("plugins/modules/__pycache__/npu_health.cpython-311.pyc", None),
    (".ansible/collections/x.txt", None),
    # anything build_ignore does not know fails the check, named
    ("roles/verify/molecule/default/molecule.yml", "matches */molecule/*"),
    ("docs/notes.txt", "not an installed collection's file"),
    ("tests/unit/big.bin", "bytes, more than"),
    ("tests/unit/test_uses_sim.py", "needs the checkout"),
])
def test_the_check_catches_what_slips_in(copy, tmp_path, junk, expect):
    path = copy / junk
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(MAX_BYTES + 1) if junk.endswith(".bin") else
                     b"from sim import profiles\n" if junk.endswith("sim.py") else b"junk\n")
    try:
        tarball = build(copy, tmp_path)
    finally:
        path.unlink()
    found = problems(tarball)
    if expect is None:
        with tarfile.open(str(tarball)) as tar:
            assert junk not in tar.getnames()
        assert found == []
    else:
        assert any(junk in p or expect in p for p in found) and any(expect in p for p in found), found
