#pragma once

// SIGINT and SIGTERM of `gantry executor run`: the first drains the executor, the next one
// cancels its running jobs, a third exits at once.

#include <chrono>
#include <functional>
#include <thread>

namespace gantry::cli {

/// While it lives, SIGINT and SIGTERM call `drain` (the first), then `cancel` (the second, or
/// `drain_timeout` after the first: `timed_out` says which; at most once); the next one exits
/// the process at once with status 130. The signal handlers only write to a pipe
/// (async-signal-safe); the callbacks run on a thread of this object, one at a time. One instance
/// at a time in a process; the destructor restores the previous handlers. Not copyable.
class DrainOnSignals {
 public:
  DrainOnSignals(std::chrono::milliseconds drain_timeout, std::function<void()> drain,
                 std::function<void(bool timed_out)> cancel);
  ~DrainOnSignals();
  DrainOnSignals(const DrainOnSignals&) = delete;
  DrainOnSignals& operator=(const DrainOnSignals&) = delete;

 private:
  void Watch();

  std::chrono::milliseconds drain_timeout_;
  std::function<void()> drain_;
  std::function<void(bool)> cancel_;
  int pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace gantry::cli
