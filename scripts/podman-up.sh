#!/usr/bin/env bash
# Starts (or reuses) a private podman Docker-compatible API service for Gantry's container
# tests and loads into it the images they use, copied from the private dockerd of
# scripts/docker-up.sh (`docker save | podman load`): nothing is pulled.
#
#   scripts/podman-up.sh            # prints progress on stderr, then on stdout exactly
#                                   #   DOCKER_HOST=unix://<dir>/podman.sock
#   eval "export $(scripts/podman-up.sh)"
#
# Environment:
#   GANTRY_PODMAN_DIR     state dir (socket, storage root, runroot, config, log); default
#                         /var/tmp/gantry-podman. Storage persists; scripts/podman-down.sh stops.
#   GANTRY_PODMAN_SUBNET  subnet of podman's default network (default 10.214.0.0/24)
#   GANTRY_PODMAN_IMAGES  images to copy from the dockerd (default "debian:bookworm
#                         debian:bookworm-slim postgres:15 redis:7"; "" = service only)
#   GANTRY_DOCKER_DIR     passed on to scripts/docker-up.sh (the engine the images come from)
# Exit codes: 0 ready; 3 podman (or the dockerd the images come from) cannot be installed or
# started here (the reason is printed; tests map it to "skipped"); other non-zero: a failure.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${GANTRY_PODMAN_DIR:-/var/tmp/gantry-podman}
SOCK="$DIR/podman.sock"
SUBNET=${GANTRY_PODMAN_SUBNET:-10.214.0.0/24}
IMAGES=${GANTRY_PODMAN_IMAGES-debian:bookworm debian:bookworm-slim postgres:15 redis:7}
DOCKER=/usr/bin/docker

TOOL=podman-up
# shellcheck source-path=SCRIPTDIR source=engine-lib.sh
. "$ROOT/scripts/engine-lib.sh"
need_root "podman's service runs as root here"

# --- packages ---------------------------------------------------------------------------
# dnsname: the CNI plugin that resolves container names and network aliases on user networks.
install_packages podman golang-github-containernetworking-plugin-dnsname
command -v podman >/dev/null || unavailable "podman missing after installing it"
command -v runc >/dev/null || unavailable "runc is missing (podman here needs runc; crun fails on this cgroup layout)"

# --- the service ------------------------------------------------------------------------
((${#SOCK} < 108)) || die "socket path $SOCK is longer than 107 bytes; use a shorter GANTRY_PODMAN_DIR"
root mkdir -p "$DIR/cni" "$DIR/tmp"
lock_state_dir podman

# runc: crun fails on this machine's cgroup layout. cgroupfs and file events: no systemd.
# The ulimits: podman's defaults (from the service's own limits) break some images' daemons.
# A private CNI config dir and subnet keep this engine's networks apart from any other podman.
conf=$(
  cat <<EOF
# Written by scripts/podman-up.sh.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "cni"
network_config_dir = "$DIR/cni"
default_subnet = "$SUBNET"
EOF
)
storage=$(
  cat <<EOF
# Written by scripts/podman-up.sh.
[storage]
driver = "overlay"
graphroot = "$DIR/storage"
runroot = "$DIR/run"
EOF
)
[[ -f $DIR/containers.conf && $(cat "$DIR/containers.conf") == "$conf" ]] ||
  printf '%s\n' "$conf" | root tee "$DIR/containers.conf" >/dev/null
[[ -f $DIR/storage.conf && $(cat "$DIR/storage.conf") == "$storage" ]] ||
  printf '%s\n' "$storage" | root tee "$DIR/storage.conf" >/dev/null
export CONTAINERS_CONF="$DIR/containers.conf" CONTAINERS_STORAGE_CONF="$DIR/storage.conf"
PODMAN=(podman --remote --url "unix://$SOCK")
answers() { timeout 5 curl -sf --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; }

pid=""
[[ -f $DIR/podman.pid ]] && pid=$(cat "$DIR/podman.pid" 2>/dev/null || true)
if [[ -n $pid ]] && root kill -0 "$pid" 2>/dev/null && answers; then
  log "reusing podman service (pid $pid) on $SOCK"
else
  if [[ -n $pid ]] && root kill -0 "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do
      answers && break
      sleep 0.2
    done
    answers || die "podman service (pid $pid, $DIR) runs but does not answer on $SOCK; run scripts/podman-down.sh"
    log "reusing podman service (pid $pid) on $SOCK"
  else
    root rm -f "$DIR/podman.pid" "$SOCK"
    net=$(python3 -c 'import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1]))' "$SUBNET" 2>/dev/null) ||
      die "GANTRY_PODMAN_SUBNET '$SUBNET' is not a network like 10.214.0.0/24"
    used=$(ip -o route show "$net" | grep -v cni-podman || true)
    [[ -z $used ]] || die "subnet $net is already routed ($used); set GANTRY_PODMAN_SUBNET"
    log "starting podman system service in $DIR"
    # setsid: the service outlives this script; 9<&-: it must not hold the lock. --time=0:
    # it never exits on idleness. The sh writes the service's own pid (sudo's would differ).
    # shellcheck disable=SC2016  # expanded by that sh
    "${as_root[@]}" env CONTAINERS_CONF="$CONTAINERS_CONF" \
      CONTAINERS_STORAGE_CONF="$CONTAINERS_STORAGE_CONF" setsid sh -c \
      'echo $$ >"$1/podman.pid"; exec podman --root "$1/storage" --runroot "$1/run" \
        --tmpdir "$1/tmp" system service --time=0 "unix://$1/podman.sock"' sh "$DIR" \
      </dev/null >>"$DIR/podman.log" 2>&1 9<&- &
    await_engine $! "podman system service" "$DIR/podman.log"
    log "podman service ready (pid $(cat "$DIR/podman.pid"))"
  fi
fi

# --- images, from the private dockerd ---------------------------------------------------
if [[ -n $IMAGES ]]; then
  rc=0
  up=$(GANTRY_DOCKER_IMAGES="debian postgres redis" "$ROOT/scripts/docker-up.sh") || rc=$?
  ((rc != 3)) || unavailable "the images come from the dockerd of scripts/docker-up.sh, which cannot run here"
  ((rc == 0)) || die "scripts/docker-up.sh exited with $rc"
  docker_host=$(printf '%s\n' "$up" | tail -n 1)
  export DOCKER_HOST=${docker_host#DOCKER_HOST=}
  # The image id is the digest of its config: equal ids = the same image, nothing to copy.
  load=()
  for image in $IMAGES; do
    want=$("$DOCKER" image inspect -f '{{.Id}}' "$image" 2>/dev/null) ||
      die "image $image is not in the dockerd at $DOCKER_HOST"
    have=$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
    if [[ ${want#sha256:} == "${have#sha256:}" ]]; then
      log "$image cached"
    else
      load+=("$image")
    fi
  done
  if ((${#load[@]})); then
    log "copying ${load[*]} from dockerd"
    t0=$SECONDS
    # podman stores docker's short names as localhost/NAME; lookups by the short name find it.
    "$DOCKER" save "${load[@]}" | "${PODMAN[@]}" load >/dev/null ||
      die "docker save | podman load of ${load[*]} failed"
    log "copied in $((SECONDS - t0)) s"
    # Images replaced by a newer copy are left untagged.
    "${PODMAN[@]}" image prune -f >/dev/null || log "warning: image prune failed"
  fi
fi

echo "DOCKER_HOST=unix://$SOCK"
