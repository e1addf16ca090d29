#!/usr/bin/env bash
# Integration tests of the sample app against its services: calculator results are stored in
# PostgreSQL (the `results` table of migrations/) and cached in Redis. Needs DATABASE_URL
# (postgres://USER:PASSWORD@HOST:PORT/DB, migrations applied) and REDIS_URL
# (redis://HOST:PORT); fails loudly when either is missing or unreachable.
set -euo pipefail
cd "$(dirname "$0")"
fail() {
  echo "integration-test: FAIL: $*" >&2
  exit 1
}
[[ -n ${DATABASE_URL:-} ]] || fail "DATABASE_URL is not set (postgres://USER:PASSWORD@HOST:PORT/DB)"
[[ -n ${REDIS_URL:-} ]] || fail "REDIS_URL is not set (redis://HOST:PORT)"
command -v psql >/dev/null || fail "psql not found (Debian package postgresql-client)"
command -v redis-cli >/dev/null || fail "redis-cli not found (Debian package redis-tools)"

sql() { psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qtAX -c "$1"; }
# redis-cli exits 0 on some errors: an error reply or a failed connection is a failure here.
redis() {
  local out
  out=$(redis-cli -u "$REDIS_URL" "$@" 2>&1) || fail "redis-cli $1: $out"
  [[ $out != ERR* && $out != WRONGTYPE* && $out != *"Could not connect"* ]] || fail "redis-cli $1: $out"
  printf '%s\n' "$out"
}

sql 'SELECT 1' >/dev/null || fail "PostgreSQL at DATABASE_URL does not answer"
[[ $(redis PING) == PONG ]] || fail "Redis at REDIS_URL does not answer PING"

# The migrations ran: the schema exists and the seeded rows come first.
seeded=$(sql 'SELECT op || $$=$$ || value FROM results ORDER BY id LIMIT 2' | paste -sd' ')
echo "postgres: seeded rows: $seeded"
[[ $seeded == "add=5 mul=42" ]] || fail "expected the seeded rows 'add=5 mul=42' (did the migrations run?)"

pass=0
check() { # op a b: computes, stores the result in PostgreSQL and caches it in Redis
  local value id stored cached
  value=$(./calc.sh "$1" "$2" "$3")
  id=$(sql "INSERT INTO results (op, value) VALUES ('$1', $value) RETURNING id")
  stored=$(sql "SELECT value FROM results WHERE id = $id")
  [[ $stored == "$value" ]] || fail "postgres: row $id holds '$stored', expected $value"
  [[ $(redis SET "calc:$1:$2:$3" "$value") == OK ]] || fail "redis: SET calc:$1:$2:$3 failed"
  cached=$(redis GET "calc:$1:$2:$3")
  [[ $cached == "$value" ]] || fail "redis: GET calc:$1:$2:$3 gave '$cached', expected $value"
  echo "$1 $2 $3 = $value: stored as row $id, cached"
  pass=$((pass + 1))
}
check add 2 3
check sub 7 10
check mul 6 7

rows=$(sql "SELECT count(*) FROM results WHERE op IN ('add', 'sub', 'mul')")
runs=$(redis INCR app:integration-runs)
[[ $runs =~ ^[0-9]+$ ]] || fail "redis: INCR app:integration-runs gave '$runs'"
echo "postgres: $rows rows in results; redis: integration run #$runs"
echo "integration: $pass passed against PostgreSQL and Redis"
