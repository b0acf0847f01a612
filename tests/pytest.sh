#!/usr/bin/env bash
# pytest for one stage of `make test`.  Exit 5 ("no tests collected") is a failure with
# its own message: a stage that silently tests nothing must not pass.
set -uo pipefail
stage=$1; shift
cd "$(dirname "$0")/.." || exit 1
.venv/bin/pytest -q -p no:cacheprovider --durations=8 "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "make test: the $stage stage collected no tests ($*)" >&2
fi
exit "$rc"
