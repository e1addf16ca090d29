#!/usr/bin/env bash
# Stops the private podman API service started by scripts/podman-up.sh: stops its containers
# (podman's containers do not die with the service), then SIGTERM to the service. The storage
# (image cache) stays for the next podman-up.sh unless --purge is given, which also deletes
# GANTRY_PODMAN_DIR entirely.
#   scripts/podman-down.sh [--purge]
set -euo pipefail

DIR=${GANTRY_PODMAN_DIR:-/var/tmp/gantry-podman}
SOCK="$DIR/podman.sock"
purge=""
case ${1:-} in
  "") ;;
  --purge) purge=1 ;;
  *)
    echo "usage: $0 [--purge]" >&2
    exit 2
    ;;
esac

TOOL=podman-down
# shellcheck source-path=SCRIPTDIR source=engine-lib.sh
. "$(dirname "$0")/engine-lib.sh"
[[ $(id -u) -eq 0 ]] || as_root=(sudo -n)

[[ -d $DIR ]] || {
  log "nothing to do: no $DIR"
  exit 0
}
lock_state_dir podman
export CONTAINERS_CONF="$DIR/containers.conf" CONTAINERS_STORAGE_CONF="$DIR/storage.conf"
pid=""
[[ -f $DIR/podman.pid ]] && pid=$(cat "$DIR/podman.pid" 2>/dev/null || true)
if [[ -n $pid ]] && root kill -0 "$pid" 2>/dev/null; then
  # Only a service whose socket is ours: never signal a recycled pid.
  if ! root tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "system service --time=0 unix://$SOCK"; then
    log "error: pid $pid in $DIR/podman.pid is not this podman service; not stopping it"
    exit 1
  fi
  if [[ -S $SOCK ]]; then
    log "stopping the containers"
    timeout 120 podman --remote --url "unix://$SOCK" stop --all --time 10 >/dev/null 2>&1 ||
      log "warning: could not stop every container"
  fi
  log "stopping the podman service (pid $pid)"
  root kill -TERM "$pid"
  for _ in $(seq 1 300); do
    root kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if root kill -0 "$pid" 2>/dev/null; then
    log "error: podman service (pid $pid) still running after 30 s (log: $DIR/podman.log)"
    exit 1
  fi
  log "stopped"
else
  log "no podman service running for $DIR"
fi
root rm -f "$DIR/podman.pid" "$SOCK"
if [[ -n $purge ]]; then
  log "purging $DIR"
  # Left-over overlay and shm mounts under the storage root would make rm fail.
  { grep -o " $DIR/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do
    root umount "$m" || true
  done
  root rm -rf "$DIR" || {
    log "error: could not delete $DIR (a mount still in use? see /proc/mounts)"
    exit 1
  }
fi
