#!/usr/bin/env bash
# Smoke test of a running Gantry server at URL: liveness (/health), readiness (/ready), sign-up
# of a user, log-in, and the authenticated list of built-in patterns (GET /api/v1/patterns,
# which refuses a request without a token). Each step prints what it checked; the first failure
# says what was wrong and exits 1.
#
#   scripts/smoke.sh http://127.0.0.1:8080
#   scripts/smoke.sh --user alice --password 'correct horse' https://ci.example.org
#
# --user: without it, a new unique user (smoke-<time>-<pid>) signs up. With it, the user signs up
# unless it exists already (409), then logs in: on a server with --signup=closed give an
# existing account. --password: default a random one (only useful for a new user).
# --timeout SECONDS: how long /health may take to answer at first (default 30).
# --web: also require the web UI at / (200, HTML), e.g. of the API image.
# Needs bash, curl and python3.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
user="" password="" wait_s=30 url="" web=0
while (($#)); do
  case $1 in
    --user) user=${2:?--user needs a value}; shift 2 ;;
    --user=*) user=${1#*=}; shift ;;
    --password) password=${2:?--password needs a value}; shift 2 ;;
    --password=*) password=${1#*=}; shift ;;
    --timeout) wait_s=${2:?--timeout needs a value}; shift 2 ;;
    --web) web=1; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "smoke: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) [[ -z $url ]] || { echo "smoke: one URL only (got '$url' and '$1')" >&2; exit 2; }
       url=$1; shift ;;
  esac
done
[[ -n $url ]] || { usage >&2; exit 2; }
url=${url%/}
command -v curl >/dev/null || { echo "smoke: curl is not installed" >&2; exit 2; }
command -v python3 >/dev/null || { echo "smoke: python3 is not installed" >&2; exit 2; }

new_user=0
if [[ -z $user ]]; then
  user="smoke-$(date +%s)-$$"
  new_user=1
fi
[[ -n $password ]] || password="smoke-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

ok() { echo "smoke: ok: $*"; }
fail() {
  echo "smoke: FAIL: $*" >&2
  exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# request METHOD PATH [BODY] [CURL ARGS...]: sets $code (HTTP status, 000 = no answer) and
# $body (the answer's body). Never fails itself: the caller checks.
request() {
  local method=$1 path=$2 data=${3:-}
  shift $(($# < 3 ? $# : 3))
  local args=(-sS -o "$tmp/body" -w '%{http_code}' -X "$method" --max-time 15 "$@")
  [[ -z $data ]] || args+=(-H 'Content-Type: application/json' --data-binary "$data")
  code=$(curl "${args[@]}" "$url$path" 2>"$tmp/err") || true
  [[ -n $code ]] || code=000
  body=$(cat "$tmp/body" 2>/dev/null || true)
  if [[ $code == 000 ]]; then
    body="no answer: $(tr '\n' ' ' <"$tmp/err")"
  fi
}
# field EXPR: evaluates the Python expression EXPR on the JSON $body (as d); prints the result.
field() {
  printf '%s' "$body" | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$1" 2>/dev/null
}
json_str() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }

echo "smoke: $url (user $user)"

# 1. liveness: the server may still be starting; wait up to --timeout seconds.
deadline=$((SECONDS + wait_s))
while true; do
  request GET /health
  [[ $code == 200 || $SECONDS -ge $deadline ]] && break
  sleep 0.5
done
[[ $code == 200 ]] || fail "GET $url/health answered $code after ${wait_s} s, want 200: ${body:0:300}"
version=$(field 'd.get("version", "")') || fail "GET /health: the body is not JSON: ${body:0:300}"
ok "GET /health 200 (version ${version:-?})"

# 2. readiness: the database answers.
request GET /ready
[[ $code == 200 ]] || fail "GET $url/ready answered $code, want 200 (is the database reachable?): ${body:0:300}"
ok "GET /ready 200 (database $(field 'd.get("database", "?")' || echo '?'))"

if ((web)); then
  request GET /
  [[ $code == 200 && $body == *"<html"* ]] ||
    fail "GET $url/ answered $code without HTML, want the web UI (--web-dir): ${body:0:300}"
  ok "GET / 200: the web UI"
fi

# 3. sign-up.
juser=$(json_str "$user")
jpass=$(json_str "$password")
request POST /api/v1/auth/signup "{\"username\":$juser,\"password\":$jpass,\"email\":$(json_str "$user@example.org")}"
if [[ $code == 201 ]]; then
  id=$(field 'd["user"]["id"]') || fail "POST /api/v1/auth/signup: 201 without user.id: ${body:0:300}"
  ok "POST /api/v1/auth/signup 201 (user $user, id $id)"
elif [[ $code == 409 && $new_user == 0 ]]; then
  ok "POST /api/v1/auth/signup 409: user $user exists already; logging in"
else
  fail "POST /api/v1/auth/signup answered $code, want 201 (closed sign-up? then give --user of an existing account): ${body:0:300}"
fi

# 4. log-in.
request POST /api/v1/auth/login "{\"username\":$juser,\"password\":$jpass}"
[[ $code == 200 ]] || fail "POST /api/v1/auth/login as $user answered $code, want 200: ${body:0:300}"
token=$(field 'd["token"]') || fail "POST /api/v1/auth/login: 200 without a token: ${body:0:300}"
[[ -n $token && $token != None ]] || fail "POST /api/v1/auth/login: empty token"
ok "POST /api/v1/auth/login 200 (a token of ${#token} characters)"

# 5. the patterns: refused without the token, listed with it.
request GET /api/v1/patterns
[[ $code == 401 ]] || fail "GET /api/v1/patterns without a token answered $code, want 401"
ok "GET /api/v1/patterns without a token 401"
request GET /api/v1/patterns "" -H "Authorization: Bearer $token"
[[ $code == 200 ]] || fail "GET /api/v1/patterns with the token answered $code, want 200: ${body:0:300}"
count=$(field 'len(d["patterns"])') || fail "GET /api/v1/patterns: no 'patterns' list: ${body:0:300}"
((count > 0)) || fail "GET /api/v1/patterns: the list is empty, want the built-in patterns"
names=$(field '", ".join(p["name"] for p in d["patterns"][:5])' || true)
ok "GET /api/v1/patterns 200 ($count patterns: ${names}$( ((count > 5)) && echo ", …"))"

echo "smoke: all checks passed against $url"
