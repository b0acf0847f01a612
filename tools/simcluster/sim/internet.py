"""The part of the internet verl's upstream install script reaches, for the sglang_npu role's
`upstream_script` method.  Simulated nodes have no route out, so it is a directory on the host,
bind-mounted read-only into every node at /opt/simcluster/internet:

  github.com/sgl-project/sglang.git           bare repo, tag v<sglang> (the stack's source tree)
  github.com/sgl-project/sgl-kernel-npu.git   tag named after the seed's commit (46b73de): a stand-in
                                              commit cannot have the real hash, a tag of that name
                                              is what `git checkout 46b73de` resolves first
  github.com/sgl-project/sgl-kernel-npu/releases/download/<tag>/<zip>   release zips (line B)
  gitcode.com/Ascend/MindSpeed.git            tag <mindspeed ref>
  github.com/NVIDIA/Megatron-LM.git           tag <megatron ref>
  bin/wget                                    wget stand-in: https://HOST/PATH -> HOST/PATH here

Real git reaches the repos through url.<mirror>.insteadOf (the role's git mirror knob), as an
air-gapped site's mirror would be used.  Repos gain one orphan commit per ref, so both stacks
share them.
"""

import io
import os
import subprocess
import tarfile
import tempfile

from . import config

MOUNT = "/opt/simcluster/internet"      # where nodes see it

WGET = r'''#!/usr/bin/python3
"""simcluster stand-in of wget: serves https://HOST/PATH from the simulated internet next to it
(simulated nodes have no route out).  Options other than -O/-q are accepted and ignored."""
import os, shutil, sys
root = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
args, out, i = [], None, 1
while i < len(sys.argv):
    a = sys.argv[i]
    if a in ("-O", "--output-document"):
        out, i = sys.argv[i + 1], i + 2
        continue
    if not a.startswith("-"):
        args.append(a)
    i += 1
rc = 0
for url in args:
    path = os.path.join(root, url.split("://", 1)[-1])
    target = out or os.path.basename(url)
    print("--  %s\nConnecting to %s:443... connected." % (url, url.split("/")[2]), file=sys.stderr)
    if not os.path.isfile(path):
        print("ERROR 404: Not Found.", file=sys.stderr)
        rc = 8
        continue
    shutil.copyfile(path, target)
    print("'%s' saved [%d/%d]" % (target, os.path.getsize(target), os.path.getsize(target)), file=sys.stderr)
sys.exit(rc)
'''


def root():
    return os.path.join(config.CACHE_ROOT, "internet")


def _git(bare, *argv, **kwargs):
    env = dict(os.environ, GIT_AUTHOR_NAME="simcluster", GIT_AUTHOR_EMAIL="simcluster@localhost",
               GIT_COMMITTER_NAME="simcluster", GIT_COMMITTER_EMAIL="simcluster@localhost",
               GIT_AUTHOR_DATE="2026-01-01T00:00:00Z", GIT_COMMITTER_DATE="2026-01-01T00:00:00Z",
               **kwargs.pop("env", {}))
    return subprocess.run(["git", "--git-dir", bare] + list(argv), env=env, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          **kwargs).stdout.strip()


def publish_repo(bare, ref, tar_bytes):
    """Commit the archive's tree (its top directory stripped) to the bare repo as tag `ref`,
    and point main (the repo's HEAD) at it."""
    if not os.path.isdir(bare):
        os.makedirs(bare)
        _git(bare, "init", "--bare", "-q", "-b", "main")
    with tempfile.TemporaryDirectory() as work:
        with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tf:
            for member in tf.getmembers():
                parts = member.name.split("/", 1)
                if len(parts) == 2 and parts[1]:
                    member.name = parts[1]
                    tf.extract(member, work)
        index = os.path.join(work, ".simindex")
        env = {"GIT_INDEX_FILE": index, "GIT_WORK_TREE": work}
        _git(bare, "add", "-A", "--", ".", ":!.simindex", env=env, cwd=work)
        tree = _git(bare, "write-tree", env=env)
        commit = _git(bare, "commit-tree", tree, "-m", "simcluster stand-in at " + ref)
    _git(bare, "update-ref", "refs/tags/" + ref, commit)
    _git(bare, "update-ref", "refs/heads/main", commit)


def publish(manifest, sources):
    """Put the stack's source archives (pyartifacts.sources) where the upstream script looks."""
    comps = manifest["components"]
    base = root()
    by_file = dict(sources)
    repos = (("sglang", "github.com/sgl-project/sglang.git"),
             ("mindspeed", "gitcode.com/Ascend/MindSpeed.git"),
             ("megatron_core", "github.com/NVIDIA/Megatron-LM.git"),
             ("sgl_kernel_npu", "github.com/sgl-project/sgl-kernel-npu.git"))
    for name, url in repos:
        comp = comps[name]
        if "any" in comp.get("files", {}):
            publish_repo(os.path.join(base, url), str(comp["ref"]), by_file[comp["files"]["any"]])
    kn = comps["sgl_kernel_npu"]
    for pattern in kn["files"].values():
        name = pattern.replace("{arch}", os.uname().machine)
        if name in by_file and name.endswith(".zip"):
            target = os.path.join(base, "github.com/sgl-project/sgl-kernel-npu/releases/download", str(kn["ref"]))
            os.makedirs(target, exist_ok=True)
            with open(os.path.join(target, name), "wb") as f:
                f.write(by_file[name])
    os.makedirs(os.path.join(base, "bin"), exist_ok=True)
    with open(os.path.join(base, "bin", "wget"), "w") as f:
        f.write(WGET)
    os.chmod(os.path.join(base, "bin", "wget"), 0o755)
    return base
