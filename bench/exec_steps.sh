#!/usr/bin/env bash
# Benchmark: one job of 1,000 sequential `run: true` steps under `gantry exec`, against the
# physical limit of one process per step: the same 1,000 commands each run as
# `bash --noprofile --norc -eo pipefail FILE` from a shell loop. Goal: at most 1.2x.
# Usage: bench/exec_steps.sh [BUILD_DIR] [STEPS] [RUNS]
set -euo pipefail
BUILD=${1:-build}
STEPS=${2:-1000}
RUNS=${3:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
source "$ROOT/bench/exec_common.sh"
# The run directory lives under $TMPDIR: its file system matters (see docs/exec.md).
echo "run directories under ${TMPDIR:-/tmp} ($(df -T "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $2 }'))"
[[ -x $G ]] || { echo "exec_steps: $G not built" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/steps" "$dir/ws"
{
  echo "on: push"
  echo "jobs:"
  echo "  steps:"
  echo "    runs-on: ubuntu-latest"
  echo "    steps:"
  for ((i = 1; i <= STEPS; i++)); do
    echo "      - run: \"true\""
    printf 'true\n' >"$dir/steps/$(printf '%05d' "$i").sh"
  done
} >"$dir/steps.yml"
cat >"$dir/loop.sh" <<LOOP
for f in "$dir"/steps/*.sh; do bash --noprofile --norc -eo pipefail "\$f"; done
LOOP

bash_s=$(time_median "bash loop" "$RUNS" bash "$dir/loop.sh")
gantry_s=$(time_median "gantry exec" "$RUNS" "$G" exec push -W "$dir/steps.yml" --workspace "$dir/ws")
r=$(ratio "$gantry_s" "$bash_s")
printf '%d sequential steps: gantry exec %.3fs, bash loop %.3fs, ratio %sx (goal <= 1.2x: %s)\n' \
  "$STEPS" "$gantry_s" "$bash_s" "$r" "$(verdict "$r" 1.2)"
