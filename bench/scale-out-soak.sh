#!/usr/bin/env bash
# The long version of the replica fault test (docs/scale-out.md, "Faults"): two `gantry server`
# replicas on one PostgreSQL and Redis, two `gantry executor` agents, RUNS matrix runs (4 jobs
# each) launched on both replicas; every job must run exactly once and every log be complete
# and in order (read through the other replica); then a replica is killed with SIGKILL mid-run
# and the other finishes it. Not part of `make test` (which runs 8 runs).
# Usage: bench/scale-out-soak.sh [BUILD_DIR] [RUNS=200]
set -euo pipefail
BUILD=${1:-build}
RUNS=${2:-200}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T="$ROOT/$BUILD/tests/server/gantry_server_integration_test"
[[ -x $T ]] || { echo "scale-out-soak: $T not built" >&2; exit 1; }
start=$(date +%s.%N)
GANTRY_TEST_DATABASE=postgres GANTRY_FAULT_RUNS=$RUNS NO_COLOR=1 \
  "$T" --gtest_filter='ServerFaultsTest.TwoReplicas*'
end=$(date +%s.%N)
python3 -c "import sys; r=int(sys.argv[1]); s=float(sys.argv[3])-float(sys.argv[2]); print('scale-out-soak: %d matrix runs (%d jobs) exactly once across 2 replicas and 2 executors, one replica killed: %.0f s (%.1f jobs/s)' % (r, 4*r, s, 4*r/s))" "$RUNS" "$start" "$end"
