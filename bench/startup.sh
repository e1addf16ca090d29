#!/usr/bin/env bash
# Benchmark: start-up, what a pre-commit hook or an editor pays on every file.
# `gantry --version`, `gantry lint one.yml` (a typical 40-line workflow) and
# `gantry expr '1 == 1'` against `true` and `bash -c true`: median and fastest wall time in
# ms, and the median as a ratio to `true`. Goal: `gantry lint one.yml` under 10 ms.
# Each command runs directly (hyperfine -N: no shell in between), after 20 warm-up runs.
# Usage: bench/startup.sh [BUILD_DIR] [RUNS]
set -euo pipefail
BUILD=${1:-build}
RUNS=${2:-200}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
[[ -x $G ]] || { echo "startup: $G not built" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/one.yml" <<'YAML'
name: CI
on:
  push:
    branches: [main]
    paths-ignore: ['docs/**']
  pull_request:
  workflow_dispatch:
    inputs:
      level:
        type: choice
        options: [quick, full]
        default: quick
concurrency:
  group: ci-${{ github.ref }}
  cancel-in-progress: true
env:
  BUILD_TYPE: Release
jobs:
  build:
    runs-on: ${{ matrix.os }}
    timeout-minutes: 30
    strategy:
      fail-fast: false
      matrix:
        os: [ubuntu-latest, macos-latest]
        cc: [gcc, clang]
        exclude:
          - os: macos-latest
            cc: gcc
    env:
      CC: ${{ matrix.cc }}
    steps:
      - uses: actions/checkout@v4
      - name: Configure
        run: cmake -S . -B build -DCMAKE_BUILD_TYPE=$BUILD_TYPE
      - name: Build
        run: cmake --build build -j2
      - name: Test
        if: ${{ github.event_name == 'push' || inputs.level == 'full' }}
        run: ctest --test-dir build --output-on-failure
      - uses: actions/upload-artifact@v4
        if: failure()
        with:
          name: logs-${{ matrix.os }}-${{ matrix.cc }}
          path: build/Testing
YAML
"$G" lint "$dir/one.yml" >/dev/null || { echo "startup: gantry lint one.yml failed" >&2; exit 1; }

# time_ms CMD...: prints "MEDIAN MIN CPU" in ms: the median and fastest wall time of CMD and
# its mean CPU time (user + system), which a busy machine inflates less than wall time.
time_ms() {
  if command -v hyperfine >/dev/null; then
    local json
    json=$(mktemp)
    hyperfine -N --warmup 20 --runs "$RUNS" --style none --export-json "$json" \
      "$(printf '%q ' "$@")" >/dev/null 2>&1 || { rm -f "$json"; return 1; }
    awk -F: '/"median"/ { gsub(/[ ,]/, "", $2); med = $2 }
             /"min"/ { gsub(/[ ,]/, "", $2); min = $2 }
             /"user"/ { gsub(/[ ,]/, "", $2); user = $2 }
             /"system"/ { gsub(/[ ,]/, "", $2); sys = $2 }
             END { printf "%.2f %.2f %.2f\n", med * 1000, min * 1000, (user + sys) * 1000 }' "$json"
    rm -f "$json"
    return 0
  fi
  # Without hyperfine: the mean of a shell loop (fork and exec of the shell included).
  local i start end
  start=$(date +%s%N)
  for ((i = 0; i < RUNS; i++)); do "$@" >/dev/null 2>&1 || true; done
  end=$(date +%s%N)
  awk -v t=$((end - start)) -v n="$RUNS" \
    'BEGIN { m = t / n / 1e6; printf "%.2f %.2f %.2f\n", m, m, m }'
}

printf '%-24s %10s %10s %8s %10s\n' "command" "median" "fastest" "/ true" "CPU"
true_med=""
row() {
  local label=$1 med min cpu
  shift
  read -r med min cpu < <(time_ms "$@")
  [[ -n $true_med ]] || true_med=$med
  printf '%-24s %7.2f ms %7.2f ms %7.2fx %7.2f ms\n' "$label" "$med" "$min" \
    "$(awk -v a="$med" -v b="$true_med" 'BEGIN { print a / b }')" "$cpu"
  [[ $label != "gantry lint one.yml" ]] || lint_med=$med
}
row "true" true
row "bash -c true" bash -c true
row "gantry --version" "$G" --version
row "gantry lint one.yml" "$G" lint "$dir/one.yml"
row "gantry expr '1 == 1'" "$G" expr '1 == 1'
printf 'gantry lint one.yml: median %.2f ms (goal < 10 ms: %s), %d runs each\n' "$lint_med" \
  "$(awk -v m="$lint_med" 'BEGIN { print (m < 10 ? "ok" : "MISSED") }')" "$RUNS"
