#!/usr/bin/env bash
# Builds the browser UI (web/) into web/dist, which `gantry server` serves at its URL.
# Runs `npm ci` when web/node_modules is missing or older than web/package-lock.json, then
# `npm run build`. Without npm it prints a warning and exits 0, so C++-only builds still work.
# Then checks the budget: all JavaScript in web/dist/assets, each file gzipped, must stay under
# WEB_JS_BUDGET_KB (200) KB; prints the figure, fails above it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WEB="$ROOT/web"
BUDGET_KB=${WEB_JS_BUDGET_KB:-200}

if ! command -v npm >/dev/null 2>&1; then
  echo "build-web: warning: npm is not installed; the web UI is not built (gantry server will" \
    "say so at /). Install Node.js and npm (scripts/install-deps.sh) and run 'make web'." >&2
  exit 0
fi

cd "$WEB"
if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  echo "build-web: npm ci"
  npm ci --no-audit --no-fund
  touch node_modules
fi
echo "build-web: npm run build"
npm run build

shopt -s nullglob
scripts=(dist/assets/*.js dist/assets/*.mjs)
if ((${#scripts[@]} == 0)); then
  echo "build-web: error: no JavaScript in web/dist/assets after the build" >&2
  exit 1
fi
# Each file is fetched (and compressed) on its own: the budget is the sum of their gzip sizes.
bytes=0
for f in "${scripts[@]}"; do bytes=$((bytes + $(gzip -9 -c "$f" | wc -c))); done
budget=$((BUDGET_KB * 1024))
kb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1024 }')
if ((bytes >= budget)); then
  echo "build-web: error: the UI's JavaScript is ${kb} KB gzipped (${#scripts[@]} files)," \
    "over the budget of ${BUDGET_KB} KB" >&2
  exit 1
fi
echo "build-web: JavaScript ${kb} KB gzipped (${#scripts[@]} files; budget ${BUDGET_KB} KB)"
