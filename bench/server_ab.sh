#!/usr/bin/env bash
# Webhook -> step started / run completed of two gantry binaries (e.g. main's and a branch's),
# both servers up side by side and the pushes alternated between them, so that both see the
# same load (figures of docs/server.md, "Speed").
# Usage: bench/server_ab.sh BASE_GANTRY NEW_GANTRY [PUSHES_EACH]
set -euo pipefail
BASE_BIN=$1
NEW_BIN=$2
N=${3:-60}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
trap 'kill $(cat "$T"/base/pid "$T"/new/pid 2>/dev/null) 2>/dev/null || true; sleep 0.5; rm -rf "$T"' EXIT
for v in base new; do
  G=$([[ $v == base ]] && echo "$BASE_BIN" || echo "$NEW_BIN")
  D=$T/$v; mkdir -p $D/data
  $G server --listen 127.0.0.1:0 --data-dir $D/data --executor-capacity 2 > $D/data/log 2>&1 &
  echo $! > $D/pid
  url=""
  for _ in $(seq 1 1000); do
    url=$(sed -n 's/.*listening on //p' $D/data/log)
    [[ -n $url ]] && break
    sleep 0.01
  done
  echo $url > $D/url
  curl -sf -X POST "$url/api/v1/auth/signup" -d '{"username":"bench","password":"correct horse","email":"b@x.org"}' >/dev/null
  curl -sf -X POST "$url/api/v1/auth/login" -d '{"username":"bench","password":"correct horse"}' | jq -r .token > $D/token
  git init -q --bare -b main $D/r.git; git init -q -b main $D/w; mkdir -p $D/w/.github/workflows
  printf 'on: push\njobs:\n  t:\n    runs-on: self-hosted\n    steps:\n      - run: date +%%s%%N > %s/stamp\n' $D > $D/w/.github/workflows/w.yml
  git -C $D/w add -A; git -C $D/w -c user.name=A -c user.email=a@x.org commit -qm i; git -C $D/w push -q $D/r.git HEAD:refs/heads/main
  curl -sf -H "Authorization: Bearer $(cat $D/token)" -X POST "$url/api/v1/projects" -d "{\"name\":\"bench/p\",\"repository\":\"$D/r.git\",\"default_branch\":\"main\"}" | jq -r .webhook_secret > $D/secret
done
python3 - "$N" "$T" "$ROOT/bench" <<'PY'
import sys, time
sys.path.insert(0, sys.argv[3])
import server_driver as d
n=int(sys.argv[1])
S={}
for v in ("base","new"):
    D='%s/%s/' % (sys.argv[2], v)
    r=lambda f: open(D+f).read().strip()
    S[v]=dict(D=D,c=d.Conn(r('url'),r('token')),secret=r('secret'),start=[],done=[])
for i in range(n):
    for v in (("base","new") if i%2==0 else ("new","base")):
        s=S[v]; D=s['D']
        before, sha = d.new_commit(D+'r.git', i)
        open(D+'stamp','w').close()
        t0=time.time_ns()
        runs=s['c'].push('bench/p', s['secret'], before, sha, 'ab%d%s'%(i,sha))
        while s['c'].run(runs[0])['status']!='completed': time.sleep(0.0005)
        t2=time.time_ns()
        s['start'].append((int(open(D+'stamp').read())-t0)/1e6); s['done'].append((t2-t0)/1e6)
for v in ("base","new"):
    s=S[v]
    print(v, "started median %.1f p99 %.1f | completed median %.1f p99 %.1f" % (d.pct(s['start'],50), d.pct(s['start'],99), d.pct(s['done'],50), d.pct(s['done'],99)))
PY
