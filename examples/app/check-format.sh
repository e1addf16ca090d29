#!/usr/bin/env bash
# Fails when a script has trailing whitespace or tabs for indentation.
set -euo pipefail
cd "$(dirname "$0")"
! grep -nE '[[:space:]]+$|^	' ./*.sh
echo "format: ok"
