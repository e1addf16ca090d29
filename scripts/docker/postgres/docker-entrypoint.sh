#!/usr/bin/env bash
# Entrypoint of the local postgres:15 image; behaves like the official image's for the
# usual uses. First start: initdb into $PGDATA with POSTGRES_USER/POSTGRES_PASSWORD,
# create POSTGRES_DB, run /docker-entrypoint-initdb.d; then exec postgres on 0.0.0.0:5432.
set -Eeuo pipefail

log() { echo "postgres-entrypoint: $*" >&2; }

# `docker run postgres:15 -c fsync=off` passes server flags.
if [[ ${1:-} == -* ]]; then set -- postgres "$@"; fi

# VAR_FILE=path supplies VAR from a file (Docker secrets), as in the official image.
file_env() {
  local var=$1 file_var="${1}_FILE"
  if [[ -n ${!var:-} && -n ${!file_var:-} ]]; then
    log "both $var and $file_var are set; use one"
    exit 1
  fi
  if [[ -n ${!file_var:-} ]]; then
    export "$var"="$(<"${!file_var}")"
  fi
}

if [[ ${1:-} != postgres ]]; then exec "$@"; fi
# `postgres --version` and friends only print: no initialisation.
for arg; do
  case $arg in
    -'?' | --help | -V | --version | -C | --describe-config) exec "$@" ;;
  esac
done

if [[ $(id -u) == 0 ]]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

file_env POSTGRES_PASSWORD
file_env POSTGRES_USER
file_env POSTGRES_DB
file_env POSTGRES_INITDB_ARGS
export POSTGRES_USER=${POSTGRES_USER:-postgres}
export POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}

if [[ ! -s $PGDATA/PG_VERSION ]]; then
  if [[ -z ${POSTGRES_PASSWORD:-} && $auth != trust ]]; then
    log "error: database is uninitialized and POSTGRES_PASSWORD is not set;" \
      "set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust to allow all connections without one)"
    exit 1
  fi
  log "initialising $PGDATA for user $POSTGRES_USER"
  pwfile=()
  if [[ -n ${POSTGRES_PASSWORD:-} ]]; then
    # A private file, not <(...): a container may have no /dev/fd.
    pw=$(umask 077 && mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pw"
    pwfile=(--pwfile="$pw")
  fi
  # --no-sync: a container's fresh cluster is disposable until the server runs; saves ~4 s.
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of flags
  initdb --username="$POSTGRES_USER" "${pwfile[@]}" --encoding=UTF8 --locale=C.UTF-8 --no-sync \
    --auth-local=trust --auth-host="$auth" ${POSTGRES_INITDB_ARGS:-} -D "$PGDATA" >/dev/null
  [[ -z ${pw:-} ]] || rm -f "$pw"
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

  # A temporary server for POSTGRES_DB and the init scripts, on a private socket only: a
  # healthcheck (`pg_isready`, on the default socket) must not see it and call the service
  # ready while it is about to restart. Init scripts reach it through PGHOST.
  init_socket=$(mktemp -d)
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432 -c unix_socket_directories=$init_socket" \
    -w -t 60 start >/dev/null
  export PGHOST=$init_socket
  psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres)
  if [[ $POSTGRES_DB != postgres ]]; then
    "${psql[@]}" --set db="$POSTGRES_DB" -q <<<'CREATE DATABASE :"db";'
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh)
        log "running $f"
        # shellcheck disable=SC1090  # user-supplied init script
        if [[ -x $f ]]; then "$f"; else . "$f"; fi
        ;;
      *.sql) log "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
      *) [[ -e $f ]] && log "ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  unset PGHOST
  rmdir "$init_socket" 2>/dev/null || true
  log "init done; ready for start up"
fi

exec "$@"
