#!/usr/bin/env bash
# Builds Gantry's container images from deploy/docker/ on the private Docker engine
# (scripts/docker-up.sh: no registry is needed, the debian:bookworm(-slim) bases are local),
# tagged gantry-api:dev and gantry-executor:dev, prints their sizes and fails when one is over
# its budget in deploy/docker/size-budget.
#
#   scripts/build-images.sh                  # from the sources (Release build, npm ci + vite)
#   scripts/build-images.sh --prebuilt       # the fast path (tests): the host's build/gantry
#                                            #   (stripped) and web/dist, no compiler in docker
#   scripts/build-images.sh --tag-main[=SHA] # also tag main-SHA (default: git HEAD, 40 hex)
#
# Environment:
#   DOCKER_HOST        the engine (default: the one scripts/docker-up.sh starts or reuses)
#   GANTRY_BIN         the binary of --prebuilt (default build/gantry)
#   GANTRY_WEB_DIST    the built web UI of --prebuilt (default web/dist: make web)
#   GANTRY_BUILD_JOBS  compile jobs inside the from-source build (default 2)
# Stages build-images/ (git-ignored) in the source tree: the apt sources the images install
# from, this machine's extra CA certificates (/usr/local/share/ca-certificates: npm behind a
# TLS-inspecting egress; used by the build stage only, never in an image) and the prebuilt
# files. Output: one line per image on stdout, `NAME SIZE_MB BUDGET_MB`; progress on stderr.
# Exit codes: 0 built and within budget; 3 no Docker engine here (as docker-up.sh); 1 otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=docker/env.sh disable=SC1091
. "$ROOT/scripts/docker/env.sh"
DOCKER=/usr/bin/docker # the docker.io client: BuildKit built in
export DOCKER_BUILDKIT=1
BUDGET_FILE="$ROOT/deploy/docker/size-budget"
STAGE="$ROOT/build-images"

log() { echo "build-images: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

prebuilt=0
main_sha=""
for arg; do
  case $arg in
    --prebuilt) prebuilt=1 ;;
    --tag-main) main_sha=$(git -C "$ROOT" rev-parse HEAD) || die "--tag-main: no git HEAD in $ROOT" ;;
    --tag-main=*) main_sha=${arg#--tag-main=} ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$arg' (see --help)" ;;
  esac
done
[[ -z $main_sha || $main_sha =~ ^[0-9a-f]{7,40}$ ]] || die "--tag-main=$main_sha: want a hex commit id"

# --- the engine and the base images -----------------------------------------------------
have_bases() {
  [[ -n ${DOCKER_HOST:-} ]] &&
    "$DOCKER" image inspect debian:bookworm debian:bookworm-slim >/dev/null 2>&1
}
if ! have_bases; then
  rc=0
  up=$(GANTRY_DOCKER_IMAGES=debian "$ROOT/scripts/docker-up.sh") || rc=$?
  ((rc != 3)) || {
    log "no Docker engine on this machine (see the docker-up line above)"
    exit 3
  }
  ((rc == 0)) || die "scripts/docker-up.sh exited with $rc"
  up=$(printf '%s\n' "$up" | tail -n 1)
  [[ $up == DOCKER_HOST=unix://* ]] || die "docker-up.sh printed '$up', want DOCKER_HOST=unix://..."
  export "${up?}"
fi
log "engine $DOCKER_HOST"

# --- the build context's staged files ---------------------------------------------------
mkdir -p "$STAGE"
exec 8>"$STAGE/.lock"
flock -w 1800 8 || die "another build-images.sh holds $STAGE/.lock for 30 min"
rm -rf "$STAGE/apt-sources" "$STAGE/ca-certificates" "$STAGE/gantry" "$STAGE/web"
mkdir -p "$STAGE/apt-sources" "$STAGE/ca-certificates" "$STAGE/web"
sources=$(apt_sources_file)
[[ -s $sources ]] || die "no apt sources file at $sources (set GANTRY_APT_SOURCES)"
cp "$sources" "$STAGE/apt-sources/"
shopt -s nullglob
for crt in /usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt; do
  cp "$crt" "$STAGE/ca-certificates/"
done
shopt -u nullglob
touch "$STAGE/ca-certificates/.keep"

revision=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
build_args=(--build-arg "GANTRY_PREBUILT=$prebuilt" --build-arg "GANTRY_JOBS=${GANTRY_BUILD_JOBS:-2}"
  --build-arg "GANTRY_REVISION=$revision")
if ((prebuilt)); then
  bin=${GANTRY_BIN:-$ROOT/build/gantry}
  dist=${GANTRY_WEB_DIST:-$ROOT/web/dist}
  [[ -x $bin ]] || die "--prebuilt: no gantry binary at $bin (make build, or set GANTRY_BIN)"
  [[ -f $dist/index.html ]] || die "--prebuilt: no built web UI in $dist (make web, or set GANTRY_WEB_DIST)"
  strip --strip-all -o "$STAGE/gantry" "$bin" || die "strip $bin failed"
  cp -r "$dist/." "$STAGE/web/"
  log "prebuilt: $bin (stripped: $(($(stat -c %s "$STAGE/gantry") / 1024)) KiB) and $dist"
else
  # The user's npm configuration (e.g. a registry token) reaches `npm ci` as a BuildKit secret:
  # mounted for that one command, never written into a layer.
  npmrc=$(npm config get userconfig 2>/dev/null || true)
  if [[ -n $npmrc && -r $npmrc ]]; then
    build_args+=(--secret "id=npmrc,src=$npmrc")
  fi
fi

# --- build ------------------------------------------------------------------------------
declare -A size_mb
build() { # NAME DOCKERFILE
  local name=$1 file=$2 t0=$SECONDS blog="$STAGE/$1.log" tags=(-t "$1:dev")
  [[ -z $main_sha ]] || tags+=(-t "$name:main-$main_sha")
  log "building $name:dev from deploy/docker/$file ($([[ $prebuilt == 1 ]] && echo prebuilt || echo from source))"
  if ! "$DOCKER" build --progress=plain -f "$ROOT/deploy/docker/$file" "${build_args[@]}" \
    "${tags[@]}" "$ROOT" >"$blog" 2>&1; then
    tail -n 40 "$blog" >&2
    die "docker build of $name failed (whole log: $blog)"
  fi
  local bytes
  bytes=$("$DOCKER" image inspect -f '{{.Size}}' "$name:dev")
  size_mb[$name]=$(((bytes + 999999) / 1000000))
  log "$name:dev built in $((SECONDS - t0)) s: ${size_mb[$name]} MB${main_sha:+ (also $name:main-$main_sha)}"
}
build gantry-api Dockerfile.api
build gantry-executor Dockerfile.executor

# The images these replaced are left untagged: drop them (the build cache keeps their layers).
"$DOCKER" image prune -f --filter label=gantry.image >/dev/null || log "warning: image prune failed"

# --- sizes against the budget -----------------------------------------------------------
over=0
for name in gantry-api gantry-executor; do
  budget=$(awk -v n="$name" '$1 == n { print $2 }' "$BUDGET_FILE")
  [[ $budget =~ ^[0-9]+$ ]] || die "no budget for $name in $BUDGET_FILE"
  echo "$name ${size_mb[$name]} $budget"
  if ((size_mb[$name] > budget)); then
    log "error: $name:dev is ${size_mb[$name]} MB, over its budget of $budget MB ($BUDGET_FILE)"
    over=1
  fi
done
((over == 0)) || exit 1
log "sizes within budget ($BUDGET_FILE)"
