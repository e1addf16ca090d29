#!/usr/bin/env bash
# Starts (or reuses) a private Docker engine for Gantry's container tests and builds the
# local images they use: debian:bookworm (+ bookworm-slim), postgres:15, redis:7 and the
# stand-ins for the images act's Docker conformance cases name (see build_act below).
# No registry is needed: the base image is bootstrapped from the machine's apt sources.
#
#   scripts/docker-up.sh            # prints progress on stderr, then on stdout exactly
#                                   #   DOCKER_HOST=unix://<dir>/docker.sock
#   eval "export $(scripts/docker-up.sh)"
#
# Environment:
#   GANTRY_DOCKER_DIR     state dir (socket, data-root, logs); default /var/tmp/gantry-docker.
#                         The data-root (image cache) persists; scripts/docker-down.sh stops.
#   GANTRY_DOCKER_BRIDGE  bridge device of the default network (default gantry0 for the
#                         default dir, else gd<hash of the dir>)
#   GANTRY_DOCKER_BIP     its address (default 10.213.0.1/24, else 10.213.<20..219>.1/24)
#   GANTRY_APT_SOURCES    apt sources file for the images (default: the machine's
#                         /etc/apt/sources.list.d/debian.sources, else /etc/apt/sources.list)
#   GANTRY_DOCKER_IMAGES  images to build (default "debian postgres redis act"; "" = engine
#                         only; "act" = the stand-ins of the act-docker conformance suite)
# Exit codes: 0 ready; 3 no Docker engine can be installed or started here (the reason is
# printed; tests map it to "skipped"); any other non-zero: a real failure.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=docker/env.sh disable=SC1091
. "$ROOT/scripts/docker/env.sh"
IMAGES=${GANTRY_DOCKER_IMAGES-debian postgres redis act}
# The docker.io client: it has BuildKit built in (a preinstalled /usr/local/bin/docker may not).
DOCKER=/usr/bin/docker
export DOCKER_HOST="unix://$SOCK" DOCKER_BUILDKIT=1

TOOL=docker-up
# shellcheck source-path=SCRIPTDIR source=engine-lib.sh
. "$ROOT/scripts/engine-lib.sh"
need_root "dockerd needs root"

# --- packages ---------------------------------------------------------------------------
install_packages docker.io mmdebstrap
[[ -x $DOCKER ]] || unavailable "$DOCKER missing after installing docker.io"

# --- the engine -------------------------------------------------------------------------
answers() { timeout 5 "$DOCKER" version >/dev/null 2>&1; }

