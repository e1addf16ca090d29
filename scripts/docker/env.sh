# shellcheck shell=bash
# Sourced by scripts/docker-up.sh, docker-down.sh and build-images.sh: the state dir and the
# network of the private engine, and the apt sources its images are built with. Each state dir
# gets its own bridge and subnet, so engines of different dirs coexist on one machine.
DIR=${GANTRY_DOCKER_DIR:-/var/tmp/gantry-docker}
if [[ $DIR == /var/tmp/gantry-docker ]]; then
  BRIDGE=${GANTRY_DOCKER_BRIDGE:-gantry0}
  BIP=${GANTRY_DOCKER_BIP:-10.213.0.1/24}
else
  dir_hash=$(printf '%s' "$DIR" | sha256sum | cut -c1-8)
  BRIDGE=${GANTRY_DOCKER_BRIDGE:-gd$dir_hash}
  BIP=${GANTRY_DOCKER_BIP:-10.213.$((16#${dir_hash:0:4} % 200 + 20)).1/24}
fi
SOCK="$DIR/docker.sock"
export BRIDGE BIP SOCK

# apt_sources_file: prints the apt sources file that images are built with (their containers
# reach only the Debian mirror configured there): GANTRY_APT_SOURCES, else the machine's
# /etc/apt/sources.list.d/debian.sources, else /etc/apt/sources.list.
apt_sources_file() {
  local sources=${GANTRY_APT_SOURCES:-}
  if [[ -z $sources ]]; then
    sources=/etc/apt/sources.list.d/debian.sources
    [[ -f $sources ]] || sources=/etc/apt/sources.list
  fi
  printf '%s\n' "$sources"
}
