#!/usr/bin/env bash
# Benchmark: restoring 10,000 small files from an actions/cache entry (bench/cache_driver,
# which calls the built-in RunCacheAction as `actions/cache/restore` would) against the
# physical limit of `tar -xf` of a tar of the same files, both into an empty directory.
# Goal: at most 1.5x.
# Usage: bench/cache_restore.sh [BUILD_DIR] [FILES] [RUNS]
set -euo pipefail
BUILD=${1:-build}
FILES=${2:-10000}
RUNS=${3:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D="$ROOT/$BUILD/bench/cache_driver"
source "$ROOT/bench/exec_common.sh"
echo "files under ${TMPDIR:-/tmp} ($(df -T "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $2 }'))"
[[ -x $D ]] || { echo "cache_restore: $D not built (ninja cache_driver)" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# FILES small files, 100 per directory, like a dependency tree.
mkdir -p "$dir/src/files"
(
  cd "$dir/src/files"
  for ((i = 0; i < FILES; i++)); do
    ((i % 100 == 0)) && mkdir -p "d$((i / 100))"
    printf 'file %d of the benchmark\n' "$i" >"d$((i / 100))/f$i.txt"
  done
)
tar -cf "$dir/files.tar" -C "$dir/src" files
"$D" save "$dir/cache" "$dir/src" bench-key files 2>/dev/null

# Once for correctness: both restores give the same tree.
mkdir -p "$dir/check-cache" "$dir/check-tar"
"$D" restore "$dir/cache" "$dir/check-cache" bench-key files
tar -xf "$dir/files.tar" -C "$dir/check-tar"
diff -r "$dir/check-cache/files" "$dir/check-tar/files" >/dev/null ||
  { echo "cache_restore: restored tree differs from tar's" >&2; exit 1; }
rm -rf "$dir/check-cache" "$dir/check-tar"

# time_prepared LABEL RUNS PREPARE CMD...: median wall time in seconds of CMD, with PREPARE
# (a shell command, not timed) before each run; hyperfine when installed, else a loop.
time_prepared() {
  local label=$1 runs=$2 prepare=$3
  shift 3
  if command -v hyperfine >/dev/null; then
    local json
    json=$(mktemp)
    hyperfine --warmup 1 --runs "$runs" --style none --export-json "$json" --prepare "$prepare" \
      -n "$label" "$(printf '%q ' "$@")" >/dev/null 2>&1 || { rm -f "$json"; return 1; }
    awk -F: '/"median"/ { gsub(/[ ,]/, "", $2); print $2; exit }' "$json"
    rm -f "$json"
    return 0
  fi
  local times=() i start end
  for ((i = 0; i <= runs; i++)); do
    bash -c "$prepare"
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || return 1
    end=$(date +%s%N)
    ((i > 0)) && times+=("$(((end - start) / 1000))")  # the first run is a warm-up
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.6f\n", a[int((NR + 1) / 2)] / 1e6 }'
}

out="$dir/out"
fresh="rm -rf '$out' && mkdir '$out' && sync"
tar_s=$(time_prepared "tar -xf" "$RUNS" "$fresh" tar -xf "$dir/files.tar" -C "$out")
cache_s=$(time_prepared "cache restore" "$RUNS" "$fresh" "$D" restore "$dir/cache" "$out" bench-key files)
r=$(ratio "$cache_s" "$tar_s")
printf '%d small files: cache restore %.3fs, tar -xf %.3fs, ratio %sx (goal <= 1.5x: %s)\n' \
  "$FILES" "$cache_s" "$tar_s" "$r" "$(verdict "$r" 1.5)"
