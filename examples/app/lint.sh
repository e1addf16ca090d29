#!/usr/bin/env bash
# Syntax-checks every script of the sample app.
set -euo pipefail
cd "$(dirname "$0")"
for f in ./*.sh; do bash -n "$f"; done
echo "lint: ok"
