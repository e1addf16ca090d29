#!/usr/bin/env bash
# Fails when the packed app exceeds the size budget (bytes).
set -euo pipefail
budget=${SIZE_BUDGET:-1000000}
cd "$(dirname "$0")/.."
size=$(tar -cz app | wc -c)
echo "size: $size bytes (budget $budget)"
[[ $size -le $budget ]]
