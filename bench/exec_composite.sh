#!/usr/bin/env bash
# Benchmark: one job of 50 steps that each use a local composite action (one `run:` step
# given the step's number as an input) under `gantry exec`, against the same 50 commands as
# plain `run:` steps. Measures what resolving, loading and scoping a composite action costs
# per step. Goal: at most 1.3x.
# Usage: bench/exec_composite.sh [BUILD_DIR] [STEPS] [RUNS]
set -euo pipefail
BUILD=${1:-build}
STEPS=${2:-50}
RUNS=${3:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
source "$ROOT/bench/exec_common.sh"
# The run directory lives under $TMPDIR: its file system matters (see docs/exec.md).
echo "run directories under ${TMPDIR:-/tmp} ($(df -T "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $2 }'))"
[[ -x $G ]] || { echo "exec_composite: $G not built" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/ws/act"
cat >"$dir/ws/act/action.yml" <<'ACTION'
name: Step
inputs:
  n:
    description: the step's number
    required: true
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "step ${{ inputs.n }}" >/dev/null
ACTION
header() {
  echo "on: push"
  echo "jobs:"
  echo "  steps:"
  echo "    runs-on: ubuntu-latest"
  echo "    steps:"
}
{
  header
  for ((i = 1; i <= STEPS; i++)); do
    echo "      - uses: ./act"
    echo "        with: {n: \"$i\"}"
  done
} >"$dir/composite.yml"
{
  header
  for ((i = 1; i <= STEPS; i++)); do
    echo "      - run: echo \"step $i\" >/dev/null"
  done
} >"$dir/plain.yml"
# Both must succeed before they are timed.
"$G" exec push -W "$dir/composite.yml" --workspace "$dir/ws" >/dev/null
"$G" exec push -W "$dir/plain.yml" --workspace "$dir/ws" >/dev/null

plain=("$G" exec push -W "$dir/plain.yml" --workspace "$dir/ws")
composite=("$G" exec push -W "$dir/composite.yml" --workspace "$dir/ws")
if command -v hyperfine >/dev/null; then
  # Side by side in one hyperfine run, so that both see the same machine load.
  json="$dir/hyperfine.json"
  hyperfine --warmup 1 --runs "$RUNS" --style none --export-json "$json" \
    -n "plain run: steps" "$(printf '%q ' "${plain[@]}")" \
    -n "composite steps" "$(printf '%q ' "${composite[@]}")" >/dev/null 2>&1
  mapfile -t medians < <(awk -F: '/"median"/ { gsub(/[ ,]/, "", $2); print $2 }' "$json")
  plain_s=${medians[0]}
  composite_s=${medians[1]}
else
  plain_s=$(time_median "plain run: steps" "$RUNS" "${plain[@]}")
  composite_s=$(time_median "composite steps" "$RUNS" "${composite[@]}")
fi
r=$(ratio "$composite_s" "$plain_s")
printf '%d composite-action steps %.3fs, %d plain run: steps %.3fs, ratio %sx (goal <= 1.3x: %s)\n' \
  "$STEPS" "$composite_s" "$STEPS" "$plain_s" "$r" "$(verdict "$r" 1.3)"
