#pragma once

// The backend of `gantry exec --sandbox`: each step process runs through bubblewrap (bwrap)
// under the host backend's process runner (same tree kill, timeouts, cancellation and output
// streaming), so it sees:
// - the host file system read-only, except `writable` dirs (bound read-write at the same
//   path), a fresh tmpfs on /tmp, a minimal /dev, its own /proc, and $HOME (see `home`);
// - its own pid, IPC and UTS namespaces, and with network = false its own network namespace
//   holding only `lo`;
// - uid `uid`, gid `gid`, no capabilities, a new session:
//   - when gantry runs as root, as the real host uid/gid: bwrap (root, no user namespace)
//     builds the namespaces and setpriv (util-linux) drops to uid/gid, without supplementary
//     groups, with an empty bounding set and no_new_privs, before the step starts, so the
//     step gets only what that uid may do on the host (not /etc/shadow, not root's Unix
//     sockets). The writable dirs and `home` are handed to uid/gid (every entry root owns,
//     recursively) when the backend is made and again before each step, since gantry keeps
//     creating files there; files steps create belong to uid/gid while the backend lives,
//     and everything uid owns there goes back to root when it is destroyed. /tmp, /dev/shm
//     and a tmpfs $HOME are world-writable (sticky for /tmp and /dev/shm);
//   - otherwise in a user namespace that maps uid/gid to the user that runs gantry.
// The step's environment is exactly ProcessSpec::env, except that bwrap sets PWD to the
// working directory.
//
// Memory and pids limits apply to each run's own cgroups where the machine has the cgroup v1
// memory/pids controllers (see limit_cgroups.h); MakeSandboxBackend reports what it enforces.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "core/status.h"

namespace gantry::backend {

struct SandboxOptions {
  /// Existing directories bound read-write at their own path (the run directory: workspaces,
  /// temp dirs, file-command files). Other paths are read-only.
  std::vector<std::string> writable;
  /// false: a network namespace of its own (only loopback).
  bool network = true;
  /// The step's uid and gid: real host ids when gantry runs as root, else ids in a user
  /// namespace.
  uid_t uid = 1000;
  gid_t gid = 1000;
  /// Per-run limits; 0 = none. The limits count bwrap's own two processes and memory.
  int64_t memory_bytes = 0;
  int64_t pids_max = 0;
  /// The bwrap program; "" = looked up in this process's PATH.
  std::string bwrap;
  /// The setpriv program that drops root to uid/gid (used only as root); "" = looked up in
  /// this process's PATH.
  std::string setpriv;
  /// When the step's $HOME is an existing directory outside `writable`: this existing host
  /// directory is bound read-write at $HOME's path (shared by every step). "" = a fresh empty
  /// tmpfs at $HOME for each step.
  std::string home;
};

/// A sandboxing backend. Unavailable, with a message saying to install bubblewrap, when
/// bwrap is missing or cannot create the namespaces here (probed once, by running `true` in
/// a sandbox), or as root when setpriv is missing; InvalidArgument when a writable dir or
/// `home` is not an existing directory, or as root when uid/gid may not search its parents.
/// As root, gives the writable dirs and `home` to uid/gid, and back to root when the backend
/// is destroyed (see above).
/// `notes`, when given, receives one line per requested limit saying whether it is enforced
/// (limits that cannot be enforced do not make this fail).
core::Result<std::unique_ptr<Backend>> MakeSandboxBackend(
    const SandboxOptions& options, std::vector<std::string>* notes = nullptr);

}  // namespace gantry::backend
