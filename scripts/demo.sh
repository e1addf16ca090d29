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

step "gantry exec --list pull_request: the plan of the PR-validation pipeline in examples/"
(cd "$ROOT/examples" && "$G" exec pull_request -W .github/workflows/pr-validation.yml --list)

# A pull request from the current branch into main whose diff is the repository's whole history
# (base = the first commit), so the workflow's paths-ignore filter sees the sample app change.
# ci-cd.yml needs services (Docker) and is not run here yet.
ev="$ctx.event.json"
trap 'rm -f "$ctx" "$ev"' EXIT
base=$(git -C "$ROOT" rev-list --max-parents=0 HEAD 2>/dev/null | tail -n1 || true)
head=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || true)
branch=$(git -C "$ROOT" symbolic-ref -q --short HEAD 2>/dev/null || echo demo)
cat >"$ev" <<JSON
{"action": "opened", "number": 7,
 "pull_request": {"number": 7, "title": "Demo pull request",
                  "head": {"ref": "$branch", "sha": "$head"},
                  "base": {"ref": "main", "sha": "$base"}}}
JSON

step "gantry exec pull_request: lint and test in parallel (a local composite action sets them up), coverage gate, builds uploading their images as artifacts, size check, a final gate downloading them"
(cd "$ROOT/examples" && "$G" exec pull_request -W .github/workflows/pr-validation.yml \
  --eventpath "$ev")

step "gantry exec workflow_dispatch --input coverage-floor=80 (the same pipeline, started by hand)"
(cd "$ROOT/examples" && "$G" exec workflow_dispatch -W .github/workflows/pr-validation.yml \
  --input coverage-floor=80)

step "gantry server: the same pipeline run by the server (scripts/demo-server.sh)"
"$ROOT/scripts/demo-server.sh" "$BUILD"
