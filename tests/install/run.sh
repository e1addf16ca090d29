#!/usr/bin/env bash
# The install kit (deploy/systemd, make install) against the built gantry; see CMakeLists.txt.
# Usage: GANTRY_BIN=build/gantry [GANTRY_BUILD_DIR=build] tests/install/run.sh
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
GANTRY_BIN=${GANTRY_BIN:-$SRC/build/gantry}
GANTRY_BIN=$(cd "$(dirname "$GANTRY_BIN")" && pwd)/$(basename "$GANTRY_BIN")
GANTRY_BUILD_DIR=${GANTRY_BUILD_DIR:-$(dirname "$GANTRY_BIN")}
KIT=$SRC/deploy/systemd
EXAMPLE=$KIT/server.yaml.example
TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# 1. server.yaml.example has a key for every flag of `gantry server --help`, and no other.
flags=$("$GANTRY_BIN" server --help | sed -n 's/^ *--\([a-z0-9-]*\).*/\1/p' | grep -v -x -e help -e config)
keys=$(sed -n 's/^\([a-z0-9-]*\):.*/\1/p' "$EXAMPLE")
[ -n "$flags" ] || fail "no flags found in 'gantry server --help'"
for f in $flags; do
  grep -q -x -- "$f" <<<"$keys" || fail "server.yaml.example has no key '$f' (gantry server --$f)"
done
for k in $keys; do
  grep -q -x -- "$k" <<<"$flags" || fail "server.yaml.example's key '$k' is no flag of gantry server"
done
[ "$failures" -eq 0 ] && pass "server.yaml.example names all $(wc -w <<<"$flags") server settings"

# 2. executor.env.example names every variable of `gantry executor run --help`.
vars=$("$GANTRY_BIN" executor run --help | grep -o 'Env:GANTRY_[A-Z_]*' | cut -d: -f2 | sort -u)
for v in $vars; do
  grep -q "^#\?$v=" "$KIT/executor.env.example" || fail "executor.env.example has no $v"
done
pass "executor.env.example names $(wc -w <<<"$vars") executor variables"

# 3. The example starts a server (flags win over its listen and data-dir) that answers /health,
#    and SIGTERM stops it with status 0.
mkdir "$TMP/data"
: >"$TMP/server.log" # exists before the background shell opens it, for the sed below
"$GANTRY_BIN" server --config "$EXAMPLE" --listen 127.0.0.1:0 --data-dir "$TMP/data" \
  2>"$TMP/server.log" &
