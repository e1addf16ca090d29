#!/usr/bin/env bash
# The layout of several machines, on this one (docs/scale-out.md): PostgreSQL, Redis, two
# `gantry server` replicas sharing them (and a key file and an artifact directory), three
# `gantry executor` agents with different labels. Executors talk to api-1 and webhooks go to
# api-2 (in production both go through a load balancer in front of every replica). Runs the
# reference pipeline of examples/ (the PR Validation workflow) through it, shows which replica
# and which executor did what, kills one replica with SIGKILL mid-run to show the other taking
# its runs over, and stops everything.
#   scripts/scale-out-demo.sh [BUILD_DIR]        (default build; `make build` first)
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
[[ -x $G ]] || { echo "no $G: run make build first" >&2; exit 1; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

D=$(mktemp -d /tmp/gantry-scale-out.XXXXXX)
PIDS=()
export GANTRY_REDIS_PORT=${GANTRY_REDIS_PORT:-56381}
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  "$ROOT/scripts/redis-down.sh"
  rm -rf "$D"
}
trap cleanup EXIT

step "PostgreSQL and Redis"
DB=$("$ROOT/scripts/pg-up.sh" --fresh gantry_scale_out | tail -1)
REDIS=$("$ROOT/scripts/redis-up.sh" | tail -1)
echo "database $DB"
echo "redis    $REDIS"

# replica NAME: starts a replica; its URL in $D/NAME.url
replica() {
  "$G" server --listen 127.0.0.1:0 --data-dir "$D/$1" --database "$DB" --redis "$REDIS" \
    --replica-id "$1" --key-file "$D/server.key" --storage-dir "$D/storage" \
    --embedded-executor=false --replica-claim-seconds 5 2>"$D/$1.log" &
  PIDS+=($!)
  echo $! >"$D/$1.pid"
  for _ in $(seq 300); do
    U=$(sed -n 's/.*gantry server listening on //p' "$D/$1.log" | head -1)
    [[ -n $U ]] && break
    sleep 0.05
  done
  [[ -n ${U:-} ]] || { cat "$D/$1.log"; exit 1; }
  echo "$U" >"$D/$1.url"
  echo "replica $1 listening on $U (pid $(cat "$D/$1.pid"))"
}
step "two API replicas on the same PostgreSQL and Redis (no embedded executor)"
replica api-1
replica api-2
U1=$(cat "$D/api-1.url")
U2=$(cat "$D/api-2.url")

step "sign up on api-1, log in on api-2 (one system)"
curl -sf -X POST "$U1/api/v1/auth/signup" \
  -d '{"username":"alice","password":"correct horse","email":"alice@example.org"}' >/dev/null
T=$(curl -sf -X POST "$U2/api/v1/auth/login" -d '{"username":"alice","password":"correct horse"}' |
  json 'd["token"]')
A=(-H "Authorization: Bearer $T")
echo "token ${T:0:8}…"

step "three executors with different labels, registered with registration tokens"
# executor NAME LABELS URL
executor() {
  local tok
  tok=$(curl -sf "${A[@]}" -X POST "$3/api/v1/executors/registration-tokens" -d '{}' |
    json 'd["token"]')
  "$G" executor register --url "$3" --token "$tok" --name "$1" --labels "$2" \
    --config "$D/$1.yml" | sed 's/^/  /'
  "$G" executor run --config "$D/$1.yml" --work-dir "$D/$1-work" --capacity 2 \
    2>"$D/$1.log" >&2 &
  PIDS+=($!)
}
executor small-1 small "$U1"
executor large-1 large,docker "$U1"
executor gpu-1 gpu "$U1"
sleep 0.5
curl -sf "${A[@]}" "$U1/api/v1/executors" |
  json '"\n".join("  %-8s %-7s %s" % (e["name"], e["state"], ",".join(e["labels"])) for e in d["executors"])'

step "a git repository of examples/ and a project for it (created on api-1)"
cp -r "$ROOT/examples" "$D/work"
git -C "$D/work" init -q -b main
git -C "$D/work" add -A
git -C "$D/work" -c user.name=Alice -c user.email=alice@example.org commit -qm "The sample app"
git init -q --bare -b main "$D/shop.git"
git -C "$D/work" push -q "$D/shop.git" main
P=$(curl -sf "${A[@]}" -X POST "$U1/api/v1/projects" \
  -d "{\"name\":\"alice/shop\",\"repository\":\"$D/shop.git\",\"default_branch\":\"main\"}")
SECRET=$(echo "$P" | json 'd["webhook_secret"]')

step "a pull request, delivered to api-2 as a signed webhook: the PR Validation run"
echo "# a change" >>"$D/work/app/calc.sh"
git -C "$D/work" checkout -q -b feature
git -C "$D/work" -c user.name=Alice -c user.email=alice@example.org commit -qam "Faster calc"
git -C "$D/work" push -q "$D/shop.git" feature
head=$(git -C "$D/work" rev-parse HEAD)
base=$(git -C "$D/work" rev-parse main)
pr() {
  local body sig
  body="{\"action\":\"$1\",\"number\":1,\"pull_request\":{\"number\":1,\"title\":\"Faster calc\",\"head\":{\"ref\":\"feature\",\"sha\":\"$head\"},\"base\":{\"ref\":\"main\",\"sha\":\"$base\"}},\"sender\":{\"login\":\"alice\"}}"
  sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')
  curl -sf -X POST "$2/api/v1/hooks/alice/shop" -H "X-GitHub-Event: pull_request" \
    -H "X-GitHub-Delivery: demo-$1" -H "X-Hub-Signature-256: sha256=$sig" -d "$body"
}
RUN=$(pr opened "$U2" | json 'd["runs"][0]')
echo "run $RUN"
# wait_run ID URL
wait_run() {
  for _ in $(seq 1200); do
    S=$(curl -sf "${A[@]}" "$2/api/v1/runs/$1" || true)
    [[ -n $S && $(echo "$S" | json 'd["status"]') == completed ]] && break
    sleep 0.25
  done
  echo "$S" | json '"run %d (%s): %s %s" % (d["id"], d["name"], d["status"], d["conclusion"])'
  echo "$S" | json '"\n".join("  %-28s %-10s on %s" % (j["name"], j["conclusion"], j["executor"]) for j in d["jobs"])'
  [[ $(echo "$S" | json 'd["conclusion"]') == success ]]
}
wait_run "$RUN" "$U1"

step "again (synchronize), then kill -9 api-2 while the run is in progress"
RUN=$(pr synchronize "$U2" | json 'd["runs"][0]')
echo "run $RUN, driven by api-2"
for _ in $(seq 200); do
  st=$(curl -sf "${A[@]}" "$U1/api/v1/runs/$RUN" | json 'd["status"]')
  [[ $st == in_progress ]] && break
  sleep 0.05
done
{ kill -9 "$(cat "$D/api-2.pid")" && wait "$(cat "$D/api-2.pid")"; } 2>/dev/null || true
echo "api-2 killed: api-1 takes its runs over once api-2's claim lapses (5 s here)"
wait_run "$RUN" "$U1"
grep -h "takes it over" "$D/api-1.log" | sed 's/^/  /' || true

step "stop everything"
