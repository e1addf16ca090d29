#!/usr/bin/env bash
# Benchmark: jobs in a container (`container: debian:bookworm-slim`) under `gantry exec`,
# against the docker CLI doing the same by hand.
#  (i)  start-to-first-step: a container job with one `run: true` step minus the same job on
#       the host (= what the container costs a job: create, start, exec, remove), against
#       `docker run --rm debian:bookworm-slim true`;
#  (ii) per-step overhead: a container job with STEPS `run: true` steps minus the one-step
#       container job, per step, against STEPS × `docker exec <container> sh -c true` on a
#       running container, per exec.
# Needs $DOCKER_HOST with the local debian:bookworm-slim image (scripts/docker-up.sh).
# Usage: bench/container_exec.sh [BUILD_DIR] [STEPS] [RUNS]
set -euo pipefail
BUILD=${1:-build}
STEPS=${2:-200}
RUNS=${3:-5}
IMAGE=debian:bookworm-slim
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
source "$ROOT/bench/exec_common.sh"
[[ -x $G ]] || { echo "container_exec: $G not built" >&2; exit 1; }
if [[ -z ${DOCKER_HOST:-} ]]; then
  echo "container_exec: skipped: DOCKER_HOST is not set (eval \"export \$(scripts/docker-up.sh)\")"
  exit 0
fi
command -v docker >/dev/null || { echo "container_exec: docker CLI not found" >&2; exit 1; }
docker image inspect "$IMAGE" >/dev/null 2>&1 ||
  { echo "container_exec: image $IMAGE is not on the engine at $DOCKER_HOST" >&2; exit 1; }

dir=$(mktemp -d)
peer=""
cleanup() {
  [[ -z $peer ]] || docker rm -f "$peer" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
mkdir -p "$dir/ws"

# job NAME STEPS [CONTAINER]: a workflow of one job with STEPS `run: true` steps.
job() {
  {
    echo "on: push"
    echo "jobs:"
    echo "  job:"
    echo "    runs-on: ubuntu-latest"
    [[ -z ${3:-} ]] || echo "    container: $3"
    echo "    steps:"
    for ((i = 0; i < $2; i++)); do echo "      - run: \"true\""; done
  } >"$dir/$1.yml"
}
job host 1
job container 1 "$IMAGE"
job container_steps "$STEPS" "$IMAGE"
gantry_job() { time_median "gantry exec $1" "$RUNS" "$G" exec push -W "$dir/$1.yml" --workspace "$dir/ws"; }

# Job containers are recent: say so instead of failing when this gantry refuses them.
if ! out=$("$G" exec push -W "$dir/container.yml" --workspace "$dir/ws" 2>&1); then
  echo "container_exec: skipped: a container job fails under $G:"
  printf '%s\n' "$out" | grep -iE 'error|not supported|fail' | head -n 3
  exit 0
fi

host_s=$(gantry_job host)
cont_s=$(gantry_job container)
run_s=$(time_median "docker run --rm" "$RUNS" docker run --rm "$IMAGE" true)
start_s=$(awk -v a="$cont_s" -v b="$host_s" 'BEGIN { printf "%.3f", a - b }')

steps_s=$(gantry_job container_steps)
peer=$(docker run -d "$IMAGE" sleep infinity)
cat >"$dir/execs.sh" <<LOOP
for ((i = 0; i < $STEPS; i++)); do docker exec "$peer" sh -c true; done
LOOP
execs_s=$(time_median "docker exec x$STEPS" "$RUNS" bash "$dir/execs.sh")
step_ms=$(awk -v a="$steps_s" -v b="$cont_s" -v n="$STEPS" 'BEGIN { printf "%.1f", (a - b) * 1000 / (n - 1) }')
exec_ms=$(awk -v a="$execs_s" -v n="$STEPS" 'BEGIN { printf "%.1f", a * 1000 / n }')

printf '%d runs each, medians; host job with one step: %.3fs, container job: %.3fs\n' \
  "$RUNS" "$host_s" "$cont_s"
printf '%-34s | %-12s | %-32s | %s\n' measure "gantry exec" "docker CLI" ratio
printf '%-34s-|-%-12s-|-%-32s-|-%s\n' ---------------------------------- ------------ \
  -------------------------------- -----
printf '%-34s | %-12s | %-32s | %sx\n' "container start to first step" "${start_s}s" \
  "$(printf '%.3fs (docker run --rm true)' "$run_s")" "$(ratio "$start_s" "$run_s")"
printf '%-34s | %-12s | %-32s | %sx\n' "per step ($STEPS steps in one job)" "${step_ms}ms" \
  "${exec_ms}ms (docker exec sh -c true)" "$(ratio "$step_ms" "$exec_ms")"
printf '%-34s | %-12s | %-32s |\n' "job of $STEPS steps / $STEPS execs" \
  "$(printf '%.3fs' "$steps_s")" "$(printf '%.3fs' "$execs_s")"
