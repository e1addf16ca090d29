# shellcheck shell=bash
# Shared by docker-up.sh, docker-down.sh, podman-up.sh and podman-down.sh (sourced, not run):
# messages prefixed with the script's name, running as root (directly or through
# passwordless sudo) and installing missing Debian packages.
# Set TOOL (the message prefix) before sourcing.

log() { echo "$TOOL: $*" >&2; }
# Exit 3: the engine cannot exist here (tests map it to "skipped").
unavailable() {
  log "unavailable: $*"
  exit 3
}
die() {
  log "error: $*"
  exit 1
}

as_root=()
# need_root WHY: as root, or through sudo -n; otherwise unavailable, saying WHY.
need_root() {
  if [[ $(id -u) -ne 0 ]]; then
    sudo -n true 2>/dev/null || unavailable "$1 and passwordless sudo is not available"
    as_root=(sudo -n)
  fi
}
root() { "${as_root[@]}" "$@"; }

# install_packages PKG...: installs the packages that are missing (no recommends), once.
install_packages() {
  local missing=() p t0 apt_log
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  command -v apt-get >/dev/null || unavailable "apt-get not found (need a Debian-like machine)"
  log "installing ${missing[*]}"
  t0=$SECONDS
  root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 ||
    unavailable "apt-get update failed"
  apt_log=$(mktemp "/tmp/gantry-$TOOL-apt.XXXXXX")
  if ! root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}" >"$apt_log" 2>&1; then
    tail -n 5 "$apt_log" >&2
    rm -f "$apt_log"
    unavailable "apt-get install ${missing[*]} failed"
  fi
  rm -f "$apt_log"
  log "installed in $((SECONDS - t0)) s"
}

# lock_state_dir ENGINE: holds $DIR/lock (fd 9) against the other up/down script of ENGINE.
lock_state_dir() {
  root touch "$DIR/lock"
  exec 9<"$DIR/lock"
  flock -w 900 9 || die "another $1-up.sh/$1-down.sh holds $DIR/lock for 15 min"
}

# await_engine PID NAME LOG: waits (at most 30 s, while PID lives) until the caller's `answers`
# succeeds; otherwise stops PID, shows the end of LOG and exits unavailable.
await_engine() {
  local pid=$1 name=$2 logfile=$3
  for _ in $(seq 1 300); do
    answers && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! answers; then
    root kill -TERM "$pid" 2>/dev/null || true
    tail -n 5 "$logfile" >&2 || true
    unavailable "$name did not start (log: $logfile)"
  fi
}
