#!/usr/bin/env bash
# Benchmark of the terminal clients against one HTTPS `gantry server` (docs/cli.md, docs/gh.md):
#  1. `gantry run list` and `gh run list` (Debian's gh, the same 20 runs through /api/v3), each
#     a new process per call, next to `curl` fetching the same page once (the floor: one
#     process, one TLS handshake, one request);
#  2. watch latency: the run's last step ending (a millisecond stamp it writes as its last
#     command; the API's times have whole seconds) → the watcher's exit, for `gantry run watch`
#     (the server's event stream) and `gh run watch` (polls every 3 s).
# Usage: bench/client.sh [BUILD_DIR] [CALLS=30] [WATCHES=5]
set -euo pipefail
BUILD=${1:-build}
CALLS=${2:-30}
WATCHES=${3:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
[[ -x $G ]] || { echo "client: $G not built" >&2; exit 1; }
command -v gh >/dev/null || { echo "client: skipped (needs gh: scripts/install-deps.sh)"; exit 0; }

D=$(mktemp -d /tmp/gantry-bench-client.XXXXXX)
pid=""
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$D"
}
trap cleanup EXIT

"$ROOT/scripts/dev-cert.sh" "$D/certs" >/dev/null
"$G" server --listen 127.0.0.1:0 --data-dir "$D/data" --tls-cert "$D/certs/server.pem" \
  --tls-key "$D/certs/server-key.pem" >"$D/server.log" 2>&1 &
pid=$!
url=""
for _ in $(seq 1 500); do
  url=$(sed -n 's/.*gantry server listening on //p' "$D/server.log" | tail -1)
  [[ -n $url ]] && break
  sleep 0.02
done
[[ -n $url ]] || { cat "$D/server.log" >&2; exit 1; }
host=${url#https://}

export SSL_CERT_FILE="$D/certs/ca.pem" GANTRY_CONFIG_DIR="$D/cfg" GH_CONFIG_DIR="$D/gh"
export GH_PROMPT_DISABLED=1 GH_NO_UPDATE_NOTIFIER=1 NO_COLOR=1 GH_HOST="$host"
export GANTRY_URL="$url" GANTRY_PROJECT=bench/shop
echo 'correct horse battery' | "$G" auth signup -u bench --email b@x.org >/dev/null
GANTRY_TOKEN=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["hosts"][sys.argv[2]]["token"])' \
  "$D/cfg/hosts.yml" "$url")
export GANTRY_TOKEN GH_ENTERPRISE_TOKEN="$GANTRY_TOKEN"

git init -q -b main "$D/repo"
mkdir -p "$D/repo/.github/workflows"
cat >"$D/repo/.github/workflows/ci.yml" <<EOF
name: CI
on: [push, workflow_dispatch]
jobs:
  build:
    runs-on: self-hosted
    steps:
      - run: echo building
  test:
    needs: build
    runs-on: self-hosted
    steps:
      - run: sleep 1; date +%s%3N > $D/done.\${{ github.run_id }}
EOF
git -C "$D/repo" add -A
git -C "$D/repo" -c user.name=b -c user.email=b@x.org commit -qm initial
"$G" project add bench/shop --repo "$D/repo" >/dev/null

api() { curl -sf --cacert "$D/certs/ca.pem" -H "Authorization: Bearer $GANTRY_TOKEN" "$@"; }
run_id() { sed -n 's/.*: run \([0-9]*\).*/\1/p'; }
wait_done() {
  for _ in $(seq 1 600); do
    [[ $(api "$url/api/v1/runs/$1" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])') == completed ]] && return 0
    sleep 0.1
  done
  return 1
}
last=""
for _ in $(seq 1 20); do last=$("$G" workflow run ci.yml | run_id); done
wait_done "$last"

# median_ms CMD...: the median wall time of CALLS runs of CMD (output discarded).
median_ms() {
  python3 - "$CALLS" "$@" <<'EOF'
import statistics, subprocess, sys, time
n, cmd = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times.append((time.perf_counter() - t) * 1000)
print("%.1f" % statistics.median(times))
EOF
}
g_list=$(median_ms "$G" run list -L 20)
h_list=$(median_ms gh run list -L 20 -R "$host/bench/shop")
c_list=$(median_ms curl -sf --cacert "$D/certs/ca.pem" -H "Authorization: Bearer $GANTRY_TOKEN" \
  "$url/api/v1/projects/bench/shop/runs?limit=20")
echo "run list, 20 runs, median of $CALLS calls (a new process each):"
printf '  gantry run list %6.1f ms   gh run list %6.1f ms   curl (1 request) %6.1f ms\n' \
  "$g_list" "$h_list" "$c_list"
printf '  gantry / curl %.2fx   gh / gantry %.2fx\n' \
  "$(awk -v a="$g_list" -v b="$c_list" 'BEGIN { print a / b }')" \
  "$(awk -v a="$h_list" -v b="$g_list" 'BEGIN { print a / b }')"

# watch latency: both watchers follow the same run; each one's exit time minus completed_at.
watch_lat=$(for _ in $(seq 1 "$WATCHES"); do
  id=$("$G" workflow run ci.yml | run_id)
  ( "$G" run watch "$id" >/dev/null 2>&1; date +%s%3N >"$D/g.$id" ) &
  g=$!
  ( gh run watch "$id" -R "$host/bench/shop" >/dev/null 2>&1; date +%s%3N >"$D/h.$id" ) &
  h=$!
  wait "$g" "$h"
  done_ms=$(cat "$D/done.$id")
  echo "$(($(cat "$D/g.$id") - done_ms)) $(($(cat "$D/h.$id") - done_ms))"
done)
echo "watch: the last step ended -> the watcher exited, median of $WATCHES runs:"
echo "$watch_lat" | python3 -c '
import statistics, sys
rows = [tuple(map(int, l.split())) for l in sys.stdin if l.strip()]
g = statistics.median(r[0] for r in rows)
h = statistics.median(r[1] for r in rows)
print("  gantry run watch %.0f ms   gh run watch %.0f ms   (gh / gantry %.0fx)" % (g, h, h / max(g, 1)))'
