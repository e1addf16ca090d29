#pragma once

// The backend of `gantry exec --sandbox`: each step process runs through bubblewrap (bwrap)
// under the host backend's process runner (same tree kill, timeouts, cancellation and output
// streaming), so it sees:
// - the host file system read-only, except `writable` dirs (bound read-write at the same
//   path), a fresh tmpfs on /tmp, a minimal /dev, its own /proc, and $HOME (see `home`);
// - its own pid, IPC and UTS namespaces, and with network = false its own network namespace
//   holding only `lo`;
// - uid/gid `uid`/`gid` in a user namespace, with every capability dropped, in a new session.
// The step's environment is exactly ProcessSpec::env, except that bwrap sets PWD to the
// working directory.
//
// Not a boundary against hostile code when gantry runs as root: bwrap maps the step's uid
// to the uid that runs gantry, so the step may read files that user owns (e.g. /etc/shadow
// for root) and connect to its Unix sockets. Run gantry as an unprivileged user for that.
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
  /// The step's uid and gid inside the sandbox.
  uid_t uid = 1000;
  gid_t gid = 1000;
  /// Per-run limits; 0 = none. The limits count bwrap's own two processes and memory.
  int64_t memory_bytes = 0;
  int64_t pids_max = 0;
  /// The bwrap program; "" = looked up in this process's PATH.
  std::string bwrap;
  /// When the step's $HOME is an existing directory outside `writable`: this existing host
  /// directory is bound read-write at $HOME's path (shared by every step). "" = a fresh empty
  /// tmpfs at $HOME for each step.
  std::string home;
};

/// A sandboxing backend. Unavailable, with a message saying to install bubblewrap, when
/// bwrap is missing or cannot create the namespaces here (probed once, by running `true` in
/// a sandbox); InvalidArgument when a writable dir or `home` is not an existing directory.
/// `notes`, when given, receives one line per requested limit saying whether it is enforced
/// (limits that cannot be enforced do not make this fail).
core::Result<std::unique_ptr<Backend>> MakeSandboxBackend(
    const SandboxOptions& options, std::vector<std::string>* notes = nullptr);

}  // namespace gantry::backend
