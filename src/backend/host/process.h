#pragma once

// Low-level process start for the host backend: resolving the program, and a vfork-based
// spawn that puts the child in its own process group (and cgroup) with a clean signal state.

#include <sys/types.h>

#include <string>
#include <vector>

#include "backend/backend.h"
#include "core/status.h"

namespace gantry::backend::host {

/// Everything execve needs, built before forking so that the child allocates nothing.
struct ExecImage {
  std::string
      path;  // the resolved program as exec'd after chdir (relative to `cwd` if not absolute)
  std::string cwd;  // empty: the caller's working directory
  std::vector<std::string> storage;
  std::vector<char*> argv;  // null-terminated, points into `storage`
  std::vector<char*> envp;  // null-terminated, points into `storage`
};

/// Checks spec.cwd (InvalidArgument unless it is an existing directory) and resolves argv[0]
/// against PATH of spec.env (its last PATH entry; "/usr/bin:/bin" without one; empty or
/// relative entries are relative to spec.cwd). NotFound when there is no such program,
/// PermissionDenied when it exists but cannot be executed, InvalidArgument for empty argv.
core::Result<ExecImage> PrepareExec(const ProcessSpec& spec);

/// The descriptors a child gets. All must be >= 3 and close-on-exec in the parent.
struct ChildIo {
  int stdin_fd = -1;         // becomes fd 0
  int output_fd = -1;        // becomes fds 1 and 2
  int cgroup_procs_fd = -1;  // when >= 0, the child moves itself into that cgroup first
};

/// Why SpawnChild failed.
struct SpawnFailure {
  int error = 0;                // errno of the step that failed
  bool joining_cgroup = false;  // the failing step was the move into the cgroup
};

/// Starts `image` with vfork: the child becomes leader of a new process group, joins the
/// cgroup, gets `io` (every other inherited descriptor is closed), changes to image.cwd,
/// resets every signal to its default disposition with an empty mask, asks for SIGKILL when
/// the calling thread dies, then execs. Returns the pid, or -1 with *failure filled in (the
/// child is reaped). Allocates nothing, so a forked child of a multi-threaded process may
/// call it.
pid_t SpawnChild(const ExecImage& image, const ChildIo& io, SpawnFailure* failure);

/// The Status for a failed SpawnChild (NotFound for ENOENT, PermissionDenied for EACCES...).
core::Status SpawnError(const ExecImage& image, int error);

/// Returns `fd` when it is >= 3, else a close-on-exec duplicate >= 3 (closing `fd`); keeps a
/// child's dup2 onto 0..2 from clobbering it. -1 on failure.
int MoveAboveStdio(int fd);

}  // namespace gantry::backend::host
