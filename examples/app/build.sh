#!/usr/bin/env bash
# "Builds an image": packs the app into dist/<name>-<tag>.tar.gz.
set -euo pipefail
name=${1:?usage: build.sh NAME [TAG]}; tag=${2:-dev}
cd "$(dirname "$0")/.."
mkdir -p dist
tar -czf "dist/$name-$tag.tar.gz" app
echo "built dist/$name-$tag.tar.gz"
