#!/usr/bin/env bash
# Stops the private Docker engine started by scripts/docker-up.sh (SIGTERM, then waits).
# The data-root (image cache) stays for the next docker-up.sh unless --purge is given,
# which also deletes GANTRY_DOCKER_DIR entirely.
#   scripts/docker-down.sh [--purge]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=docker/env.sh disable=SC1091
. "$ROOT/scripts/docker/env.sh"
purge=""
case ${1:-} in
  "") ;;
  --purge) purge=1 ;;
  *)
    echo "usage: $0 [--purge]" >&2
    exit 2
    ;;
esac

TOOL=docker-down
# shellcheck source-path=SCRIPTDIR source=engine-lib.sh
. "$(dirname "$0")/engine-lib.sh"
[[ $(id -u) -eq 0 ]] || as_root=(sudo -n)

[[ -d $DIR ]] || {
  log "nothing to do: no $DIR"
  exit 0
}
lock_state_dir docker
pid=""
[[ -f $DIR/dockerd.pid ]] && pid=$(cat "$DIR/dockerd.pid" 2>/dev/null || true)
if [[ -n $pid ]] && root kill -0 "$pid" 2>/dev/null; then
  # Only a dockerd whose pid file is ours: never signal a recycled pid.
  if ! root tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--pidfile $DIR/dockerd.pid"; then
    log "error: pid $pid in $DIR/dockerd.pid is not this dockerd; not stopping it"
    exit 1
  fi
  log "stopping dockerd (pid $pid)"
  root kill -TERM "$pid"
  # dockerd stops its containers first (10 s grace each, in parallel); allow 60 s.
  for _ in $(seq 1 600); do
    root kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if root kill -0 "$pid" 2>/dev/null; then
    log "error: dockerd (pid $pid) still running after 60 s (log: $DIR/dockerd.log)"
    exit 1
  fi
  log "stopped"
else
  log "no dockerd running for $DIR"
fi
root rm -f "$DIR/dockerd.pid" "$DIR/docker.sock"
if ip link show "$BRIDGE" >/dev/null 2>&1; then
  root ip link delete "$BRIDGE" || log "warning: could not delete bridge $BRIDGE"
fi
if [[ -n $purge ]]; then
  log "purging $DIR"
  # Left-over overlay mounts under the data-root would make rm fail.
  { grep -o " $DIR/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do
    root umount "$m" || true
  done
  root rm -rf "$DIR" || {
    log "error: could not delete $DIR (a mount still in use? see /proc/mounts)"
    exit 1
  }
fi
