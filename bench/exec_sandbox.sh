#!/usr/bin/env bash
# Benchmark: the cost of `gantry exec --sandbox` (bubblewrap around every step): one job of
# 1,000 sequential `run: true` steps with and without --sandbox, and with
# --sandbox-network=false (a network namespace per step); prints the overhead per step.
# Usage: bench/exec_sandbox.sh [BUILD_DIR] [STEPS] [RUNS]
set -euo pipefail
BUILD=${1:-build}
STEPS=${2:-1000}
RUNS=${3:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
source "$ROOT/bench/exec_common.sh"
[[ -x $G ]] || { echo "exec_sandbox: $G not built" >&2; exit 1; }
command -v bwrap >/dev/null || { echo "exec_sandbox: skipped, no bwrap (install bubblewrap)"; exit 0; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# As root the steps run as uid 1000, which must be able to enter the workspace's parents.
chmod 755 "$dir"
mkdir -p "$dir/ws"
{
  echo "on: push"
  echo "jobs:"
  echo "  steps:"
  echo "    runs-on: ubuntu-latest"
  echo "    steps:"
  for ((i = 1; i <= STEPS; i++)); do echo "      - run: \"true\""; done
} >"$dir/steps.yml"
run=("$G" exec push -W "$dir/steps.yml" --workspace "$dir/ws")

host_s=$(time_median "host" "$RUNS" "${run[@]}")
sandbox_s=$(time_median "sandbox" "$RUNS" "${run[@]}" --sandbox)
isolated_s=$(time_median "sandbox, no network" "$RUNS" "${run[@]}" --sandbox --sandbox-network=false)
per_step() { awk -v a="$1" -v b="$2" -v n="$STEPS" 'BEGIN { printf "%.2f", (a - b) * 1000 / n }'; }
printf '%d sequential steps: host %.3fs, --sandbox %.3fs (+%s ms a step), ' \
  "$STEPS" "$host_s" "$sandbox_s" "$(per_step "$sandbox_s" "$host_s")"
printf -- '--sandbox --sandbox-network=false %.3fs (+%s ms a step)\n' \
  "$isolated_s" "$(per_step "$isolated_s" "$host_s")"
