#!/usr/bin/env bash
# ctest's smoke_local: scripts/smoke.sh against `gantry server` ($GANTRY_BIN) listening on
# 127.0.0.1:0 with a temporary data dir, then stops it. With a built web UI ($GANTRY_WEB_DIR)
# the smoke test checks it is served too.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
bin=${GANTRY_BIN:-$ROOT/build/gantry}
web=${GANTRY_WEB_DIR:-$ROOT/web/dist}
[[ -x $bin ]] || { echo "FAIL: no gantry binary at $bin" >&2; exit 1; }

dir=$(mktemp -d /tmp/gantry-smoke.XXXXXX)
pid=""
cleanup() {
  if [[ -n $pid ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

args=(server --listen 127.0.0.1:0 --data-dir "$dir/data")
smoke_args=()
if [[ -f $web/index.html ]]; then
  args+=(--web-dir "$web")
  smoke_args+=(--web)
fi
"$bin" "${args[@]}" 2>"$dir/server.log" &
pid=$!
url=""
for _ in $(seq 1 200); do
  url=$(sed -n 's/.*gantry server listening on //p' "$dir/server.log" | head -n 1)
  [[ -n $url ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
if [[ -z $url ]]; then
  cat "$dir/server.log" >&2
  echo "FAIL: gantry server printed no 'listening on' line in 10 s" >&2
  exit 1
fi
rc=0
"$ROOT/scripts/smoke.sh" "${smoke_args[@]}" "$url" || rc=$?
if ((rc != 0)); then
  echo "--- server log:" >&2
  tail -n 30 "$dir/server.log" >&2
  exit "$rc"
fi
# The same user again: it exists (409), logs in and lists the patterns.
"$ROOT/scripts/smoke.sh" --user smoke-again --password 'correct horse battery' "$url" >/dev/null
"$ROOT/scripts/smoke.sh" --user smoke-again --password 'correct horse battery' "$url" | tail -n 1
# A failing check exits non-zero: a wrong password for an existing user.
if "$ROOT/scripts/smoke.sh" --user smoke-again --password 'wrong horse battery' "$url" \
  >/dev/null 2>"$dir/wrong.err"; then
  echo "FAIL: scripts/smoke.sh passed with a wrong password" >&2
  exit 1
fi
grep -q 'auth/login as smoke-again answered 401' "$dir/wrong.err" || {
  cat "$dir/wrong.err" >&2
  echo "FAIL: scripts/smoke.sh with a wrong password did not name the failed log-in" >&2
  exit 1
}
echo "smoke_local: ok (a wrong password fails the smoke test: $(cat "$dir/wrong.err"))"
