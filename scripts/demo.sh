#!/usr/bin/env bash
# `make demo`: shows what Gantry does today on the sample project in examples/.
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G="$ROOT/$BUILD/gantry"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "gantry lint examples/.github/workflows (the reference pipeline: expect no errors)"
(cd "$ROOT/examples" && "$G" lint .github/workflows)
echo "clean"

step "gantry lint examples/broken/bad.yml (a workflow with mistakes: expect errors)"
set +e
(cd "$ROOT/examples" && "$G" lint broken/bad.yml)
code=$?
set -e
echo "exit code $code (1 = errors found)"
[[ $code -eq 1 ]]

step "gantry expr: evaluate a job's if: condition against a push event"
ctx=$(mktemp)
trap 'rm -f "$ctx"' EXIT
cat >"$ctx" <<'JSON'
{"github": {"event_name": "push", "ref": "refs/heads/main", "sha": "4f2a9c1",
            "event": {"commits": [{"message": "fix: parser"}, {"message": "docs: readme"}]}},
 "needs": {"build": {"result": "success"}, "test": {"result": "success"}}}
JSON
for e in "github.ref == 'refs/heads/main' && !contains(needs.*.result, 'failure')" \
         "format('{0}-{1}', github.ref_name || 'main', github.sha)" \
         "github.event.commits.*.message" \
         "fromJSON('[1,2,3]')[1] == 2 && 'Main' == 'MAIN'"; do
  printf '$ gantry expr "%s"\n' "$e"
  "$G" expr "$e" --context "$ctx"
done
