#pragma once

// The backend that runs step processes directly on this machine (MakeHostBackend()).
//
// Containment, strongest available first:
// - cgroup v2 (pure, or hybrid at /sys/fs/cgroup/unified) where this process may create
//   cgroups below its own: each run gets a leaf cgroup; every process of the tree — also one
//   that left the process group with setsid — gets SIGTERM, then SIGKILL (cgroup.kill), and
//   Run returns only when the cgroup is empty. Cost: one cgroup move per run (leaves reused).
// - otherwise a subreaper helper per run (a fork of this process; slower): the process group
//   and every orphan of the tree are signalled and reaped; a setsid'd process whose parent is
//   still alive is reached once that parent ends, so it gets SIGKILL rather than SIGTERM.
// In both modes a process that moves itself out of its cgroup (root can) or a daemon that
// re-parents itself elsewhere by other means is beyond reach. Orphans killed in cgroup mode
// are re-parented to init, which must reap them (they remain zombies under an init that does
// not reap, but never run again).

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
