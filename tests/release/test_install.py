"""README's install path, run as written: the tarball built and installed into the user's
collections path, on a fresh checkout and on one with the development link (`make deps`);
the checkout keeps using itself, the rest of the machine the installed copy."""

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from checkout import copy_checkout

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.dirname(sys.executable)
LINK = os.path.join("build", "collections", "ansible_collections", "ascend_verl", "cluster")


def readme_block():
    with open(os.path.join(REPO, "README.md")) as f:
        text = f.read()
    block = re.search(r"<!-- install:begin -->\s*```bash\n(.*?)```\s*<!-- install:end -->", text, re.S)
    assert block, "README.md has no install block between <!-- install:begin/end -->"
    return block.group(1)


def sh(script, cwd, home, config=None):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("ANSIBLE_"))
    env.update(HOME=str(home), PATH=BIN + os.pathsep + env["PATH"])
    if config:
        env["ANSIBLE_CONFIG"] = config
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=str(cwd), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert done.returncode == 0, done.stdout
    return done.stdout


def origin(cwd, home, config=None):
    """Where ansible-doc finds ascend_verl.cluster.npu_pci_info from cwd (real path)."""
    out = sh("ansible-doc -t module --json ascend_verl.cluster.npu_pci_info", cwd, home, config)
    doc = json.loads(out[out.index("{"):])["ascend_verl.cluster.npu_pci_info"]["doc"]
    return os.path.realpath(doc["filename"])


@pytest.fixture
def checkout(tmp_path):
    """A fresh checkout: the repository's files (tracked and new), no build/."""
    dest = copy_checkout(tmp_path / "checkout")
    home = tmp_path / "home"
    home.mkdir()
    return dest, home


def test_readme_names_this_version():
    with open(os.path.join(REPO, "galaxy.yml")) as f:
        version = yaml.safe_load(f)["version"]
    assert "ascend_verl-cluster-%s.tar.gz" % version in readme_block()


@pytest.mark.parametrize("dev_link", [False, True], ids=["fresh-checkout", "after-make-deps"])
def test_install_from_the_tarball_as_written(checkout, dev_link):
    repo, home = checkout
    cfg = str(repo / "ansible.cfg")
    if dev_link:
        sh("make collection", repo, home)
    for dummy in range(2):                      # and again: a re-install (upgrade) works too
        out = sh(readme_block(), repo, home, cfg)
        assert "Nothing to do" not in out and "installed successfully" in out, out
    installed = home / ".ansible" / "collections" / "ansible_collections" / "ascend_verl" / "cluster"
    assert (installed / "MANIFEST.json").is_file()
    # elsewhere on the machine the installed copy answers; in the checkout, the checkout itself
    assert origin(home, home).startswith(str(installed) + os.sep)
    if dev_link:
        assert origin(repo, home, cfg).startswith(str(repo) + os.sep)
    link = repo / LINK
    assert not os.path.lexists(str(link)) or os.path.islink(str(link))


def test_make_deps_replaces_a_copy_installed_into_the_checkout(checkout):
    """`ansible-galaxy collection install <tarball>` without README's path puts a copy into the
    checkout's build/collections, where it would shadow the checkout: make deps puts the link back."""
    repo, home = checkout
    cfg = str(repo / "ansible.cfg")
    sh("ansible-galaxy collection build --output-path build/dist . && "
       "ansible-galaxy collection install build/dist/ascend_verl-cluster-*.tar.gz", repo, home, cfg)
    assert (repo / LINK / "MANIFEST.json").is_file() and not os.path.islink(str(repo / LINK))
    sh("make collection", repo, home)
    assert os.path.islink(str(repo / LINK))
    assert origin(repo, home, cfg).startswith(str(repo) + os.sep)
