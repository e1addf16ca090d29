#!/usr/bin/env bash
# Starts a private Redis for tests, benchmarks and scripts/scale-out-demo.sh (idempotent) and
# prints its URL on the last line:   scripts/redis-up.sh   →   redis://127.0.0.1:<port>
# Stop it with scripts/redis-down.sh. Nothing is saved to disk (--save '' --appendonly no).
# Environment:
#   GANTRY_REDIS_PORT  port (default 56379)
#   GANTRY_REDIS_DIR   state dir (pid, log); default /tmp/gantry-redis-<port>
set -euo pipefail
PORT=${GANTRY_REDIS_PORT:-56379}
DIR=${GANTRY_REDIS_DIR:-/tmp/gantry-redis-$PORT}
command -v redis-server >/dev/null || {
  echo "redis-server is not installed: run scripts/install-deps.sh" >&2
  exit 1
}
if ! redis-cli -p "$PORT" ping >/dev/null 2>&1; then
  mkdir -p "$DIR"
  redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --dir "$DIR" >/dev/null
  for _ in $(seq 200); do
    redis-cli -p "$PORT" ping >/dev/null 2>&1 && break
    sleep 0.05
  done
  redis-cli -p "$PORT" ping >/dev/null 2>&1 || {
    echo "Redis did not start on port $PORT; its log:" >&2
    cat "$DIR/redis.log" >&2
    exit 1
  }
fi
echo "redis://127.0.0.1:$PORT"
