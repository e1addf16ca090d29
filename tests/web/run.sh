#!/usr/bin/env bash
# ctest's web_e2e: the browser tests (e2e, pages, reports, settings, deployments) against GANTRY_BIN and GANTRY_WEB_DIR.
# Exit 77 (ctest: skipped) only when this machine cannot run a browser test at all: no node,
# no chromium, or no built UI (npm missing when `make build` ran). `make test` installs all three.
set -u
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null || { echo "web_e2e: skipped: no node"; exit 77; }
chromium=${CHROMIUM:-/usr/bin/chromium}
[[ -x $chromium ]] || { echo "web_e2e: skipped: no $chromium (apt-get install chromium)"; exit 77; }
GANTRY_BIN=${GANTRY_BIN:-$here/../../build/gantry}; GANTRY_WEB_DIR=${GANTRY_WEB_DIR:-$here/../../web/dist}; export GANTRY_BIN GANTRY_WEB_DIR
[[ -f ${GANTRY_WEB_DIR}/index.html ]] || { echo "web_e2e: skipped: no built UI in $GANTRY_WEB_DIR (make web)"; exit 77; }
if [[ ! -d $here/node_modules/playwright-core ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --silent) || { echo "web_e2e: npm ci failed"; exit 1; }
fi
cd "$here" && exec node --test --test-concurrency=1 --test-reporter=spec e2e.test.mjs pages.test.mjs reports.test.mjs settings.test.mjs deployments.test.mjs
