#!/usr/bin/env bash
# Starts (or reuses) a private PostgreSQL for Gantry's tests and creates a database in it.
# Only the machine's PostgreSQL binaries are needed (Debian's postgresql package, see
# scripts/install-deps.sh); the cluster lives in a state dir and listens on 127.0.0.1 only.
#
#   scripts/pg-up.sh [DBNAME]   # progress on stderr, then on stdout exactly
#                               #   postgres://postgres@127.0.0.1:<port>/<DBNAME>
#
# DBNAME (default gantry) is created when missing. fsync is off: for tests only.
# Environment:
#   GANTRY_PG_PORT   port (default 55432)
#   GANTRY_PG_DIR    state dir (data, socket, log); default /tmp/gantry-pg-<port>
#   GANTRY_PG_BIN    directory of initdb/pg_ctl/postgres (default: the newest
#                    /usr/lib/postgresql/*/bin, else PATH)
# Exit codes: 0 ready; 3 PostgreSQL is not installed or cannot run here (the reason is
# printed); any other non-zero: a real failure. scripts/pg-down.sh stops it.
set -euo pipefail

DB=${1:-gantry}
PORT=${GANTRY_PG_PORT:-55432}
DIR=${GANTRY_PG_DIR:-/tmp/gantry-pg-$PORT}
TOOL=pg-up
# shellcheck source-path=SCRIPTDIR source=engine-lib.sh
. "$(dirname "$0")/engine-lib.sh"

[[ $DB =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "database name '$DB': use letters, digits and _"

BIN=${GANTRY_PG_BIN:-}
if [[ -z $BIN ]]; then
  BIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  [[ -n $BIN ]] || BIN=$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)")
fi
for tool in initdb pg_ctl postgres; do
  [[ -x $BIN/$tool ]] || unavailable "$tool not found in '$BIN' (install postgresql, e.g. scripts/install-deps.sh)"
done
command -v psql >/dev/null || unavailable "psql not found (install postgresql-client)"

# postgres refuses to run as root: the cluster belongs to the postgres user then.
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || unavailable "running as root and there is no postgres user"
  as_pg=(runuser -u postgres --)
fi
pg() { "${as_pg[@]}" "$@"; }
answers() { psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atqc "SELECT 1" >/dev/null 2>&1; }

mkdir -p "$DIR"
((${#as_pg[@]})) && chown postgres: "$DIR"
chmod 700 "$DIR"
# One pg-up/pg-down at a time per dir (test binaries run in parallel share the server).
exec 9>>"$DIR/lock"
flock -w 300 9 || die "another pg-up.sh/pg-down.sh holds $DIR/lock for 5 min"

if answers; then
  log "reusing the PostgreSQL on 127.0.0.1:$PORT"
else
  if [[ ! -f $DIR/data/PG_VERSION ]]; then
    log "initdb in $DIR/data"
    rm -rf "$DIR/data"
    pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
      >"$DIR/initdb.log" 2>&1 || {
      tail -n 5 "$DIR/initdb.log" >&2
      die "initdb failed (log: $DIR/initdb.log)"
    }
  fi
  log "starting PostgreSQL on 127.0.0.1:$PORT"
  # A stale postmaster.pid from a killed server would block the start.
  if [[ -f $DIR/data/postmaster.pid ]] && ! pg "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    rm -f "$DIR/data/postmaster.pid"
  fi
  # 9>&-: the server must not inherit (and hold) the lock.
  pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 30 start 9>&- \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c max_connections=200" \
    >/dev/null || {
    tail -n 5 "$DIR/server.log" >&2 || true
    die "PostgreSQL did not start (log: $DIR/server.log)"
  }
  answers || die "PostgreSQL started but does not answer on 127.0.0.1:$PORT"
fi

if [[ -z $(psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atqc \
  "SELECT 1 FROM pg_database WHERE datname = '$DB'") ]]; then
  psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc "CREATE DATABASE $DB" >/dev/null ||
    die "cannot create the database $DB"
fi
echo "postgres://postgres@127.0.0.1:$PORT/$DB"
