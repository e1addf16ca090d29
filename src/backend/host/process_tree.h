#pragma once

// A started step process and everything it spawns, as the host backend's run loop sees it:
// when did the main process exit, is anything of the tree left, and how to signal all of it.

#include <poll.h>
#include <sys/types.h>

#include <memory>

#include "backend/host/cgroup.h"
#include "backend/host/process.h"
#include "core/status.h"

namespace gantry::backend::host {

/// One running process tree. Not thread-safe (one run owns it). Destroying a tree that is
/// not empty yet kills it with SIGKILL and waits until nothing of it is left.
class ProcessTree {
 public:
  virtual ~ProcessTree() = default;
  /// What to poll() for the main process's exit.
  virtual pollfd MainWatch() const = 0;
  /// Call after MainWatch fired: true, with the wait(2) status, once the main process has
  /// exited and has been reaped.
  virtual bool CollectMain(int* wait_status) = 0;
  /// What to poll() while waiting for the rest of the tree to end (after the main process).
  virtual pollfd TreeWatch() const = 0;
  /// Whether no process of the tree is alive any more.
  virtual bool Empty() = 0;
  /// SIGTERM (kill == false) or SIGKILL (kill == true) to every process of the tree,
  /// including those that left the process group with setsid.
  virtual void Signal(bool kill) = 0;
};

/// Starts `image` in a leaf cgroup of `pool` (returned to the pool, empty, when the tree is
/// destroyed). Needs pidfd_open (Linux 5.3+). When the cgroup cannot be used at all (no
/// pidfd, a leaf cannot be created or joined), returns Unavailable and sets *unusable.
core::Result<std::unique_ptr<ProcessTree>> StartCgroupTree(const ExecImage& image,
                                                           const ChildIo& io, CgroupPool& pool,
                                                           bool* unusable);

/// Starts `image` under a helper process forked from this one: the helper is a child
/// subreaper, so every descendant that loses its parent becomes the helper's child, and it
/// exits only when it has no children left. It signals the main process group and all of
/// its children on request; processes that left the group with setsid while their parent
/// still lives get SIGTERM/SIGKILL once that parent is gone. Costs a fork() per run.
core::Result<std::unique_ptr<ProcessTree>> StartReaperTree(const ExecImage& image,
                                                           const ChildIo& io);

}  // namespace gantry::backend::host
