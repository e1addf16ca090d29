#pragma once

// Workflow commands printed by steps (`::add-mask::x`, `::error file=a,line=3::msg`, ...)
// and the environment files ($GITHUB_ENV, $GITHUB_OUTPUT, $GITHUB_PATH, $GITHUB_STATE).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace gantry::engine {

/// One parsed `::name key=value,...::message` line.
struct WorkflowCommand {
  std::string name;  // lower-case: "add-mask", "group", "endgroup", "error", "warning",
                     // "notice", "debug", "stop-commands", "set-output", "set-env",
                     // "add-path", "save-state", "echo", or an end token of stop-commands
  std::vector<std::pair<std::string, std::string>> properties;  // unescaped
  std::string message;                                          // unescaped
};

/// Parses one output line. nullopt when the line is not a workflow command. Escapes are
/// undone as the runner does (%25 %0D %0A in messages; also %3A %2C in properties).
std::optional<WorkflowCommand> ParseWorkflowCommand(std::string_view line);

/// Tracks `::stop-commands::TOKEN` ... `::TOKEN::`: while stopped, lines are not commands.
class CommandGate {
 public:
  /// Returns the command for `line`, or nullopt when it is not one or commands are stopped
  /// (in which case a line `::TOKEN::` resumes them and is itself swallowed).
  std::optional<WorkflowCommand> Process(std::string_view line);

 private:
  std::string stop_token_;
};

/// Parses the content of $GITHUB_ENV / $GITHUB_OUTPUT / $GITHUB_STATE: `NAME=value` lines
/// and `NAME<<DELIMITER` heredocs. Errors (InvalidArgument) for a heredoc without its
/// delimiter line, an empty name, or a delimiter that occurs in the value, worded as the
/// runner words them.
core::Result<std::vector<std::pair<std::string, std::string>>> ParseEnvFile(
    std::string_view content);

/// Parses $GITHUB_PATH: one directory per non-empty line.
std::vector<std::string> ParsePathFile(std::string_view content);

}  // namespace gantry::engine
