#!/usr/bin/env bash
# `make demo`, second part: `gantry server` on embedded defaults. Starts a server on a temporary
# data directory, signs up, makes a git repository of examples/ and a project for it, installs
# `gantry hook post-receive` in the repository and pushes, opens a pull request through a
# signed webhook, and prints the runs' jobs and logs.
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

D=$(mktemp -d /tmp/gantry-demo.XXXXXX)
SERVER_PID=
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$D"
}
trap cleanup EXIT

step "gantry server --listen 127.0.0.1:0 --data-dir $D/data (SQLite, embedded executor)"
"$G" server --listen 127.0.0.1:0 --data-dir "$D/data" 2>"$D/server.log" &
SERVER_PID=$!
for _ in $(seq 300); do
  U=$(sed -n 's/.*gantry server listening on //p' "$D/server.log" | head -1)
  [[ -n $U ]] && break
  sleep 0.05
done
[[ -n ${U:-} ]] || { cat "$D/server.log"; exit 1; }
echo "gantry server listening on $U"

step "sign up and log in"
curl -sf -X POST "$U/api/v1/auth/signup" \
  -d '{"username":"alice","password":"correct horse","email":"alice@example.org"}'
echo
T=$(curl -sf -X POST "$U/api/v1/auth/login" -d '{"username":"alice","password":"correct horse"}' |
  json 'd["token"]')
A=(-H "Authorization: Bearer $T")
echo "token ${T:0:8}…"

step "a git repository of examples/ and a project for it"
cp -r "$ROOT/examples" "$D/work"
git -C "$D/work" init -q -b main
git -C "$D/work" add -A
git -C "$D/work" -c user.name=Alice -c user.email=alice@example.org commit -qm "The sample app"
git init -q --bare -b main "$D/shop.git"
git -C "$D/work" push -q "$D/shop.git" main
P=$(curl -sf "${A[@]}" -X POST "$U/api/v1/projects" \
  -d "{\"name\":\"alice/shop\",\"repository\":\"$D/shop.git\",\"default_branch\":\"main\"}")
echo "$P" | json 'json.dumps({k: d[k] for k in ("id", "name", "webhook_url")})'
SECRET=$(echo "$P" | json 'd["webhook_secret"]')
HOOK=$(echo "$P" | json 'd["webhook_url"]')

step "install gantry hook post-receive in the repository, push a branch"
cat >"$D/shop.git/hooks/post-receive" <<HOOKSCRIPT
#!/bin/sh
exec "$G" hook post-receive "$HOOK" "$SECRET"
HOOKSCRIPT
chmod +x "$D/shop.git/hooks/post-receive"
echo "# a change" >>"$D/work/app/calc.sh"
git -C "$D/work" checkout -q -b feature
git -C "$D/work" -c user.name=Alice -c user.email=alice@example.org commit -qam "Faster calc"
git -C "$D/work" push -q "$D/shop.git" feature 2>&1 | sed 's/^/  git: /'
echo "(a push to 'feature' triggers no workflow here: ci-cd.yml runs on main and develop)"

step "open a pull request: a signed pull_request webhook → the PR Validation run"
head=$(git -C "$D/work" rev-parse HEAD)
base=$(git -C "$D/work" rev-parse main)
body="{\"action\":\"opened\",\"number\":1,\"pull_request\":{\"number\":1,\"title\":\"Faster calc\",\"head\":{\"ref\":\"feature\",\"sha\":\"$head\"},\"base\":{\"ref\":\"main\",\"sha\":\"$base\"}},\"sender\":{\"login\":\"alice\"}}"
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')
R=$(curl -sf -X POST "$HOOK" -H "X-GitHub-Event: pull_request" -H "X-GitHub-Delivery: demo-1" \
  -H "X-Hub-Signature-256: sha256=$sig" -d "$body")
echo "$R"
RUN=$(echo "$R" | json 'd["runs"][0]')

step "watch run $RUN until it completes"
for _ in $(seq 1200); do
  S=$(curl -sf "${A[@]}" "$U/api/v1/runs/$RUN")
  [[ $(echo "$S" | json 'd["status"]') == completed ]] && break
  sleep 0.25
done
echo "$S" | json '"run %d (%s): %s %s" % (d["id"], d["name"], d["status"], d["conclusion"])'
echo "$S" | json '"\n".join("  %-28s %-10s %s" % (j["name"], j["conclusion"], j["error"][:60]) for j in d["jobs"])'

step "the log of each job (last lines, without the checkout)"
for job in $(echo "$S" | json '" ".join(str(j["id"]) for j in d["jobs"])'); do
  name=$(curl -sf "${A[@]}" "$U/api/v1/jobs/$job" | json 'd["name"]')
  echo "--- $name"
  curl -sf "${A[@]}" "$U/api/v1/jobs/$job/logs" | grep -v "\[command\]\|Cloning\|From file\|new ref" | tail -6
done

step "runs of alice/shop"
curl -sf "${A[@]}" "$U/api/v1/projects/alice/shop/runs" |
  json '"\n".join("  #%d %-14s %-10s %s %s" % (r["id"], r["event"], r["status"], r["conclusion"], r["display_title"]) for r in d["runs"])'
[[ $(echo "$S" | json 'd["conclusion"]') == success ]]
