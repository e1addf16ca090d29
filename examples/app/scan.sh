#!/usr/bin/env bash
# A toy security scan: reports scripts that use eval, as SARIF-like JSON.
set -euo pipefail
cd "$(dirname "$0")"
hits=$(grep -l 'eval ' ./*.sh | grep -v scan.sh || true)
printf '{"version":"2.1.0","runs":[{"results":[%s]}]}\n' \
  "$(for h in $hits; do printf '{"ruleId":"eval","location":"%s"},' "$h"; done | sed 's/,$//')"
