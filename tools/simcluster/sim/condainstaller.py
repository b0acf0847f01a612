"""Miniforge/Miniconda installer stand-ins: `bash <installer>.sh -b -p PREFIX` as on a real node.

The header is a shell script in the shape of a constructor-built installer (batch mode, -p,
-u, the "already exists" refusal); the payload is a tar.gz with the conda stand-in
(standins/conda.py) and the pip wheel envs are bootstrapped from.  Like a real install it
leaves <prefix>/etc/profile.d/conda.sh, conda's shell function (`conda init --install`), and
no shell startup file touched.  Deterministic bytes.
"""

import gzip
import hashlib
import io
import os
import tarfile

from . import config, pypi

HEADER = r"""#!/bin/sh
# {label} {version} installer (simcluster stand-in, not the real installer)
# payload sha256 {sha}
set -eu
PREFIX="$HOME/{dirname}"; BATCH=0; UPDATE=0; FORCE=0
while getopts "bfhp:u" opt; do
  case "$opt" in
    b) BATCH=1;; f) FORCE=1;; u) UPDATE=1;; p) PREFIX="$OPTARG";;
    h) echo "usage: $0 [options]"; echo "Installs {label} {version}"; echo "-b run install in batch mode"
       echo "-p PREFIX install prefix"; echo "-u update an existing installation"; exit 2;;
    *) exit 2;;
  esac
done
if [ "$BATCH" = 0 ]; then echo "Interactive mode is not supported by this stand-in: use -b" >&2; exit 2; fi
case "$PREFIX" in /*) ;; *) echo "ERROR: the install location must be an absolute path" >&2; exit 1;; esac
if [ -e "$PREFIX" ] && [ "$UPDATE" = 0 ] && [ "$FORCE" = 0 ]; then
  echo "ERROR: File or directory already exists: '$PREFIX'" >&2
  echo "If you want to update an existing installation, use the -u option." >&2
  exit 1
fi
echo "PREFIX=$PREFIX"
echo "Unpacking payload ..."
mkdir -p "$PREFIX/lib/simcluster" "$PREFIX/bin" "$PREFIX/condabin" "$PREFIX/conda-meta" "$PREFIX/envs"
tail -n +{skip} "$0" | tar -xzf - -C "$PREFIX/lib/simcluster"
printf '#!/bin/sh\nexec /usr/bin/python3 %s/lib/simcluster/conda.py "$@"\n' "$PREFIX" > "$PREFIX/bin/conda"
chmod 755 "$PREFIX/bin/conda"; cp "$PREFIX/bin/conda" "$PREFIX/condabin/conda"
"$PREFIX/bin/conda" init --install >/dev/null
cat > "$PREFIX/conda-meta/conda-{version}-{build}.json" <<EOF
{{"name": "conda", "version": "{version}", "build": "{build}", "channel": "conda-forge"}}
EOF
echo "# simcluster stand-in install" > "$PREFIX/conda-meta/history"
echo "installation finished."
exit 0
"""

FLAVOURS = {
    "miniforge": {"label": "Miniforge3", "dirname": "miniforge3",
                  "file": "Miniforge3-{version}-0-Linux-{arch}.sh"},
    "miniconda": {"label": "Miniconda3", "dirname": "miniconda3",
                  "file": "Miniconda3-py311_{version}-1-Linux-{arch}.sh"},
}
BUILD = "py312h7900ff3_0"


def _payload(pip_wheel):
    raw = io.BytesIO()
    files = [("conda.py", open(os.path.join(config.STANDINS_DIR, "conda.py"), "rb").read()),
             (os.path.basename(pip_wheel), open(pip_wheel, "rb").read())]
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime, info.uid, info.gid = len(data), 0o644, 0, 0, 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def build(flavour, version, arch, pattern=None):
    """-> (file name, bytes) of one installer; pattern: the manifest's file name."""
    spec = FLAVOURS[flavour]
    payload = _payload(pypi.fetch("pip"))
    text = HEADER.format(label=spec["label"], version=version, dirname=spec["dirname"], build=BUILD,
                         sha=hashlib.sha256(payload).hexdigest(), skip="{skip}")
    skip = text.count("\n") + 1
    text = text.replace("{skip}", str(skip))
    name = pattern.replace("{arch}", arch) if pattern else spec["file"].format(version=version, arch=arch)
    return name, text.encode() + payload
