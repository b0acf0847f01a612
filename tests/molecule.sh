#!/usr/bin/env bash
# Every molecule scenario, MOLECULE_JOBS (default 2) at a time: each boots its own simulated
# cluster under its own name and slot, so they do not share state.  A scenario's output goes
# to build/molecule/<scenario>.log and is printed whole when it ends.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export PATH=$PWD/.venv/bin:$PATH NO_COLOR=1 PY_COLORS=0 ANSIBLE_FORCE_COLOR=0
jobs=${MOLECULE_JOBS:-2}
scenarios=$(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
[ -n "$scenarios" ] || { echo "make test: no molecule scenarios found" >&2; exit 1; }
logs=build/molecule
mkdir -p "$logs"
declare -A pid_of=() started=()
failed=() passed=()

finish() {  # $1 = pid that ended, $2 = its exit status
  local s
  for s in "${!pid_of[@]}"; do
    [ "${pid_of[$s]}" = "$1" ] || continue
    echo "=== molecule test -s $s (exit $2, $(( SECONDS - started[$s] )) s)"
    cat "$logs/$s.log"
    if [ "$2" -eq 0 ]; then passed+=("$s"); else failed+=("$s"); fi
    unset "pid_of[$s]"
  done
}

reap_one() {
  local pid rc
  wait -n -p pid; rc=$?
  finish "$pid" "$rc"
}

for s in $scenarios; do
  while [ "${#pid_of[@]}" -ge "$jobs" ]; do reap_one; done
  started[$s]=$SECONDS
  molecule test -s "$s" </dev/null >"$logs/$s.log" 2>&1 &
  pid_of[$s]=$!
done
while [ "${#pid_of[@]}" -gt 0 ]; do reap_one; done

total=$(wc -w <<<"$scenarios")
if [ "${#failed[@]}" -gt 0 ] || [ "${#passed[@]}" -ne "$total" ]; then
  echo "make test: molecule: ${#passed[@]} of $total scenarios passed; failed: ${failed[*]:-none}" >&2
  exit 1
fi
echo "molecule: $total scenarios passed in $SECONDS s ($jobs at a time)"
