#!/usr/bin/env bash
# Runs the sample app's tests; the last line printed is the coverage percentage
# (operations exercised / operations offered).
set -euo pipefail
cd "$(dirname "$0")"
pass=0; fail=0; covered=()
check() { # op a b expected
  if [[ $(./calc.sh "$1" "$2" "$3") == "$4" ]]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $*"; fi
  covered+=("$1")
}
check add 2 3 5
check sub 7 10 -3
check mul 6 7 42
ops=$(grep -cE '^  [a-z]+\)' calc.sh)
used=$(printf '%s\n' "${covered[@]}" | sort -u | wc -l)
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]] || exit 1
echo $((100 * used / ops)) | tee ../coverage.txt
