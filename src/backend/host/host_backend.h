#pragma once

// The backend that runs step processes directly on this machine (MakeHostBackend()).
//
// Containment, strongest available first:
// - cgroup v2 (pure, or hybrid at /sys/fs/cgroup/unified) where this process may create
//   cgroups below its own: each run gets a leaf cgroup; every process of the tree — also one
//   that left the process group with setsid — gets SIGTERM, then SIGKILL (cgroup.kill), and
//   Run returns only when the cgroup is empty. The process becomes a child subreaper, so
//   orphans of a run come back to it and are reaped before Run returns (no zombie is left,
//   whatever init does); other code of the process that spawns daemons gets their orphans as
//   children too. Cost: one cgroup move per run (leaves are reused).
// - otherwise a subreaper helper per run (a fork of this process; slower): the process group
//   and every orphan of the tree are signalled and reaped; a setsid'd process whose parent is
//   still alive is reached once that parent ends, so it may get SIGKILL without a SIGTERM.
// In both modes every process of a run is gone when Run returns, also when the main process
// exits first (background children are terminated then, after the same grace). Beyond
// reach: a process that moves itself to another cgroup (root can), or one that escapes the
// subreaper helper's subtree by other means (ptrace, a daemon manager).
// Not implemented: cgroup v1 hierarchies (machines with only v1 use the helper).

#include <memory>
#include <string_view>

#include "backend/backend.h"
#include "core/status.h"

namespace gantry::backend {

/// How the host backend contains a process tree.
enum class HostIsolation {
  kAuto,    // kCgroup when the machine allows it, else kReaper
  kCgroup,  // a cgroup v2 leaf per run
  kReaper,  // a process group under a forked subreaper helper per run
};

struct HostBackendOptions {
  HostIsolation isolation = HostIsolation::kAuto;
};

/// "cgroup", "reaper" or "auto".
std::string_view HostIsolationName(HostIsolation isolation);

/// A host backend with `options`; Unavailable when kCgroup is asked for and the machine does
/// not allow it. `*chosen`, when given, receives the isolation in effect (never kAuto).
core::Result<std::unique_ptr<Backend>> MakeHostBackend(const HostBackendOptions& options,
                                                       HostIsolation* chosen = nullptr);

}  // namespace gantry::backend