((${#SOCK} < 108)) || die "socket path $SOCK is longer than 107 bytes; use a shorter GANTRY_DOCKER_DIR"
root mkdir -p "$DIR"
# One docker-up/docker-down at a time per dir (parallel test runs share the engine).
lock_state_dir docker
pid=""
[[ -f $DIR/dockerd.pid ]] && pid=$(cat "$DIR/dockerd.pid" 2>/dev/null || true)
if [[ -n $pid ]] && root kill -0 "$pid" 2>/dev/null && answers; then
  log "reusing dockerd (pid $pid) on $SOCK"
else
  if [[ -n $pid ]] && root kill -0 "$pid" 2>/dev/null; then
    # Alive but silent: maybe still starting; give it a moment before declaring it wedged.
    for _ in $(seq 1 50); do
      answers && break
      sleep 0.2
    done
    answers || die "dockerd (pid $pid, $DIR) runs but does not answer on $SOCK; run scripts/docker-down.sh"
    log "reusing dockerd (pid $pid) on $SOCK"
  else
    root rm -f "$DIR/dockerd.pid" "$SOCK"
    # Our own bridge keeps this engine apart from a system Docker on docker0.
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
      net=$(python3 -c 'import ipaddress,sys; print(ipaddress.ip_interface(sys.argv[1]).network)' "$BIP" 2>/dev/null) ||
        die "GANTRY_DOCKER_BIP '$BIP' is not an address/prefix like 10.213.0.1/24"
      used=$(ip -o route show "$net" | head -n 1)
      [[ -z $used ]] || die "subnet $net of bridge $BRIDGE is already routed ($used); set GANTRY_DOCKER_BIP"
      root ip link add "$BRIDGE" type bridge || unavailable "cannot create bridge $BRIDGE"
      root ip addr add "$BIP" dev "$BRIDGE"
    fi
    root ip link set "$BRIDGE" up
    # An empty config file: a host /etc/docker/daemon.json must not leak into this engine.
    [[ -f $DIR/daemon.json ]] || echo '{}' | root tee "$DIR/daemon.json" >/dev/null
    log "starting dockerd in $DIR"
    # setsid: the engine outlives this script and the caller's process group; 9<&-: it must
    # not hold the lock.
    "${as_root[@]}" setsid dockerd --config-file "$DIR/daemon.json" --data-root "$DIR/data" \
      --exec-root "$DIR/exec" -H "unix://$SOCK" --pidfile "$DIR/dockerd.pid" \
      --bridge "$BRIDGE" --containerd-namespace gantry --containerd-plugins-namespace gantry-plugins \
      </dev/null >>"$DIR/dockerd.log" 2>&1 9<&- &
    await_engine $! "dockerd" "$DIR/dockerd.log"
    log "dockerd ready (pid $(cat "$DIR/dockerd.pid"))"
  fi
fi

# A data-root deleted under a running engine (rm -rf of the dir) fails every later build.
[[ -d $DIR/data/image ]] ||
  die "the data-root $DIR/data of the running dockerd is gone; run scripts/docker-down.sh, then this again"

# --- images -----------------------------------------------------------------------------
SOURCES=$(apt_sources_file)
[[ -s $SOURCES ]] || die "no apt sources file at $SOURCES (set GANTRY_APT_SOURCES)"

# The image's label gantry.context holds a hash of what built it; a change rebuilds it.
label_of() {
  "$DOCKER" image inspect -f '{{index .Config.Labels "gantry.context"}}' "$1" 2>/dev/null || true
}

# shellcheck disable=SC2054  # the commas are in the values
MMDEBSTRAP_ARGS=(
  --variant=minbase --include=apt,bash,coreutils,ca-certificates
  # Slim like the official *-slim images: no manuals, docs or translations.
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias'
)

debian_done=""
build_debian() {
  [[ -z $debian_done ]] || return 0
  debian_done=1
  local hash
  hash=$({ printf '%s\n' "${MMDEBSTRAP_ARGS[@]}"; cat "$SOURCES"; } | sha256sum | cut -c1-16)
  if [[ $(label_of debian:bookworm) == "$hash" ]]; then
    log "debian:bookworm cached"
  else
    log "bootstrapping debian:bookworm with mmdebstrap"
    local tmp t0=$SECONDS
    tmp=$(mktemp -d /var/tmp/gantry-rootfs.XXXXXX)
    # shellcheck disable=SC2064  # expand $tmp now
    trap "rm -rf '$tmp'" EXIT
    root mmdebstrap --quiet "${MMDEBSTRAP_ARGS[@]}" bookworm "$tmp/rootfs.tar" "$SOURCES" >&2 ||
      die "mmdebstrap failed"
    "$DOCKER" import --change 'CMD ["bash"]' --change "LABEL gantry.context=$hash" \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      "$tmp/rootfs.tar" debian:bookworm >/dev/null || die "docker import failed"
    rm -rf "$tmp"
    trap - EXIT
    log "debian:bookworm built in $((SECONDS - t0)) s"
    built=1
  fi
  "$DOCKER" tag debian:bookworm debian:bookworm-slim
}

# build_service NAME TAG: scripts/docker/NAME/ is the build context (+ the apt sources).
# build_context TAG CTX: adds the apt sources to the context directory CTX, builds TAG from
# it unless the image's gantry.context label already matches the context's hash (which covers
# the label of debian:bookworm too), and removes CTX.
build_context() {
  local tag=$1 ctx=$2 hash
  mkdir -p "$ctx/apt-sources"
  cp "$SOURCES" "$ctx/apt-sources/"
  hash=$({
    label_of debian:bookworm
    cd "$ctx" && find . -type f | LC_ALL=C sort | xargs sha256sum
  } | sha256sum | cut -c1-16)
  if [[ $(label_of "$tag") == "$hash" ]]; then
    log "$tag cached"
  else
    log "building $tag"
    local t0=$SECONDS
    "$DOCKER" build --quiet --label "gantry.context=$hash" -t "$tag" "$ctx" >/dev/null ||
      { rm -rf "$ctx"; die "docker build of $tag failed"; }
    log "$tag built in $((SECONDS - t0)) s"
    built=1
  fi
  rm -rf "$ctx"
}

build_service() {
  local name=$1 tag=$2 ctx
  build_debian
  ctx=$(mktemp -d /var/tmp/gantry-ctx.XXXXXX)
  cp -r "$ROOT/scripts/docker/$name/." "$ctx/"
  build_context "$tag" "$ctx"
}

# build_inline TAG [NAME CONTENT]...: builds TAG from the Dockerfile on stdin; each NAME
# CONTENT pair adds a file to the context (+ the apt sources). Cached like build_service:
# the hash covers the context and the label of debian:bookworm.
build_inline() {
  local tag=$1 ctx
  shift
  build_debian
  ctx=$(mktemp -d /var/tmp/gantry-ctx.XXXXXX)
  cat >"$ctx/Dockerfile"
  while (($# >= 2)); do
    printf '%s\n' "$2" >"$ctx/$1"
    shift 2
  done
  build_context "$tag" "$ctx"
}

# retag SOURCE TAG...: the stand-in costs nothing when a built image behaves alike.
retag() {
  local source=$1 tag
  shift
  for tag; do
    "$DOCKER" tag "$source" "$tag"
    log "$tag = $source"
  done
}

# Node's official images run `node ARGS` when the first argument is a flag or no command
# (`docker run node:16 -v` prints the version); anything else is exec'd as given.
# shellcheck disable=SC2016  # expanded by the container's sh
NODE_ENTRYPOINT='#!/bin/sh
set -e
if [ "${1#-}" != "$1" ] || ! command -v "$1" >/dev/null 2>&1; then
  set -- node "$@"
fi
exec "$@"'

# Stand-ins for the images named by act's Docker cases (tests/conformance/act_docker_suite.cc),
# built as cheaply as the cases allow: one apt run (node, python, busybox), the rest retags or
# apt-free builds.
build_act() {
  build_service postgres postgres:15
  # node:*-buster*: Debian's nodejs with node's entrypoint; python for `shell: python` in
  # node:16-buster; busybox-static is unpacked (off PATH) for the alpine stand-in below.
  build_inline gantry-act/node <<'DOCKERFILE' docker-entrypoint.sh "$NODE_ENTRYPOINT"
FROM debian:bookworm-slim
COPY apt-sources/ /tmp/apt-sources/
RUN set -eux; \
    rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; \
    cp /tmp/apt-sources/* /etc/apt/sources.list.d/; rm -rf /tmp/apt-sources; \
    apt-get update -qq; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      nodejs python3 python-is-python3; \
    cd /tmp; apt-get download -qq busybox-static; \
    dpkg-deb -x busybox-static_*.deb /opt/busybox-static; rm -f busybox-static_*.deb; \
    rm -rf /var/lib/apt/lists/*
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 755 /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
DOCKERFILE
  retag gantry-act/node node:16-buster-slim node:12-buster-slim node:16-buster
  # alpine: what the cases check is a shell that is sh, not bash; busybox alone gives that.
  build_inline gantry-act/alpine <<'DOCKERFILE'
FROM gantry-act/node AS busybox
FROM scratch
COPY --from=busybox /opt/busybox-static/bin/busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "for d in /sbin /usr/bin /usr/sbin /tmp /root /etc; do /bin/busybox mkdir -p $d; done; /bin/busybox chmod 1777 /tmp; /bin/busybox --install -s; echo root:x:0:0:root:/root:/bin/sh >/etc/passwd; echo root:x:0: >/etc/group"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/bin/sh"]
DOCKERFILE
  retag gantry-act/alpine alpine:latest alpine:3
  # catthehacker/ubuntu:runner-latest: an image whose default user is runner:runner.
  build_inline gantry-act/runner <<'DOCKERFILE'
FROM debian:bookworm-slim
RUN useradd --create-home --shell /bin/bash runner
USER runner
DOCKERFILE
  retag gantry-act/runner catthehacker/ubuntu:runner-latest
  retag debian:bookworm-slim ubuntu:latest ubuntu:18.04 debian:bullseye-slim
  retag postgres:15 postgres:12
}

built=""
for image in $IMAGES; do
  case $image in
    debian) build_debian ;;
    postgres) build_service postgres postgres:15 ;;
    redis) build_service redis redis:7 ;;
    act) build_act ;;
    *) die "unknown image '$image' in GANTRY_DOCKER_IMAGES" ;;
  esac
done
# Images replaced by a rebuild are left untagged; drop those of ours no container uses.
if [[ -n $built ]]; then
  "$DOCKER" image prune -f --filter label=gantry.context >/dev/null || log "warning: image prune failed"
fi

echo "DOCKER_HOST=$DOCKER_HOST"
