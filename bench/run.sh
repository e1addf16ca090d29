#!/usr/bin/env bash
# Runs every benchmark binary built from bench/*_bench.cc and prints its results, then the
# gantry exec benchmarks (bench/exec_*.sh).
# Usage: bench/run.sh [BUILD_DIR] [extra Google Benchmark flags...]
set -euo pipefail
BUILD=${1:-build}
shift || true
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
found=0
for src in bench/*_bench.cc; do
  [[ -e $src ]] || continue
  bin="$BUILD/bench/$(basename "${src%.cc}")"
  if [[ ! -x $bin ]]; then
    echo "bench: $bin not built (is libbenchmark-dev installed?)" >&2
    exit 1
  fi
  found=1
  echo "== $bin"
  GANTRY_SOURCE_DIR="$ROOT" "$bin" --benchmark_counters_tabular=true "$@"
done
[[ $found -eq 1 ]] || echo "bench: no benchmarks"
# Start-up (gantry --version, lint, expr) against `true` and `bash -c true`; see
# docs/development.md.
echo "== bench/startup.sh"
bench/startup.sh "$BUILD"
# gantry exec against its physical limits (bash per step, ninja for a wide DAG), composite
# actions against plain run: steps, and --sandbox against plain host steps; see docs/exec.md.
# Restoring an actions/cache entry against tar -x of the same files, and the default
# actions/checkout (a clone) against a copy of the working tree; the report actions on large
# reports against Python readers; see docs/actions.md.
for script in bench/exec_steps.sh bench/exec_dag.sh bench/exec_composite.sh bench/exec_sandbox.sh \
  bench/cache_restore.sh bench/checkout.sh bench/reports.sh; do
  echo "== $script"
  "$script" "$BUILD"
done
# Service readiness and job containers against the docker CLI (they need $DOCKER_HOST, e.g.
# from scripts/docker-up.sh, and say "skipped" without it); see docs/exec.md.
for script in bench/services_ready.sh bench/container_exec.sh; do
  echo "== $script"
  "$script" "$BUILD"
done
# gantry server: webhook -> step started, no-op runs/s on SQLite and PostgreSQL, GET run with
# 100,000 runs (wrk), idle RSS; see docs/server.md ("Speed").
echo "== bench/server.sh"
bench/server.sh "$BUILD"
# A concurrency group's hand-off and an approval -> the job's step started, against a fresh
# push; see docs/server.md ("Speed").
echo "== bench/deploy.sh"
bench/deploy.sh "$BUILD"
