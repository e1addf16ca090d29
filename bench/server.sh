#!/usr/bin/env bash
# Benchmark of `gantry server` (docs/server.md, "Speed"):
#  1. webhook -> first step's process started, and webhook -> run completed, over PUSHES pushes
#     one at a time (embedded defaults: SQLite, embedded executor);
#  2. no-op runs completed per second over RUNS runs queued at once, on SQLite and (when
#     scripts/pg-up.sh can start one) PostgreSQL;
#  3. GET /api/v1/runs/{id} with SEED runs in the database (wrk: requests/s and p99);
#  4. idle RSS of the server after start;
# next to `gantry exec` of the same no-op workflow and `bash -c true` (the physical floor of
# "a process started"), and Laminar's published figures (not measured here: not packaged).
# Usage: bench/server.sh [BUILD_DIR] [PUSHES] [RUNS] [SEED]
set -euo pipefail
BUILD=${1:-build}
PUSHES=${2:-200}
RUNS=${3:-1000}
SEED=${4:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
source "$ROOT/bench/exec_common.sh"
[[ -x $G ]] || { echo "server: $G not built" >&2; exit 1; }
command -v python3 >/dev/null || { echo "server: skipped (needs python3)"; exit 0; }
CORES=$(nproc)
DRIVER="$ROOT/bench/server_driver.py"

dir=$(mktemp -d)
pid=""
stop_server() {
  [[ -n $pid ]] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
}
trap 'stop_server; rm -rf "$dir"' EXIT

# start_server DATA [ARGS...]: starts gantry server, sets $pid and $url.
start_server() {
  local data=$1
  shift
  mkdir -p "$data"
  : >"$data/server.log"
  "$G" server --listen 127.0.0.1:0 --data-dir "$data" "$@" >>"$data/server.log" 2>&1 &
  pid=$!
  url=""
  for _ in $(seq 1 3000); do
    url=$(sed -n 's/.*gantry server listening on //p' "$data/server.log" | tail -1)
    [[ -n $url ]] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$data/server.log" >&2; return 1; }
    sleep 0.01
  done
  echo "server: no URL" >&2
  return 1
}

api() { curl -sf -H "Authorization: Bearer $token" "$@"; }

# project DATA NAME WORKFLOW: a bare repo with WORKFLOW as .github/workflows/w.yml, a project on
# it; sets $bare and $secret.
project() {
  local name=$1 wf=$2
  bare="$dir/$name.git"
  git init -q --bare -b main "$bare"
  git init -q -b main "$dir/$name.work"
  mkdir -p "$dir/$name.work/.github/workflows"
  printf '%s\n' "$wf" >"$dir/$name.work/.github/workflows/w.yml"
  git -C "$dir/$name.work" add -A
  git -C "$dir/$name.work" -c user.name=A -c user.email=a@x.org commit -qm initial
  git -C "$dir/$name.work" push -q "$bare" HEAD:refs/heads/main
  secret=$(api -X POST "$url/api/v1/projects" \
    -d "{\"name\":\"bench/$name\",\"repository\":\"$bare\",\"default_branch\":\"main\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["webhook_secret"])')
}

signup() {
  curl -sf -X POST "$url/api/v1/auth/signup" \
    -d '{"username":"bench","password":"correct horse","email":"b@x.org"}' >/dev/null
  token=$(curl -sf -X POST "$url/api/v1/auth/login" \
    -d '{"username":"bench","password":"correct horse"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

STAMP="$dir/stamp"
STAMP_WF="on: push
jobs:
  t:
    runs-on: self-hosted
    steps:
      - run: date +%s%N > $STAMP"
NOOP_WF="on: push
jobs:
  t:
    runs-on: self-hosted
    steps:
      - run: 'true'"

echo "machine: $CORES cores; --executor-capacity $CORES"

# 4. Idle RSS (a fresh data dir, after start and one second idle).
start_server "$dir/idle"
sleep 1
idle_kb=$(rss_kb "$pid")
stop_server
printf 'idle RSS after start: %.1f MB (goal <= 10 MB)\n' "$(awk -v k="$idle_kb" 'BEGIN { print k / 1024 }')"

# 1. Latency, one push at a time.
start_server "$dir/sqlite" --executor-capacity "$CORES"
signup
project lat "$STAMP_WF"
out=$(python3 "$DRIVER" latency "$url" "$token" bench/lat "$secret" "$bare" "$STAMP" "$PUSHES")
echo "$out" | sed "s/^/$PUSHES pushes one at a time, webhook -> step /; s/step completed/run completed/"
start_med=$(echo "$out" | awk '/^started/ { sub("median_ms=", "", $2); print $2 }')
# The step's own `bash -e` and `date` starting, measured the same way without a server: what is
# left of the median is the server's share (webhook in, run stored, job leased, process spawned).
floor_out=$(python3 "$DRIVER" floor "$STAMP" 50)
floor_med=$(echo "$floor_out" | awk '{ sub("median_ms=", "", $2); print $2 }')
echo "the step's shell and date alone (bash -e script, no server): $floor_out"
printf 'webhook -> step started, less the step'"'"'s own start: %.2f ms (goal < 10 ms)\n' \
  "$(awk -v a="$start_med" -v b="$floor_med" 'BEGIN { print a - b }')"
done_med=$(echo "$out" | awk '/^completed/ { sub("median_ms=", "", $2); print $2 }')

# 2a. Throughput on SQLite.
project tp "$NOOP_WF"
tp_sqlite=$(python3 "$DRIVER" throughput "$url" "$token" bench/tp "$secret" "$bare" "$RUNS" 4)
echo "no-op runs, $RUNS queued by 4 connections, SQLite: $tp_sqlite (goal >= 200/s)"
# The physical limit: each no-op run is one `bash -e` of its step; how many of those this
# machine starts per second, as many at once as the executor's capacity, without a server.
spawn_out=$(python3 "$DRIVER" spawns "$RUNS" "$CORES")
echo "the steps' processes alone (bash -e, $CORES at a time, no server): $spawn_out"
tp_rate=$(echo "$tp_sqlite" | sed -n 's/.*runs_per_s=\([0-9.]*\).*/\1/p')
spawn_rate=$(echo "$spawn_out" | sed -n 's/.*per_s=\([0-9.]*\).*/\1/p')
echo "no-op runs/s on SQLite over the processes' own limit: $(ratio "$tp_rate" "$spawn_rate")x"
busy_kb=$(rss_kb "$pid")
printf 'RSS after the runs: %.1f MB\n' "$(awk -v k="$busy_kb" 'BEGIN { print k / 1024 }')"

# 3. GET /api/v1/runs/{id} with SEED runs: copy the last run (with its job and step) into the
# stopped server's database, then wrk.
stop_server
python3 - "$dir/sqlite/gantry.db" "$SEED" <<'PY'
import sqlite3, sys
db, want = sqlite3.connect(sys.argv[1]), int(sys.argv[2])
have = db.execute("select count(*) from runs").fetchone()[0]
cols = lambda t: [r[1] for r in db.execute(f"pragma table_info({t})")]
rid, = db.execute("select max(id) from runs").fetchone()
rc = [c for c in cols("runs") if c not in ("id", "number")]
jc = [c for c in cols("jobs") if c not in ("id", "run_id")]
sc = [c for c in cols("steps") if c not in ("id", "job_id")]
job, = db.execute("select id from jobs where run_id=?", (rid,)).fetchone()
num, = db.execute("select max(number) from runs").fetchone()
n = max(0, want - have)
with db:
    for i in range(n):
        cur = db.execute(f"insert into runs (number,{','.join(rc)}) select ?,{','.join(rc)} from runs where id=?",
                         (num + 1 + i, rid))
        new_run = cur.lastrowid
        cur = db.execute(f"insert into jobs (run_id,{','.join(jc)}) select ?,{','.join(jc)} from jobs where id=?",
                         (new_run, job))
        db.execute(f"insert into steps (job_id,{','.join(sc)}) select ?,{','.join(sc)} from steps where job_id=?",
                   (cur.lastrowid, job))
print(db.execute("select count(*) from runs").fetchone()[0], file=sys.stderr)
PY
start_server "$dir/sqlite" --executor-capacity "$CORES"
mid=$((SEED / 2))
api "$url/api/v1/runs/$mid" >/dev/null || { echo "server: GET run $mid failed" >&2; exit 1; }
wrk_out=$(wrk -t2 -c16 -d10s --latency -H "Authorization: Bearer $token" "$url/api/v1/runs/$mid")
rps=$(echo "$wrk_out" | awk '/Requests\/sec/ { print $2 }')
p99=$(echo "$wrk_out" | awk '$1 == "99%" { print $2 }')
p50=$(echo "$wrk_out" | awk '$1 == "50%" { print $2 }')
echo "GET /api/v1/runs/{id}, $SEED runs in SQLite, wrk -t2 -c16 -d10s: $rps requests/s, p50 $p50, p99 $p99"
stop_server

# 2b. Throughput on PostgreSQL.
if pg=$("$ROOT/scripts/pg-up.sh" --fresh gantry_bench 2>/dev/null | tail -1) && [[ $pg == postgres://* ]]; then
  start_server "$dir/pg" --database "$pg" --executor-capacity "$CORES"
  signup
  project pgtp "$NOOP_WF"
  tp_pg=$(python3 "$DRIVER" throughput "$url" "$token" bench/pgtp "$secret" "$bare" "$RUNS" 4)
  echo "no-op runs, $RUNS queued by 4 connections, PostgreSQL: $tp_pg (goal >= 200/s)"
  stop_server
else
  echo "no-op runs on PostgreSQL: skipped (scripts/pg-up.sh could not start one)"
fi

# 5. Peers and floors.
mkdir -p "$dir/ws"
printf '%s\n' "$NOOP_WF" >"$dir/noop.yml"
exec_s=$(time_median "gantry exec" 20 "$G" exec push -W "$dir/noop.yml" --workspace "$dir/ws")
bash_s=$(time_median "bash -c true" 50 bash -c true)
printf 'gantry exec of the no-op workflow: %.2f ms; bash -c true: %.2f ms\n' \
  "$(awk -v s="$exec_s" 'BEGIN { print s * 1000 }')" "$(awk -v s="$bash_s" 'BEGIN { print s * 1000 }')"
printf 'webhook -> step started over bash -c true: %sx; webhook -> run completed over gantry exec: %sx\n' \
  "$(ratio "$start_med" "$(awk -v s="$bash_s" 'BEGIN { print s * 1000 }')")" \
  "$(ratio "$done_med" "$(awk -v s="$exec_s" 'BEGIN { print s * 1000 }')")"
if apt-cache policy laminar 2>/dev/null | grep -q Candidate; then
  echo "laminar is packaged here: not yet measured by this script"
else
  echo "Laminar (not packaged here; reference, not measured here): ~50 ms per sequential no-op run, ~20 queued no-op runs/s, ~9 MB idle RSS"
fi
