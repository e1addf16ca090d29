#!/usr/bin/env bash
# ctest's images: builds deploy/docker/'s images with scripts/build-images.sh --prebuilt (the
# host's $GANTRY_BIN and web UI, no compiler in docker; sizes held to deploy/docker/size-budget),
# then on the engine at $DOCKER_HOST: runs the API image with a port published on 127.0.0.1,
# waits for its HEALTHCHECK to report healthy, runs scripts/smoke.sh (with the web UI) against
# it, checks its server process is not root, and runs `gantry executor --help`, git, bwrap and
# node in the executor image. Containers are removed whatever happens.
# Exit 77 (ctest: skipped) without DOCKER_HOST, like the other Docker tests.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DOCKER=/usr/bin/docker
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
pass() { echo "ok: $*"; }

if [[ -z ${DOCKER_HOST:-} ]]; then
  echo "SKIP: DOCKER_HOST is not set (make test sets it from scripts/docker-up.sh)"
  exit 77
fi
[[ -x $DOCKER ]] || fail "$DOCKER missing (the docker.io package: scripts/docker-up.sh installs it)"

id="gantry-images-$$"
cleanup() {
  "$DOCKER" rm -f "$id-api" >/dev/null 2>&1 || true
}
trap cleanup EXIT

t0=$SECONDS
"$ROOT/scripts/build-images.sh" --prebuilt || fail "scripts/build-images.sh --prebuilt failed"
pass "images built in $((SECONDS - t0)) s (sizes within deploy/docker/size-budget)"

# --- the API image ---
# --health-interval 1s: the image's own check (gantry-healthcheck), polled faster than its 10 s.
"$DOCKER" run -d --name "$id-api" -p 127.0.0.1::8080 --health-interval 1s gantry-api:dev >/dev/null ||
  fail "docker run gantry-api:dev failed"
health() { "$DOCKER" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id-api"; }
status=""
for _ in $(seq 1 120); do
  status=$(health)
  [[ $status == healthy || $status == unhealthy || $status == none ]] && break
  [[ $("$DOCKER" inspect -f '{{.State.Running}}' "$id-api") == true ]] || break
  sleep 0.25
done
if [[ $status != healthy ]]; then
  "$DOCKER" logs "$id-api" 2>&1 | tail -n 30 >&2
  "$DOCKER" inspect -f '{{json .State.Health}}' "$id-api" >&2 || true
  fail "the API container's health is '$status' after 30 s, want healthy"
fi
pass "gantry-api:dev HEALTHCHECK healthy"

port=$("$DOCKER" port "$id-api" 8080/tcp | head -n 1)
port=${port##*:}
[[ $port =~ ^[0-9]+$ ]] || fail "no published port for 8080/tcp (got '$port')"
"$ROOT/scripts/smoke.sh" --web "http://127.0.0.1:$port" ||
  { "$DOCKER" logs "$id-api" 2>&1 | tail -n 30 >&2; fail "scripts/smoke.sh against the API container failed"; }
pass "scripts/smoke.sh against gantry-api:dev on 127.0.0.1:$port"

uid=$("$DOCKER" exec "$id-api" grep '^Uid:' /proc/1/status) || fail "cannot read the API container's /proc/1/status"
read -r _ uid _ <<<"$uid"
[[ $uid =~ ^[0-9]+$ && $uid != 0 ]] || fail "the API container's gantry server runs as uid '$uid', want non-root"
pass "gantry server runs as uid $uid (not root)"
"$DOCKER" rm -f "$id-api" >/dev/null

# --- the executor image ---
out=$("$DOCKER" run --rm gantry-executor:dev executor --help 2>&1) ||
  fail "gantry executor --help in gantry-executor:dev failed: $out"
[[ $out == *register* && $out == *run* ]] || fail "gantry executor --help printed no register/run: $out"
pass "gantry-executor:dev: gantry executor --help"
for cmd in "git --version" "bwrap --version" "node --version" "id -u"; do
  # shellcheck disable=SC2086  # the command's words
  out=$("$DOCKER" run --rm --entrypoint ${cmd%% *} gantry-executor:dev ${cmd#* } 2>&1) ||
    fail "'$cmd' in gantry-executor:dev failed: $out"
  pass "gantry-executor:dev: $cmd: $out"
done
[[ $out != 0 ]] || fail "gantry-executor:dev runs as root"
echo "images: all checks passed in $((SECONDS - t0)) s"
