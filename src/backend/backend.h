#pragma once

// The boundary between the engine and the machine: a Backend runs one step's process and
// streams its output. host/ runs it on this machine; later sandbox/ and docker/.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace gantry::backend {

/// A cancellation flag shared between the one who cancels (Ctrl-C, fail-fast, a server's
/// cancel) and the running processes. Thread-safe. Cancel() is async-signal-safe.
class CancelToken {
 public:
  CancelToken();
  ~CancelToken();
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  /// Requests cancellation; idempotent.
  void Cancel();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  /// A file descriptor that becomes readable once Cancel() was called (for poll()).
  int wait_fd() const { return pipe_[0]; }
  /// Waits `d` or until Cancel() (a signal may end the wait early); false when cancelled.
  bool SleepFor(std::chrono::milliseconds d) const;

 private:
  std::atomic<bool> cancelled_{false};
  int pipe_[2] = {-1, -1};
};

/// What to run.
struct ProcessSpec {
  /// argv[0] is looked up in PATH of `env` when it has no '/'.
  std::vector<std::string> argv;
  /// Working directory; must exist.
  std::string cwd;
  /// The complete environment of the process (nothing is inherited implicitly).
  std::vector<std::pair<std::string, std::string>> env;
  /// 0 = no timeout. On expiry the whole process tree gets SIGTERM, then SIGKILL after
  /// `kill_grace`.
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds kill_grace{5000};
};

/// How a process ended.
struct ProcessResult {
  int exit_code = 0;       // valid when signal == 0
  int signal = 0;          // the signal that ended it, if any
  bool timed_out = false;  // the timeout expired and the tree was killed
  bool cancelled = false;  // the CancelToken fired and the tree was killed
  std::chrono::milliseconds duration{0};
  bool ok() const { return exit_code == 0 && signal == 0 && !timed_out && !cancelled; }
};

/// Receives the process's output (stdout and stderr merged in arrival order) in chunks as
/// they arrive. Chunks are arbitrary byte ranges, not lines. Called on the Run() thread.
using OutputSink = std::function<void(std::string_view chunk)>;

/// Runs processes. Implementations are thread-safe: several jobs run processes at once.
class Backend {
 public:
  virtual ~Backend() = default;
  /// Runs `spec` to completion (or timeout/cancellation). The process runs in its own
  /// process group (and cgroup where available); when Run returns, no process of that tree
  /// is left. Errors are for failures to start (e.g. NotFound for a missing program).
  virtual core::Result<ProcessResult> Run(const ProcessSpec& spec, const OutputSink& output,
                                          const CancelToken& cancel) = 0;
};

/// The backend that runs processes directly on this machine.
std::unique_ptr<Backend> MakeHostBackend();

}  // namespace gantry::backend
