#!/usr/bin/env bash
# Benchmark: one job whose 20 steps `sleep 0.2` sit in one `parallel:` block, against the
# physical limit of a shell that starts the same 20 commands with `&` and then `wait`s.
# Both take about 0.2 s plus their overhead; the ratio is gantry's over the shell's.
# Usage: bench/exec_parallel.sh [BUILD_DIR] [STEPS] [RUNS]
set -euo pipefail
BUILD=${1:-build}
STEPS=${2:-20}
RUNS=${3:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
source "$ROOT/bench/exec_common.sh"
[[ -x $G ]] || { echo "exec_parallel: $G not built" >&2; exit 1; }
# GitHub's runner runs at most 10 background steps of a job at once, and so does gantry:
# past 10 steps the block takes a second round of sleeps, which the shell does not.
((STEPS <= 10)) || echo "note: $STEPS steps > 10 background slots: gantry runs them in rounds"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/ws"
{
  echo "on: push"
  echo "jobs:"
  echo "  par:"
  echo "    runs-on: ubuntu-latest"
  echo "    steps:"
  echo "      - parallel:"
  for ((i = 1; i <= STEPS; i++)); do echo "          - run: sleep 0.2"; done
} >"$dir/par.yml"
{
  for ((i = 1; i <= STEPS; i++)); do echo "bash --noprofile --norc -eo pipefail -c 'sleep 0.2' &"; done
  echo "wait"
} >"$dir/amp.sh"

shell_s=$(time_median "shell & + wait" "$RUNS" bash "$dir/amp.sh")
gantry_s=$(time_median "gantry exec" "$RUNS" "$G" exec push -W "$dir/par.yml" --workspace "$dir/ws")
unl_s=$(time_median "gantry exec, no slot limit" "$RUNS" "$G" exec push -W "$dir/par.yml" --workspace "$dir/ws" --max-background-steps 0)
r=$(ratio "$gantry_s" "$shell_s")
printf '%d x sleep 0.2 in one parallel: block: gantry exec %.3fs, shell & + wait %.3fs, ratio %sx\n' \
  "$STEPS" "$gantry_s" "$shell_s" "$r"
r=$(ratio "$unl_s" "$shell_s")
printf '  the same with --max-background-steps 0 (all %d at once): gantry exec %.3fs, ratio %sx\n' \
  "$STEPS" "$unl_s" "$r"
