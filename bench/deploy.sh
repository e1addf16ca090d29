#!/usr/bin/env bash
# Benchmark of what deploy pipelines wait on in `gantry server` (docs/server.md, "Concurrency",
# "Environments and approvals"), on embedded defaults (SQLite, embedded executor):
#  1. webhook -> step started for a fresh push (no group, no environment): the reference;
#  2. the hand-off of a `concurrency:` group: from the holder's step ending to the pending
#     run's step starting (job and run completing, the next run admitted, queued, leased, its
#     process started);
#  3. an approval (POST /api/v1/runs/{id}/approvals) -> the waiting job's step started;
# next to `bash -c true`, the physical floor of "a process started". GitHub publishes no such
# figures for its hosted service; none are packaged here to run side by side.
# Usage: bench/deploy.sh [BUILD_DIR] [N]
set -euo pipefail
BUILD=${1:-build}
N=${2:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
source "$ROOT/bench/exec_common.sh"
[[ -x $G ]] || { echo "deploy: $G not built" >&2; exit 1; }
command -v python3 >/dev/null || { echo "deploy: skipped (needs python3)"; exit 0; }
DRIVER="$ROOT/bench/deploy_driver.py"

dir=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
mkdir -p "$dir/data" "$dir/stamps"
"$G" server --listen 127.0.0.1:0 --data-dir "$dir/data" >"$dir/server.log" 2>&1 &
pid=$!
url=""
for _ in $(seq 1 3000); do
  url=$(sed -n 's/.*gantry server listening on //p' "$dir/server.log" | tail -1)
  [[ -n $url ]] && break
  sleep 0.01
done
[[ -n $url ]] || { cat "$dir/server.log" >&2; exit 1; }
curl -sf -X POST "$url/api/v1/auth/signup" \
  -d '{"username":"bench","password":"correct horse","email":"b@x.org"}' >/dev/null
token=$(curl -sf -X POST "$url/api/v1/auth/login" -d '{"username":"bench","password":"correct horse"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
api() { curl -sf -H "Authorization: Bearer $token" "$@"; }

# project NAME WORKFLOW: a bare repository holding WORKFLOW and a project on it; sets $bare,
# $secret.
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

S="$dir/stamps"
project fresh "on: push
jobs:
  t:
    runs-on: self-hosted
    steps:
      - run: date +%s%N > $S/start-\$GITHUB_RUN_ID"
fresh=$(python3 "$DRIVER" fresh "$url" "$token" bench/fresh "$secret" "$bare" "$S" "$N")

project group "on: push
concurrency: production
jobs:
  t:
    runs-on: self-hosted
    steps:
      - run: date +%s%N > $S/start-\$GITHUB_RUN_ID; sleep 0.2; date +%s%N > $S/end-\$GITHUB_RUN_ID"
handoff=$(python3 "$DRIVER" handoff "$url" "$token" bench/group "$secret" "$bare" "$S" "$N")

project review "on: push
jobs:
  deploy:
    runs-on: self-hosted
    environment: production
    steps:
      - run: date +%s%N > $S/start-\$GITHUB_RUN_ID"
api -X PUT "$url/api/v1/projects/bench/review/environments/production" \
  -d '{"reviewers":["bench"]}' >/dev/null
approval=$(python3 "$DRIVER" approval "$url" "$token" bench/review "$secret" "$bare" "$S" "$N")

bash_s=$(time_median "bash -c true" 50 bash -c true)
bash_ms=$(awk -v s="$bash_s" 'BEGIN { printf "%.2f", s * 1000 }')
med() { echo "$1" | sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p'; }
echo "$N pushes, webhook -> step started (no group): $fresh"
echo "$N concurrency hand-offs, holder's step ended -> pending run's step started: $handoff"
echo "$N approvals, POST approval -> waiting job's step started: $approval"
echo "bash -c true: $bash_ms ms"
echo "hand-off over a fresh push's start: $(ratio "$(med "$handoff")" "$(med "$fresh")")x;" \
  "approval over a fresh push's start: $(ratio "$(med "$approval")" "$(med "$fresh")")x;" \
  "hand-off over bash -c true: $(ratio "$(med "$handoff")" "$bash_ms")x"
