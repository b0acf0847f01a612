"""CHANGELOG.rst is what antsibull-changelog makes of changelogs/, whose fragments and
changelog.yaml are valid, and whose newest release is galaxy.yml's version."""

import os
import shutil
import subprocess
import sys

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def antsibull_changelog():
    tools = subprocess.run([sys.executable, os.path.join(REPO, "tools", "matrix.py"), "--tools"],
                           stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout.strip()
    return os.path.join(tools, "antsibull-changelog")


def test_changelog_is_generated_from_fragments(tmp_path):
    tool = antsibull_changelog()
    for argv in ([tool, "lint"], [tool, "lint-changelog-yaml", "changelogs/changelog.yaml"]):
        done = subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, check=False)
        assert done.returncode == 0 and done.stdout.strip() == "", done.stdout
    # generate in a copy: the checkout's CHANGELOG.rst must be exactly what it writes
    copy = tmp_path / "c"
    copy.mkdir()
    for name in ("galaxy.yml", "CHANGELOG.rst", "changelogs", "plugins", "roles", "meta"):
        src = os.path.join(REPO, name)
        (shutil.copytree if os.path.isdir(src) else shutil.copy2)(src, str(copy / name))
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    done = subprocess.run([tool, "generate"], cwd=str(copy), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert done.returncode == 0, done.stdout
    with open(os.path.join(REPO, "CHANGELOG.rst")) as f:
        assert (copy / "CHANGELOG.rst").read_text() == f.read(), \
            "CHANGELOG.rst is stale: run antsibull-changelog generate (or release)"
    with open(os.path.join(REPO, "changelogs", "changelog.yaml")) as f:
        releases = yaml.safe_load(f)["releases"]
    with open(os.path.join(REPO, "galaxy.yml")) as f:
        assert yaml.safe_load(f)["version"] in releases
