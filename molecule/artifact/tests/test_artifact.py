"""What the artifact role leaves on a node: the fetched packages in the cache with the sha256
SHA256SUMS names, the archives unpacked (top directory stripped) with the sha256 of the archive
each directory holds; then (refuse.yml, run here) a package whose checksum does not match is
removed and stops the node, and one SHA256SUMS does not name is refused before anything moves."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests"))
import stack  # noqa: E402  (the manifests the file names come from)

SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT = os.environ["MOLECULE_PROJECT_DIRECTORY"]
SOURCE = os.path.join(PROJECT, "build", "artifacts", "artifact", "seed")
CACHE = "/var/cache/ascend_verl/artifacts"
COMPONENTS = stack.manifest("seed")["components"]
UNPACKED = {"/opt/mol-artifact/MindSpeed": (COMPONENTS["mindspeed"]["files"]["any"], "mindspeed/__init__.py"),
            "/opt/mol-artifact/Megatron-LM": (COMPONENTS["megatron_core"]["files"]["any"], "megatron/__init__.py")}


def sums():
    with open(os.path.join(SOURCE, "SHA256SUMS")) as f:
        return dict(reversed(line.split()) for line in f if line.strip())


def fetched(host):
    arch = host.check_output("uname -m")
    return [COMPONENTS["firmware"]["files"]["A2"], COMPONENTS["toolkit"]["files"]["any"].replace("{arch}", arch)]


def test_the_packages_are_in_the_cache_with_their_sha256(host):
    cache = host.file(CACHE)
    assert cache.is_directory and cache.mode == 0o750 and cache.user == "root"
    expected = sums()
    for name in fetched(host):
        f = host.file("%s/%s" % (CACHE, name))
        assert f.is_file and f.mode == 0o640 and f.user == "root", name
        assert f.sha256sum == expected[name], name


def test_each_archive_is_unpacked_into_its_directory_and_recorded(host):
    expected = sums()
    for dest, (archive, inside) in UNPACKED.items():
        assert host.file("%s/%s" % (dest, inside)).is_file, dest
        assert host.file("%s/setup.py" % dest).is_file and not host.file("%s/%s" % (dest, os.path.basename(dest))).exists
        assert host.file(dest + "/.artifact-sha256").content_string == expected[archive] + "\n", dest
        assert host.file("%s/%s" % (CACHE, archive)).sha256sum == expected[archive], archive


def test_a_mismatch_is_removed_and_an_unlisted_file_refused(host):
    env = dict(os.environ)
    inventory = os.path.join(PROJECT, "build", "sim", "mol-artifact", "hosts.yml")
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory,
                          "-e", "@" + os.path.join(PROJECT, "molecule", "shared", "stack_vars.yml"),
                          os.path.join(SCENARIO, "refuse.yml")],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, check=False,
                         universal_newlines=True, cwd=PROJECT)
    assert run.returncode == 0, run.stdout[-3000:]
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "refused-node1.json")) as f:
        refused = json.load(f)
    name = refused["file"]
    assert name.startswith("Ascend-cann-kernels-910b_") and name in sums()
    assert refused["mismatch"] == ("node1: %s from %s has sha256 %s but SHA256SUMS says %s; the file was removed "
                                   "and nothing was executed" % (name, SOURCE, sums()[name], "0" * 64))
    assert not host.file("%s/%s" % (CACHE, name)).exists
    assert "no sha256 for not-in-sha256sums.run in SHA256SUMS of %s" % SOURCE in refused["unlisted"]
    assert "refusing to use unchecked packages" in refused["unlisted"]
    assert not host.file(CACHE + "/not-in-sha256sums.run").exists
    # what converge fetched is still there
    assert all(host.file("%s/%s" % (CACHE, n)).exists for n in fetched(host))
