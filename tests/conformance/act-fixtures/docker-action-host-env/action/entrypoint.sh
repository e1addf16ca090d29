#!/bin/bash
# Stand-in for act's fixture (FIXTURES-OMITTED.tsv): greets its argument, shows the environment
# and the workspace, and says whether the action's Dockerfile is visible there.
set -e
echo "Hello, $1!"
env
ls -la "$PWD"
ls -la "$PWD/docker-action-host-env"
if [ -f "$PWD/docker-action-host-env/action/Dockerfile" ]; then
  echo "Dockerfile found in the workspace"
else
  echo "no Dockerfile in the workspace"
fi
