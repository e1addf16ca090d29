#!/usr/bin/env bash
# Benchmark of the scaled-out layout (docs/scale-out.md): PostgreSQL, Redis, two `gantry server`
# replicas, and 1, 2 and 4 `gantry executor` agents (capacity 1 each, alternating between the
# replicas). For each executor count, RUNS one-job no-op runs are dispatched at once (half on
# each replica) and the bench reports
#   - runs completed per second (first dispatch → last completion), next to the floor of this
#     machine: `bash -c true` processes started per second by one process;
#   - queue-to-start latency: a job's row created → leased by an executor (jobs.started_at -
#     jobs.created_at), median and p99; and the same with REDIS=0 (replicas polling).
# Long: not part of `make test`. Usage: bench/scale-out.sh [BUILD_DIR] [RUNS=200]
set -euo pipefail
BUILD=${1:-build}
RUNS=${2:-200}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
[[ -x $G ]] || { echo "scale-out: $G not built" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
export GANTRY_REDIS_PORT=${GANTRY_REDIS_PORT:-56382}

D=$(mktemp -d /tmp/gantry-bench-scale.XXXXXX)
PIDS=()
stop_all() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
cleanup() {
  stop_all
  "$ROOT/scripts/redis-down.sh"
  rm -rf "$D"
}
trap cleanup EXIT

REDIS=$("$ROOT/scripts/redis-up.sh" | tail -1)

# floor: bash processes started per second, one at a time
floor=$(python3 - <<'EOF'
import subprocess, time
n = 300
t = time.time()
for _ in range(n):
    subprocess.run(["bash", "-c", "true"])
print("%.0f" % (n / (time.time() - t)))
EOF
)

# one EXECUTORS REDIS_URL: prints "runs/s median_ms p99_ms"
one() {
  local executors=$1 redis=$2 db u1 u2 tok t
  db=$("$ROOT/scripts/pg-up.sh" --fresh gantry_bench_scale | tail -1)
  rm -rf "$D/run"
  mkdir -p "$D/run"
  for r in 1 2; do
    "$G" server --listen 127.0.0.1:0 --data-dir "$D/run/api-$r" --database "$db" \
      ${redis:+--redis "$redis"} --replica-id "api-$r" --key-file "$D/run/server.key" \
      --storage-dir "$D/run/storage" --embedded-executor=false 2>"$D/run/api-$r.log" &
    PIDS+=($!)
  done
  for r in 1 2; do
    for _ in $(seq 300); do
      grep -q "listening on" "$D/run/api-$r.log" && break
      sleep 0.05
    done
  done
  u1=$(sed -n 's/.*gantry server listening on //p' "$D/run/api-1.log" | head -1)
  u2=$(sed -n 's/.*gantry server listening on //p' "$D/run/api-2.log" | head -1)
  curl -sf -X POST "$u1/api/v1/auth/signup" -d '{"username":"bench","password":"bench bench"}' \
    >/dev/null
  t=$(curl -sf -X POST "$u1/api/v1/auth/login" -d '{"username":"bench","password":"bench bench"}' |
    json 'd["token"]')
  mkdir -p "$D/run/repo/.github/workflows"
  printf 'on: workflow_dispatch\njobs:\n  noop:\n    runs-on: self-hosted\n    steps:\n      - run: "true"\n' \
    >"$D/run/repo/.github/workflows/noop.yml"
  git -C "$D/run/repo" init -q -b main
  git -C "$D/run/repo" add -A
  git -C "$D/run/repo" -c user.name=b -c user.email=b@example.org commit -qm noop
  curl -sf -H "Authorization: Bearer $t" -X POST "$u1/api/v1/projects" \
    -d "{\"name\":\"bench/noop\",\"repository\":\"$D/run/repo\",\"default_branch\":\"main\"}" >/dev/null
  for i in $(seq "$executors"); do
    local u=$u1
    ((i % 2 == 0)) && u=$u2
    tok=$(curl -sf -H "Authorization: Bearer $t" -X POST "$u/api/v1/executors/registration-tokens" \
      -d '{}' | json 'd["token"]')
    "$G" executor register --url "$u" --token "$tok" --name "e$i" --config "$D/run/e$i.yml" \
      >/dev/null
    "$G" executor run --config "$D/run/e$i.yml" --work-dir "$D/run/e$i-work" --capacity 1 \
      2>"$D/run/e$i.log" &
    PIDS+=($!)
  done
  sleep 1
  local out last
  out=$(python3 - "$u1" "$u2" "$t" "$RUNS" <<'EOF'
import json, sys, threading, time, urllib.request
u1, u2, token, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def call(method, url, body=None):
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
ids = []
lock = threading.Lock()
start = time.time()
def dispatch(k):
    for i in range(k, runs, 8):
        u = u1 if i % 2 == 0 else u2
        r = call("POST", u + "/api/v1/projects/bench/noop/workflows/noop.yml/dispatches", b"{}")
        with lock:
            ids.extend(r["runs"])
threads = [threading.Thread(target=dispatch, args=(k,)) for k in range(8)]
for t in threads: t.start()
for t in threads: t.join()
pending = set(ids)
while pending:
    time.sleep(0.05)
    for i in list(pending)[:50]:
        if call("GET", u1 + "/api/v1/runs/%d" % i)["status"] == "completed":
            pending.discard(i)
rate = runs / (time.time() - start)
# Then one run at a time, executors idle and long-polling: the latency of a lease itself.
for i in range(20):
    u = u1 if i % 2 == 0 else u2
    rid = call("POST", u + "/api/v1/projects/bench/noop/workflows/noop.yml/dispatches", b"{}")["runs"][0]
    while call("GET", u1 + "/api/v1/runs/%d" % rid)["status"] != "completed":
        time.sleep(0.01)
print("%.1f %d" % (rate, max(ids)))
EOF
)
  stop_all
  last=$(echo "$out" | awk '{print $2}')
  echo "$out" | awk '{print $1}'
  # burst: queued behind busy executors; idle: the 20 runs one at a time after it
  psql "$db" -Atc "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY started_at - created_at), percentile_cont(0.99) WITHIN GROUP (ORDER BY started_at - created_at), SUM(CASE WHEN conclusion = 'success' THEN 1 ELSE 0 END), COUNT(*) FROM jobs WHERE run_id <= $last" |
    tr '|' ' '
  psql "$db" -Atc "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY started_at - created_at), percentile_cont(0.99) WITHIN GROUP (ORDER BY started_at - created_at) FROM jobs WHERE run_id > $last" |
    tr '|' ' '
}

printf 'scale-out: %d no-op runs, PostgreSQL, 2 replicas; floor: %s bash processes/s (one at a time)\n' \
  "$RUNS" "$floor"
printf '%-10s %-6s %8s %24s %8s %24s\n' executors redis "runs/s" "burst q→start med/p99" \
  "jobs ok" "idle q→start med/p99"
for redis in "$REDIS" ""; do
  for n in 1 2 4; do
    out=$(one "$n" "$redis")
    rate=$(echo "$out" | sed -n 1p)
    read -r med p99 ok total <<<"$(echo "$out" | sed -n 2p)"
    read -r imed ip99 <<<"$(echo "$out" | sed -n 3p)"
    printf '%-10s %-6s %8s %14.0f / %5.0f ms %8s %14.0f / %5.0f ms\n' "$n" \
      "$([[ -n $redis ]] && echo yes || echo no)" "$rate" "$med" "$p99" "$ok/$total" "$imed" "$ip99"
  done
done
