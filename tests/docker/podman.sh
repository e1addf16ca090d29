#!/usr/bin/env bash
# Runs the real-engine tests of the Docker Engine API client against podman's Docker-compatible
# API service (scripts/podman-up.sh) instead of dockerd: DockerClient (gantry_backend_test
# Docker*), DockerContainerHost (gantry_actions_test DockerHost*) and `gantry exec` with
# services (gantry_exec_docker_test). Only when GANTRY_PODMAN=1 (it adds a few minutes);
# otherwise, and where podman cannot run, exit 77 (ctest: skipped). A test the binaries skip
# fails this one: podman-up.sh promised an engine with the images.
#   tests/docker/podman.sh BACKEND_TEST ACTIONS_TEST EXEC_DOCKER_TEST
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
(($# == 3)) || {
  echo "usage: $0 BACKEND_TEST ACTIONS_TEST EXEC_DOCKER_TEST" >&2
  exit 2
}
if [[ ${GANTRY_PODMAN:-} != 1 ]]; then
  echo "SKIP: the podman run is opt-in: GANTRY_PODMAN=1 (or make test-podman)" >&2
  exit 77
fi
rc=0
up=$("$ROOT/scripts/podman-up.sh") || rc=$?
if ((rc == 3)); then
  echo "SKIP: podman cannot run on this machine (see the podman-up line above)" >&2
  exit 77
fi
((rc == 0)) || {
  echo "FAIL: scripts/podman-up.sh exited with $rc" >&2
  exit 1
}
up=$(printf '%s\n' "$up" | tail -n 1)
[[ $up == DOCKER_HOST=unix://* ]] || {
  echo "FAIL: podman-up.sh printed '$up', want DOCKER_HOST=unix://..." >&2
  exit 1
}
export "${up?}"

failed=0
summary=()
# run NAME BINARY [GTEST ARGS]: runs one binary against podman; counts from its summary lines.
run() {
  local name=$1 bin=$2 out rc=0 passed skipped
  shift 2
  out=$(mktemp /tmp/gantry-podman-test.XXXXXX)
  NO_COLOR=1 "$bin" --gtest_brief=1 "$@" 2>&1 | tee "$out" || rc=$?
  passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
  skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
  rm -f "$out"
  summary+=("$name: ${passed:-0} passed, ${skipped:-0} skipped, exit $rc")
  ((rc == 0)) || failed=1
  ((${skipped:-0} == 0)) || failed=1
}
run backend "$1" --gtest_filter='Docker*'
run actions "$2" --gtest_filter='DockerHost*'
run exec "$3"
echo "--- against podman ($DOCKER_HOST):"
printf '  %s\n' "${summary[@]}"
exit "$failed"
