#!/bin/sh
# Stand-in for act's fixture (FIXTURES-OMITTED.tsv): greets its first argument, sets the outputs
# `time` and `whoami` ($WHOAMI) and exports SOMEVAR=<first argument> to later steps.
set -e
echo "Hello $1"
echo "::set-output name=time::$(date)"
echo "::set-output name=whoami::$WHOAMI"
echo "SOMEVAR=$1" >>"$GITHUB_ENV"
