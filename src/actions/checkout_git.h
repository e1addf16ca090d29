#pragma once

// git as actions/checkout runs it: one process per command, with the step's environment,
// GIT_TERMINAL_PROMPT=0, the step's cancellation, and each command and its output in the step's
// log.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.h"
#include "core/status.h"
#include "engine/actions.h"

namespace gantry::actions {

/// Runs git for one checkout step; remembers the output of the last command. Not thread-safe;
/// `call` must outlive it.
class CheckoutGit {
 public:
  explicit CheckoutGit(const engine::BuiltinCall& call);

  /// Runs `git <args>` in `cwd`; Ok when it exits 0. Logs the command and its output unless
  /// `quiet`. Internal naming the command and git's last line when git fails; Cancelled when
  /// the step was cancelled; Unavailable when git cannot be started.
  core::Status Run(const std::vector<std::string>& args, const std::string& cwd,
                   bool quiet = false);

  /// The output of the last command without its trailing newline.
  std::string Output() const;
  /// The last line of Output().
  std::string LastLine() const;
  /// Writes a line to the step's log.
  void Log(std::string_view line) const;

  /// Fetches `refspec` from origin into the repository `dest` as actions/checkout does:
  /// `--depth=N` for a positive depth; with depth 0 every branch and tag first (whole history,
  /// tags for `git describe`). Errors as Run's.
  core::Status FetchFromOrigin(const std::string& dest, int depth, const std::string& refspec);

 private:
  const engine::BuiltinCall& call_;
  std::unique_ptr<backend::Backend> backend_;
  std::unique_ptr<backend::CancelToken> own_cancel_;
  engine::EnvList env_;
  std::string output_;
};

}  // namespace gantry::actions
