#!/usr/bin/env bash
# Runs clang-tidy (with the committed .clang-tidy) over every non-test source file, in
# parallel. Exit status non-zero on any finding.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'src/*.cc' | grep -v '_test\.cc$')
printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -n 4 clang-tidy -p "$BUILD" --quiet 2>/dev/null
echo "clang-tidy: clean (${#files[@]} files)"
