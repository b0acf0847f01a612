#!/usr/bin/env bash
# pytest for one stage of `make test`.  Exit 5 ("no tests collected") is a failure with
# its own message: a stage that silently tests nothing must not pass.  A simulated cluster
# that appeared during the stage and is still up when it ends (a teardown that did not run,
# or a run cut short) is taken down here, and fails a stage that otherwise passed: a test
# machine must not keep network namespaces and node processes behind.
set -uo pipefail
stage=$1; shift
cd "$(dirname "$0")/.." || exit 1
clusters() { find /run/simcluster -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort; }
before=$(clusters)
leftovers() { comm -13 <(echo "$before") <(clusters) | grep -v '^$'; }
# shellcheck disable=SC2317  # run by the trap
cleanup() {
  local name
  for name in $(leftovers); do tools/simcluster/simcluster down "$name" >/dev/null 2>&1; done
}
trap cleanup EXIT
.venv/bin/pytest -q -p no:cacheprovider --durations=8 "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "make test: the $stage stage collected no tests ($*)" >&2
fi
left=$(leftovers)
if [ -n "$left" ]; then
  echo "make test: the $stage stage left simulated clusters up: ${left//$'\n'/ } (taken down now)" >&2
  [ "$rc" -eq 0 ] && rc=1
fi
exit "$rc"
