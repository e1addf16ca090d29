#!/usr/bin/env bash
# Benchmark: actions/checkout with default inputs on a repository of 10,000 small files under
# `gantry exec`: today's clone of the commit under test (git init, fetch --depth=1 from the
# local repository, checkout, uncommitted changes applied) against the plain copy
# of the working tree that gantry made before (still made for a folder that is not the root of
# a git repository: the same files without .git). A run without the checkout step gives the
# fixed cost of a run, subtracted from both. Goal: the clone at most 1.5x the copy.
# Usage: bench/checkout.sh [BUILD_DIR] [FILES] [RUNS]
set -euo pipefail
BUILD=${1:-build}
FILES=${2:-10000}
RUNS=${3:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
source "$ROOT/bench/exec_common.sh"
# The workspace lives in the run directory under $TMPDIR: its file system matters.
echo "run directories under ${TMPDIR:-/tmp} ($(df -T "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $2 }'))"
[[ -x $G ]] || { echo "checkout: $G not built" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# FILES small files, 100 per directory, committed; one of them changed and one untracked.
mkdir -p "$dir/repo/.github/workflows"
(
  cd "$dir/repo"
  for ((i = 0; i < FILES; i++)); do
    ((i % 100 == 0)) && mkdir -p "d$((i / 100))"
    printf 'file %d of the benchmark\n' "$i" >"d$((i / 100))/f$i.txt"
  done
)
cat >"$dir/repo/.github/workflows/checkout.yml" <<'YAML'
on: push
jobs:
  checkout:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: test -f d0/f0.txt
YAML
cat >"$dir/repo/.github/workflows/none.yml" <<'YAML'
on: push
jobs:
  none:
    runs-on: ubuntu-latest
    steps:
      - run: "true"
YAML
git -C "$dir/repo" init -q -b main
git -C "$dir/repo" add -A
git -C "$dir/repo" -c gc.auto=0 -c user.name=bench -c user.email=bench@example.com commit -qm files
git -C "$dir/repo" gc -q
echo changed >"$dir/repo/d0/f0.txt"
echo untracked >"$dir/repo/new.txt"
# The same files outside git: gantry copies them, as it did for every checkout before.
mkdir "$dir/plain"
(cd "$dir/repo" && tar --exclude=./.git -cf - .) | tar -xf - -C "$dir/plain"

# -W names the project: the folder holding .github is the repository gantry checks out.
clone=("$G" exec push -W "$dir/repo/.github/workflows/checkout.yml")
copy=("$G" exec push -W "$dir/plain/.github/workflows/checkout.yml")
none=("$G" exec push -W "$dir/repo/.github/workflows/none.yml")
# All must succeed before they are timed; the clone must hold the working tree's changes.
"${copy[@]}" >/dev/null
"${none[@]}" >/dev/null
log=$("${clone[@]}")
grep -q 'Applied 2 uncommitted changes' <<<"$log" ||
  { echo "checkout: the clone did not apply the working tree's changes" >&2; exit 1; }

if command -v hyperfine >/dev/null; then
  # Side by side in one hyperfine run, so that all see the same machine load.
  json="$dir/hyperfine.json"
  hyperfine --warmup 1 --runs "$RUNS" --style none --export-json "$json" \
    -n "no checkout" "$(printf '%q ' "${none[@]}")" \
    -n "copy" "$(printf '%q ' "${copy[@]}")" \
    -n "clone" "$(printf '%q ' "${clone[@]}")" >/dev/null 2>&1
  mapfile -t medians < <(awk -F: '/"median"/ { gsub(/[ ,]/, "", $2); print $2 }' "$json")
  none_s=${medians[0]}
  copy_s=${medians[1]}
  clone_s=${medians[2]}
else
  none_s=$(time_median "no checkout" "$RUNS" "${none[@]}")
  copy_s=$(time_median "copy" "$RUNS" "${copy[@]}")
  clone_s=$(time_median "clone" "$RUNS" "${clone[@]}")
fi
copy_cost=$(awk -v a="$copy_s" -v b="$none_s" 'BEGIN { printf "%.6f", a - b }')
clone_cost=$(awk -v a="$clone_s" -v b="$none_s" 'BEGIN { printf "%.6f", a - b }')
r=$(ratio "$clone_cost" "$copy_cost")
printf '%d files: run without checkout %.3fs; checkout by copy +%.3fs, by clone +%.3fs, ratio %sx (goal <= 1.5x: %s)\n' \
  "$FILES" "$none_s" "$copy_cost" "$clone_cost" "$r" "$(verdict "$r" 1.5)"