SERVER_PID=$!
url=
for _ in $(seq 1 300); do
  url=$(sed -n 's/^gantry server listening on \(http[^ ]*\)$/\1/p' "$TMP/server.log" || true)
  [ -n "$url" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  fail "gantry server --config server.yaml.example did not start:"
  cat "$TMP/server.log" >&2
else
  code=$(curl -s -o "$TMP/health" -w '%{http_code}' "$url/health" || true)
  if [ "$code" = 200 ]; then pass "server from server.yaml.example: $url/health 200"
  else fail "$url/health answered $code: $(cat "$TMP/health" 2>/dev/null)"; fi
  [ -f "$TMP/data/server.key" ] || fail "--data-dir did not win over the file's data-dir"
  kill -TERM "$SERVER_PID"
  rc=0
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=
  if [ "$rc" = 0 ]; then pass "SIGTERM: exit status 0"; else fail "SIGTERM: exit status $rc"; fi
fi

# 4. The errors docs/install.md quotes: an unknown key, a file that is not a mapping.
printf 'listen: 127.0.0.1:0\nlisten-port: 8080\n' >"$TMP/unknown.yaml"
rc=0
"$GANTRY_BIN" server --config "$TMP/unknown.yaml" --data-dir "$TMP/data" 2>"$TMP/err" || rc=$?
if [ "$rc" = 2 ] && grep -q "unknown.yaml:2: unknown setting 'listen-port'" "$TMP/err"; then
  pass "unknown key: exit 2, $(cat "$TMP/err")"
else
  fail "unknown key: exit $rc, $(cat "$TMP/err")"
fi

# A key given twice, and a list as a value: exit 2 naming the line.
printf 'listen: 127.0.0.1:0\nsignup: open\nlisten: 127.0.0.1:1\n' >"$TMP/twice.yaml"
rc=0
"$GANTRY_BIN" server --config "$TMP/twice.yaml" --data-dir "$TMP/data" 2>"$TMP/err" || rc=$?
if [ "$rc" = 2 ] && grep -q "twice.yaml:3: 'listen' is set twice" "$TMP/err"; then
  pass "a key twice: exit 2, $(cat "$TMP/err")"
else
  fail "a key twice: exit $rc, $(cat "$TMP/err")"
fi
printf 'requeue-labels: [spot, gpu]\n' >"$TMP/list.yaml"
rc=0
"$GANTRY_BIN" server --config "$TMP/list.yaml" --data-dir "$TMP/data" 2>"$TMP/err" || rc=$?
if [ "$rc" = 2 ] && grep -q "list.yaml:1: requeue-labels: expected a single value" "$TMP/err"; then
  pass "a list: exit 2, $(cat "$TMP/err")"
else
  fail "a list: exit $rc, $(cat "$TMP/err")"
fi
# An empty value leaves the default and an empty variable sets nothing: the file's listen
# applies (a server that starts and prints it).
printf '# only a comment\nweb-dir:\nlisten: 127.0.0.1:0\n' >"$TMP/empty.yaml"
GANTRY_LISTEN= "$GANTRY_BIN" server --config "$TMP/empty.yaml" --data-dir "$TMP/data2" \
  >"$TMP/empty.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 500); do
  grep -q "listening on" "$TMP/empty.log" && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.02
done
if grep -q "listening on http://127.0.0.1:" "$TMP/empty.log" && ! grep -q ":8080" "$TMP/empty.log" &&
  ! grep -q "null" "$TMP/empty.log"; then
  pass "empty value and empty variable: defaults and the file's listen"
else
  fail "empty value and empty variable: $(cat "$TMP/empty.log")"
fi
kill -TERM "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

# 5. systemd-analyze verify, with ExecStart pointing at this build (it checks the binary exists).
if command -v systemd-analyze >/dev/null; then
  mkdir "$TMP/units"
  for u in gantry-server.service gantry-executor.service; do
    sed "s#/usr/bin/gantry#$GANTRY_BIN#g" "$KIT/$u" >"$TMP/units/$u"
  done
  sed "s#/usr/bin/gantry#$GANTRY_BIN#g" "$KIT/gantry-executor@.service" \
    >"$TMP/units/gantry-executor@test.service"
  rc=0
  (cd "$TMP/units" && systemd-analyze verify ./*.service) >"$TMP/verify" 2>&1 || rc=$?
  # It exits 0 on unknown keys and bad values too; only its silence is a pass.
  if [ "$rc" = 0 ] && ! grep -v '^+' "$TMP/verify" | grep -q 'gantry-'; then
    pass "systemd-analyze verify: the three units"
  else
    fail "systemd-analyze verify (exit $rc):"
    cat "$TMP/verify" >&2
  fi
else
  echo "skip: systemd-analyze is not installed"
fi

# 6. make install / uninstall with DESTDIR.
if command -v make >/dev/null; then
  D=$TMP/destdir
  if make -s -C "$SRC" install DESTDIR="$D" PREFIX=/usr GANTRY="$GANTRY_BIN" \
    BUILD="$GANTRY_BUILD_DIR" >"$TMP/install.log" 2>&1; then
    for f in usr/bin/gantry usr/lib/systemd/system/gantry-server.service \
      usr/lib/systemd/system/gantry-executor.service \
      usr/lib/systemd/system/gantry-executor@.service \
      usr/share/gantry/systemd/server.yaml.example usr/share/gantry/systemd/server.env.example \
      usr/share/gantry/systemd/executor.env.example; do
      [ -e "$D/$f" ] || fail "make install did not install /$f"
    done
    [ -x "$D/usr/bin/gantry" ] || fail "make install: /usr/bin/gantry is not executable"
    if [ -f "$SRC/web/dist/index.html" ] && [ ! -f "$D/usr/share/gantry/web/index.html" ]; then
      fail "make install did not install the web UI"
    fi
    grep -q '^ExecStart=/usr/bin/gantry server --config /etc/gantry/server.yaml$' \
      "$D/usr/lib/systemd/system/gantry-server.service" || fail "installed unit's ExecStart"
    make -s -C "$SRC" uninstall DESTDIR="$D" PREFIX=/usr >>"$TMP/install.log" 2>&1 ||
      fail "make uninstall failed"
    left=$(find "$D" -type f)
    [ -z "$left" ] || fail "make uninstall left: $left"
    pass "make install DESTDIR=… PREFIX=/usr, then uninstall"
  else
    fail "make install failed:"
    cat "$TMP/install.log" >&2
  fi
else
  echo "skip: make is not installed"
fi

if [ "$failures" -ne 0 ]; then
  echo "install kit: $failures failure(s)" >&2
  exit 1
fi
echo "install kit: all checks passed"
