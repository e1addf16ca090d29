#!/usr/bin/env bash
# Benchmark: a wide DAG of 1,000 independent jobs plus one fan-in job, each `run: true`, under
# `gantry exec -p 2`, against `ninja -j2` running the same commands (each as
# `bash --noprofile --norc -eo pipefail FILE`) through a generated build.ninja. Goal: at most
# 1.5x ninja. Also reports the peak RSS of gantry exec (GNU time).
# Usage: bench/exec_dag.sh [BUILD_DIR] [JOBS] [RUNS]
set -euo pipefail
BUILD=${1:-build}
JOBS=${2:-1000}
RUNS=${3:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
source "$ROOT/bench/exec_common.sh"
# The run directory lives under $TMPDIR: its file system matters (see docs/exec.md).
echo "run directories under ${TMPDIR:-/tmp} ($(df -T "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $2 }'))"
[[ -x $G ]] || { echo "exec_dag: $G not built" >&2; exit 1; }
command -v ninja >/dev/null || { echo "exec_dag: ninja not installed" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/steps" "$dir/ninja"
needs=""
{
  echo "on: push"
  echo "jobs:"
  for ((i = 1; i <= JOBS; i++)); do
    id=$(printf 'j%05d' "$i")
    printf '  %s:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n' "$id"
    needs+="${needs:+, }$id"
    printf 'true\n' >"$dir/steps/$id.sh"
  done
  printf '  fan-in:\n    needs: [%s]\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n' "$needs"
} >"$dir/dag.yml"
printf 'true\n' >"$dir/steps/fan-in.sh"
{
  echo "rule run"
  echo "  command = bash --noprofile --norc -eo pipefail \$in"
  outs=""
  for ((i = 1; i <= JOBS; i++)); do
    id=$(printf 'j%05d' "$i")
    echo "build $id.done: run $dir/steps/$id.sh"
    outs+=" $id.done"
  done
  echo "build fan-in.done: run $dir/steps/fan-in.sh ||$outs"
  echo "default fan-in.done"
} >"$dir/ninja/build.ninja"
# The outputs are never written, so every ninja run executes every command again.

ninja_s=$(time_median "ninja -j2" "$RUNS" ninja -C "$dir/ninja" -j2)
gantry_s=$(time_median "gantry exec -p 2" "$RUNS" "$G" exec push -W "$dir/dag.yml" -p 2)
r=$(ratio "$gantry_s" "$ninja_s")
printf '%d jobs + fan-in, -p 2: gantry exec %.3fs, ninja -j2 %.3fs, ratio %sx (goal <= 1.5x: %s)\n' \
  "$JOBS" "$gantry_s" "$ninja_s" "$r" "$(verdict "$r" 1.5)"

if [[ -x /usr/bin/time ]]; then
  rss=$(/usr/bin/time -v "$G" exec push -W "$dir/dag.yml" -p 2 2>&1 >/dev/null |
    awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }')
  printf '%d jobs + fan-in: gantry exec peak RSS %s KiB (%.1f MiB)\n' "$JOBS" "$rss" \
    "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
else
  echo "exec_dag: /usr/bin/time not installed (scripts/install-deps.sh installs it); no RSS figure"
fi
