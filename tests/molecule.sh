#!/usr/bin/env bash
# Every molecule scenario, one after the other (each boots its own simulated cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.venv/bin:$PATH NO_COLOR=1 PY_COLORS=0 ANSIBLE_FORCE_COLOR=0
scenarios=$(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
[ -n "$scenarios" ] || { echo "make test: no molecule scenarios found" >&2; exit 1; }
for s in $scenarios; do
  echo "=== molecule test -s $s"
  molecule test -s "$s"
done
