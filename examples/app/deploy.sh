#!/usr/bin/env bash
# "Deploys" a build to an environment directory; `rollback` restores the previous one.
set -euo pipefail
env=${1:?usage: deploy.sh ENV TAG | rollback}; tag=${2:-dev}
root=${DEPLOY_ROOT:-${RUNNER_TEMP:-/tmp}/deployments}
mkdir -p "$root"
if [[ $env == rollback ]]; then
  [[ -f $root/previous ]] && cp "$root/previous" "$root/current"
  echo "rolled back to $(cat "$root/current" 2>/dev/null || echo nothing)"; exit 0
fi
[[ -f $root/current ]] && cp "$root/current" "$root/previous"
echo "$env:$tag" > "$root/current"
echo "deployed $tag to $env" | tee deploy.log
