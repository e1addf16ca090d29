#!/usr/bin/env bash
# Stops the private PostgreSQL started by scripts/pg-up.sh. With --purge, also deletes its
# state dir (the cluster and every database in it).
#   scripts/pg-down.sh [--purge]
# Environment: GANTRY_PG_PORT, GANTRY_PG_DIR, GANTRY_PG_BIN as for pg-up.sh.
set -euo pipefail

PORT=${GANTRY_PG_PORT:-55432}
DIR=${GANTRY_PG_DIR:-/tmp/gantry-pg-$PORT}
purge=""
case ${1:-} in
  "") ;;
  --purge) purge=1 ;;
  *)
    echo "usage: $0 [--purge]" >&2
    exit 2
    ;;
esac
TOOL=pg-down
# shellcheck source-path=SCRIPTDIR source=engine-lib.sh
. "$(dirname "$0")/engine-lib.sh"

[[ -d $DIR ]] || {
  log "nothing to do: no $DIR"
  exit 0
}
BIN=${GANTRY_PG_BIN:-}
if [[ -z $BIN ]]; then
  BIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  [[ -n $BIN ]] || BIN=$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)")
fi
as_pg=()
[[ $(id -u) -eq 0 ]] && as_pg=(runuser -u postgres --)

exec 9>>"$DIR/lock"
flock -w 300 9 || die "another pg-up.sh/pg-down.sh holds $DIR/lock for 5 min"
if [[ -f $DIR/data/postmaster.pid ]]; then
  log "stopping PostgreSQL ($DIR/data)"
  "${as_pg[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 60 stop >/dev/null 9>&- ||
    die "pg_ctl stop failed"
fi
if [[ -n $purge ]]; then
  log "deleting $DIR"
  rm -rf "$DIR"
fi
