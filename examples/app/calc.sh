#!/usr/bin/env bash
# A tiny sample application: integer arithmetic on the command line.
set -euo pipefail
op=${1:?usage: calc.sh add|sub|mul A B}
a=${2:?}; b=${3:?}
case "$op" in
  add) echo $((a + b)) ;;
  sub) echo $((a - b)) ;;
  mul) echo $((a * b)) ;;
  *) echo "calc: unknown operation '$op'" >&2; exit 2 ;;
esac
