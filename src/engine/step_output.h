#pragma once

// The output of one step as the runner sees it: split into lines, workflow commands applied
// (::add-mask::, ::group::, ::error::, ::set-output::...), every other line masked and handed
// to the observer. Not thread-safe: one per running step (called on the Backend's thread).

#include <string>
#include <string_view>
#include <vector>

#include "core/masker.h"
#include "engine/contexts.h"
#include "engine/run_observer.h"
#include "engine/workflow_commands.h"

namespace gantry::engine {

/// Where a step's output goes and which commands it may use.
struct StepOutputOptions {
  core::Masker* masker = nullptr;   // required; ::add-mask:: adds to it
  RunObserver* observer = nullptr;  // required
  const JobKey* job = nullptr;      // required
  int step = 0;
  /// ::debug:: messages are reported (verbose, or ACTIONS_STEP_DEBUG).
  bool debug = false;
  /// ACTIONS_ALLOW_UNSECURE_COMMANDS=true: ::set-env:: and ::add-path:: work.
  bool allow_unsecure_commands = false;
  /// Annotation files under this directory are reported relative to it.
  std::string workspace;
};

/// Consumes a step's output stream.
class StepOutput {
 public:
  explicit StepOutput(const StepOutputOptions& options);

  /// Feeds a chunk of output (any byte range).
  void Feed(std::string_view chunk);
  /// Processes the unterminated last line, if any. Call once at end of stream.
  void Finish();
  /// Reports an error the runner itself raises for this step (masked, as an annotation and
  /// a log line).
  void Error(const std::string& message);

  /// Logs a line of the runner's own (masked), e.g. a hint after a failure.
  void Note(const std::string& line);
  /// The step printed that the apt/dpkg lock was held by another process (two jobs installing
  /// packages at once): "Could not get lock /var/lib/dpkg/...", ".../apt/lists/lock", "Unable
  /// to acquire the dpkg frontend lock".
  bool package_lock_busy() const { return package_lock_busy_; }
  /// A command could not be processed (e.g. a disabled ::set-env::): the step fails.
  bool command_failed() const { return command_failed_; }
  /// ::set-output:: values, ::set-env:: values, ::add-path:: directories, ::save-state::.
  const EnvList& outputs() const { return outputs_; }
  const EnvList& env() const { return env_; }
  const std::vector<std::string>& paths() const { return paths_; }
  const EnvList& state() const { return state_; }

 private:
  void Line(std::string_view line);
  void Command(std::string_view line, const WorkflowCommand& command);
  void Log(std::string_view line);
  void Annotate(const char* level, const WorkflowCommand& command);
  void Warning(const std::string& message);
  void Fail(std::string_view line, const std::string& why);

  StepOutputOptions options_;
  CommandGate gate_;
  std::string pending_;
  bool echo_ = false;
  bool command_failed_ = false;
  bool package_lock_busy_ = false;
  EnvList outputs_, env_, state_;
  std::vector<std::string> paths_;
};

}  // namespace gantry::engine
