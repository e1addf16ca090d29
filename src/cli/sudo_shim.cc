#include "cli/sudo_shim.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace gantry::cli {

std::string SudoShimScript() {
  return R"SH(#!/bin/sh
# gantry exec's sudo: gantry runs as root and this machine has no sudo, so commands run as
# root directly, as with the password-less sudo of GitHub's runners (--no-sudo-shim: off).
if [ -n "${RUNNER_TEMP:-}" ] && [ ! -e "$RUNNER_TEMP/.gantry-sudo-shim" ]; then
  : > "$RUNNER_TEMP/.gantry-sudo-shim" 2>/dev/null
  echo "gantry: 'sudo' is gantry's shim (gantry runs as root, this machine has no sudo): it runs the command as root; --no-sudo-shim turns it off" >&2
fi
fail() { echo "sudo (gantry's shim): $*" >&2; exit 1; }
check_user() {
  case "$1" in
    root|0|'#0') ;;
    *) fail "runs commands as root only, not as '$1': install sudo, or run gantry as a user who has it" ;;
  esac
}
shell=0
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    -u|--user) [ $# -ge 2 ] || fail "option $1 needs a user"; check_user "$2"; shift 2 ;;
    --user=*) check_user "${1#--user=}"; shift ;;
    -g|--group) [ $# -ge 2 ] || fail "option $1 needs a group"; shift 2 ;;
    --group=*|--preserve-env|--preserve-env=*|--non-interactive|--set-home|--stdin|--reset-timestamp|--background|--login-class=*) shift ;;
    --login|--shell) shell=1; shift ;;
    -v|--validate|-K|--remove-timestamp) exit 0 ;;
    -V|--version) echo "gantry sudo shim (runs commands as root)"; exit 0 ;;
    -h|--help) echo "usage: sudo [-EHnSkb] [-u root] [--] [VAR=value...] command [args...] (gantry's shim)"; exit 0 ;;
    -l|--list) echo "User $(id -un) may run the following commands: (ALL) NOPASSWD: ALL"; exit 0 ;;
    --*) fail "option $1 is not supported" ;;
    -?*)
      flags=${1#-}; shift
      while [ -n "$flags" ]; do
        f=$(printf '%.1s' "$flags"); flags=${flags#?}
        case "$f" in
          E|n|H|S|k|b|P|A) ;;
          i|s) shell=1 ;;
          u|g)
            if [ -n "$flags" ]; then arg=$flags; flags=''
            else [ $# -ge 1 ] || fail "option -$f needs an argument"; arg=$1; shift; fi
            [ "$f" = u ] && check_user "$arg" ;;
          *) fail "option -$f is not supported" ;;
        esac
      done ;;
    *) break ;;
  esac
done
if [ $# -eq 0 ]; then
  [ "$shell" = 1 ] && exec "${SHELL:-/bin/sh}"
  fail "no command given (usage: sudo [-EHn] [-u root] command [args...])"
fi
if [ "$shell" = 1 ]; then exec "${SHELL:-/bin/sh}" -c "$*"; fi
exec env -- "$@"
)SH";
}

bool HasProgramOnPath(const std::string& path, const std::string& program) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    if (colon == std::string::npos) colon = path.size();
    std::string dir = path.substr(start, colon - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + program;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return true;
    }
    start = colon + 1;
  }
  return false;
}

core::Status WriteSudoShim(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return core::Status::Internal("cannot create " + dir + ": " + ec.message());
  const std::string path = dir + "/sudo";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << SudoShimScript();
    if (!out.flush()) return core::Status::Internal("cannot write " + path);
  }
  if (chmod(path.c_str(), 0755) != 0) return core::Status::Internal("cannot chmod " + path);
  return core::Status::Ok();
}

}  // namespace gantry::cli
