#!/usr/bin/env bash
# Smoke tests against the deployed app: the calculator answers.
set -euo pipefail
cd "$(dirname "$0")"
[[ $(./calc.sh add 1 1) == 2 ]] && echo "smoke: health ok"
