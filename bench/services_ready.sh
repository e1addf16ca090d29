#!/usr/bin/env bash
# Benchmark: what a health-checked service costs a job under `gantry exec`, for PostgreSQL and
# Redis. Gantry's figure is the wall time of a one-step job with only that service minus the
# same job without services (network, container, health wait, removal). The peer is the same
# by hand through the docker CLI: `docker run -d` with the port published, poll `pg_isready` /
# `redis-cli ping` on it every 0.1 s, `docker rm -f`. Both health checks run every 0.1 s, so
# neither side waits for a coarse interval. Needs $DOCKER_HOST with the local postgres:15 and
# redis:7 images (scripts/docker-up.sh) and the host clients (postgresql-client, redis-tools).
# Usage: bench/services_ready.sh [BUILD_DIR] [RUNS]
set -euo pipefail
BUILD=${1:-build}
RUNS=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
source "$ROOT/bench/exec_common.sh"
[[ -x $G ]] || { echo "services_ready: $G not built" >&2; exit 1; }
if [[ -z ${DOCKER_HOST:-} ]]; then
  echo "services_ready: skipped: DOCKER_HOST is not set (eval \"export \$(scripts/docker-up.sh)\")"
  exit 0
fi
for tool in docker pg_isready redis-cli; do
  command -v "$tool" >/dev/null || { echo "services_ready: $tool not found" >&2; exit 1; }
done
for image in postgres:15 redis:7; do
  docker image inspect "$image" >/dev/null 2>&1 ||
    { echo "services_ready: image $image is not on the engine at $DOCKER_HOST" >&2; exit 1; }
done

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/ws"

# job NAME SERVICE_YAML: a one-step workflow whose job has the given services: block.
job() {
  {
    echo "on: push"
    echo "jobs:"
    echo "  ready:"
    echo "    runs-on: ubuntu-latest"
    [[ -z $2 ]] || printf '    services:\n%s\n' "$2"
    echo "    steps:"
    echo "      - run: \"true\""
  } >"$dir/$1.yml"
}
job none ""
job postgres "      postgres:
        image: postgres:15
        env: {POSTGRES_PASSWORD: pw}
        ports: ['5432']
        options: >-
          --health-cmd \"pg_isready -h 127.0.0.1 -U postgres\"
          --health-interval 100ms --health-timeout 5s --health-retries 300"
job redis "      redis:
        image: redis:7
        ports: ['6379']
        options: >-
          --health-cmd \"redis-cli ping\"
          --health-interval 100ms --health-timeout 5s --health-retries 300"

# The peers: run, poll the published port until the service answers, remove.
cat >"$dir/peer_postgres.sh" <<'PEER'
set -euo pipefail
id=$(docker run -d -e POSTGRES_PASSWORD=pw -p 127.0.0.1::5432 postgres:15)
port=$(docker port "$id" 5432/tcp | head -n1 | sed 's/.*://')
until pg_isready -q -h 127.0.0.1 -p "$port" -U postgres; do sleep 0.1; done
docker rm -f -v "$id" >/dev/null
PEER
cat >"$dir/peer_redis.sh" <<'PEER'
set -euo pipefail
id=$(docker run -d -p 127.0.0.1::6379 redis:7)
port=$(docker port "$id" 6379/tcp | head -n1 | sed 's/.*://')
until [[ $(redis-cli -p "$port" ping 2>/dev/null) == PONG ]]; do sleep 0.1; done
docker rm -f -v "$id" >/dev/null
PEER

gantry_job() { time_median "gantry exec $1" "$RUNS" "$G" exec push -W "$dir/$1.yml" --workspace "$dir/ws"; }
none_s=$(gantry_job none)
printf '%d runs each, medians; a job without services takes %.3fs\n' "$RUNS" "$none_s"
printf '%-10s | %-30s | %-24s | %s\n' service "gantry exec (job - no-service)" \
  "docker CLI run+poll+rm" ratio
printf '%-10s-|-%-30s-|-%-24s-|-%s\n' ---------- ------------------------------ \
  ------------------------ -----
for svc in postgres redis; do
  with_s=$(gantry_job "$svc")
  peer_s=$(time_median "docker CLI $svc" "$RUNS" bash "$dir/peer_$svc.sh")
  ready_s=$(awk -v a="$with_s" -v b="$none_s" 'BEGIN { printf "%.3f", a - b }')
  printf '%-10s | %-30s | %-24s | %sx\n' "$svc" "${ready_s}s" "$(printf '%.3fs' "$peer_s")" \
    "$(ratio "$ready_s" "$peer_s")"
done
