#pragma once

// Memory and pids limits for sandboxed runs. The host backend already contains each run in a
// cgroup v2 leaf (for killing and watching the tree); on hybrid machines the memory and pids
// controllers sit in cgroup v1 hierarchies instead, so a sandboxed run additionally joins one
// v1 leaf per limited controller, created below this process's own cgroup of that hierarchy
// and reused from run to run.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"

namespace gantry::backend::sandbox {

/// The limits to apply to every run; 0 = none.
struct Limits {
  int64_t memory_bytes = 0;
  int64_t pids_max = 0;
};

/// The v1 limit cgroups of one backend. Thread-safe.
class LimitCgroups {
 public:
  /// Prepares a pool directory per controller that `limits` asks for and checks that a limit
  /// can be written there. Appends to `notes` one line per requested limit saying whether it
  /// is enforced and, when not, why. Returns nullptr when no requested limit is enforceable.
  static std::unique_ptr<LimitCgroups> Create(const Limits& limits,
                                              std::vector<std::string>* notes);
  ~LimitCgroups();
  LimitCgroups(const LimitCgroups&) = delete;
  LimitCgroups& operator=(const LimitCgroups&) = delete;

  /// The `cgroup.procs` files of one run's leaves (one per enforced controller), limits
  /// written. The run's first process joins them by writing its pid to each before it
  /// forks. Unavailable when a leaf cannot be created or limited.
  core::Result<std::vector<std::string>> Acquire();
  /// Gives back the leaves of Acquire once no process is left in them.
  void Release(std::vector<std::string> procs_files);

 private:
  struct Controller {
    std::string pool;                     // the pool directory
    std::vector<std::string> limit_file;  // files written, in order, with `value`
    std::string value;
  };
  explicit LimitCgroups(std::vector<Controller> controllers)
      : controllers_(std::move(controllers)) {}

  std::vector<Controller> controllers_;
  std::mutex mu_;
  std::vector<std::vector<std::string>> free_;  // guarded by mu_
  int next_ = 0;                                // guarded by mu_
};

/// "512 MiB", "2 GiB", "1000 bytes": a byte count for messages.
std::string FormatBytes(int64_t bytes);

}  // namespace gantry::backend::sandbox
