#!/usr/bin/env bash
# Smoke test of the private Docker engine and the local service images that Gantry's
# container support relies on (scripts/docker-up.sh). Exit 77 (ctest: skipped) when no
# Docker engine can be installed or started on this machine.
# Checks: postgres:15 with POSTGRES_PASSWORD becomes ready and accepts that password (and
# refuses a wrong one) over TCP from a second container on a user network via its alias;
# it refuses to start without a password; redis:7 answers PING on a published 127.0.0.1
# port; a `command:`-style override of redis:7 is honoured; a healthcheck reaches healthy.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DOCKER=/usr/bin/docker
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
pass() { echo "ok: $*" >&2; }

rc=0
up=$("$ROOT/scripts/docker-up.sh") || rc=$?
if ((rc == 3)); then
  echo "SKIP: no Docker engine on this machine (see the docker-up line above)" >&2
  exit 77
fi
((rc == 0)) || fail "scripts/docker-up.sh exited with $rc"
[[ $up == DOCKER_HOST=unix://* ]] || fail "docker-up.sh printed '$up', want DOCKER_HOST=unix://..."
export "${up?}"

id="gantry-smoke-$$"
cleanup() {
  "$DOCKER" rm -f "$id-pg" "$id-redis" "$id-redis2" "$id-nopw" >/dev/null 2>&1 || true
  "$DOCKER" network rm "$id-net" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# wait_for SECONDS CMD...: polls CMD every 0.2 s until it succeeds; CMD exiting 99 means
# "will never succeed" and ends the wait at once.
wait_for() {
  local deadline=$((SECONDS + $1)) rc
  shift
  while true; do
    rc=0
    "$@" >/dev/null 2>&1 || rc=$?
    ((rc != 0)) || return 0
    ((rc != 99 && SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# --- postgres:15 on a user network, reached by its alias ---
"$DOCKER" network create "$id-net" >/dev/null
"$DOCKER" run -d --name "$id-pg" --network "$id-net" --network-alias db \
  -e POSTGRES_PASSWORD=smoke-pw postgres:15 -c fsync=off >/dev/null
pg_ready() {
  [[ $("$DOCKER" inspect -f '{{.State.Running}}' "$id-pg") == true ]] || return 99
  "$DOCKER" exec "$id-pg" pg_isready -h 127.0.0.1 -p 5432 -U postgres
}
if ! wait_for 60 pg_ready; then
  "$DOCKER" logs "$id-pg" >&2 || true
  fail "postgres:15 not ready after 60 s (pg_isready inside)"
fi
pass "postgres:15 ready (pg_isready inside the container)"

psql_from_peer() { # PASSWORD SQL
  "$DOCKER" run --rm --network "$id-net" -e PGPASSWORD="$1" -e PGCONNECT_TIMEOUT=10 postgres:15 \
    psql -h db -U postgres -d postgres -tAc "$2"
}
out=$(psql_from_peer smoke-pw 'SELECT 40 + 2') || fail "psql from a peer container as postgres failed"
[[ $out == 42 ]] || fail "psql from a peer container returned '$out', want 42"
pass "psql over TCP from a second container via alias 'db' with POSTGRES_PASSWORD"
if psql_from_peer wrong-pw 'SELECT 1' >/dev/null 2>&1; then
  fail "postgres:15 accepted a wrong password over TCP"
fi
pass "postgres:15 refuses a wrong password"

if "$DOCKER" run --name "$id-nopw" postgres:15 >/dev/null 2>&1; then
  fail "postgres:15 started without POSTGRES_PASSWORD"
fi
"$DOCKER" logs "$id-nopw" 2>&1 | grep -q POSTGRES_PASSWORD ||
  fail "postgres:15 without a password did not name POSTGRES_PASSWORD"
pass "postgres:15 without POSTGRES_PASSWORD exits with an error naming it"

# --- redis:7 on a published 127.0.0.1 port, with a native healthcheck ---
"$DOCKER" run -d --name "$id-redis" -p 127.0.0.1::6379 \
  --health-cmd 'redis-cli ping' --health-interval 1s --health-timeout 5s --health-retries 30 \
  redis:7 >/dev/null
port=$("$DOCKER" port "$id-redis" 6379/tcp | head -n 1)
port=${port##*:}
[[ $port =~ ^[0-9]+$ ]] || fail "no published port for redis:7 (got '$port')"
redis_ping() { # PORT: prints the first reply line to PING
  local reply
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'PING\r\n' >&3
  IFS= read -r -t 5 reply <&3 || true
  exec 3<&-
  printf '%s' "${reply%$'\r'}"
}
pong() { [[ $(redis_ping "$port") == +PONG ]]; }
wait_for 30 pong || fail "redis:7 on 127.0.0.1:$port did not answer PING with +PONG"
pass "redis:7 answers PING on 127.0.0.1:$port"

healthy() { [[ $("$DOCKER" inspect -f '{{.State.Health.Status}}' "$id-redis") == healthy ]]; }
wait_for 60 healthy ||
  fail "redis:7 healthcheck is '$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$id-redis")', want healthy"
pass "healthcheck reached healthy"

"$DOCKER" run -d --name "$id-redis2" redis:7 redis-server --port 6380 >/dev/null
wait_for 30 "$DOCKER" exec "$id-redis2" redis-cli -p 6380 ping ||
  fail "redis:7 with command 'redis-server --port 6380' does not answer on 6380"
pass "redis:7 command override (redis-server --port 6380)"

echo "docker smoke: all checks passed" >&2
