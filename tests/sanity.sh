#!/usr/bin/env bash
# ansible-test sanity needs the collection at .../ansible_collections/<ns>/<name>.
# Mirror the checkout (tracked and new files, not ignored ones) into a tree outside the
# repository (inside it, git would hide the copy from ansible-test) and run it there; the
# tree is kept between runs so ansible-test's own venvs are reused.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dest=${SANITY_ROOT:-/var/tmp/ascend_verl-sanity}/ansible_collections/ascend_verl/cluster
mkdir -p "$dest"
git ls-files --cached --others --exclude-standard -z \
  | rsync -a --delete --from0 --files-from=- --exclude tests/output ./ "$dest/"
# --delete with --files-from only prunes listed dirs; drop files that left the checkout.
(cd "$dest" && find . -path ./tests/output -prune -o -type f -print0) \
  | while IFS= read -r -d '' f; do [ -e "$root/$f" ] || rm -f "$dest/$f"; done
cd "$dest"
# ansible-test runs each sanity test in a venv of its own and puts pip into it with a
# get-pip.py it downloads from ci-files.testing.ansible.com, which this network cannot
# reach.  Give it an equivalent script instead: the interpreter's bundled pip (ensurepip)
# then `pip install` with the same arguments, from PyPI.
# The newest ansible-core line (its venv from tools/matrix.py's cache: the strictest rules);
# make matrix runs the oldest line with SANITY_VENV set to that line's venv.
venv=${SANITY_VENV:-$(python3 tools/matrix.py --venv newest)}
pip_version=$(sed -n "s/.*pip='\([0-9.]*\)'.*/\1/p" \
  "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -n1)
shim=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [ ! -f "$shim" ]; then
  mkdir -p "$(dirname "$shim")"
  cat > "$shim" <<'PY'
# Written by ascend_verl.cluster tests/sanity.sh in place of get-pip.py (unreachable here).
import ensurepip, os, subprocess, sys
ensurepip.bootstrap(upgrade=True)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]  # get-pip-only flags
bundle = "/etc/ssl/certs/ca-certificates.crt"  # ansible-test drops SSL_CERT_FILE & co.
if os.path.exists(bundle):
    args.insert(0, "--cert=" + bundle)
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
PY
fi
export PATH=$venv/bin:$PATH
exec ansible-test sanity --venv --python "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no "$@"
