#!/usr/bin/env bash
# Stops the Redis of scripts/redis-up.sh (same GANTRY_REDIS_PORT). Idempotent.
set -euo pipefail
PORT=${GANTRY_REDIS_PORT:-56379}
redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
