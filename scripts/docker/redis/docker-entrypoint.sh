#!/bin/sh
# Entrypoint of the local redis:7 image: `docker run redis:7 --port 7000` and
# `docker run redis:7 my.conf` mean redis-server with those arguments; the server runs
# as the redis user when started as root.
set -eu
case "${1:-}" in
  -* | *.conf) set -- redis-server "$@" ;;
esac
if [ "${1:-}" = redis-server ] && [ "$(id -u)" = 0 ]; then
  exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi
exec "$@"
