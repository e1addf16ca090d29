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
                     // "add-path", "save-state", "echo", "add-matcher", "remove-matcher"
  /// Unescaped values; keys as written (the runner compares them case-insensitively, and a
  /// repeated key keeps its first spelling with the last value).
  std::vector<std::pair<std::string, std::string>> properties;
  std::string message;  // unescaped

  /// The value of property `key` compared case-insensitively ("file", "endLine"), or nullptr.
  const std::string* Property(std::string_view key) const;
};

/// Parses one output line (a trailing '\r' is ignored). nullopt when the line is not a
/// workflow command. As the runner: leading whitespace is allowed, command names are
/// case-insensitive, the legacy `##[name k=v;k=v]message` form is accepted too, and escapes
/// are undone (%0D %0A %25 in messages; also %3A %2C in properties).
std::optional<WorkflowCommand> ParseWorkflowCommand(std::string_view line);

/// Tracks `::stop-commands::TOKEN` ... `::TOKEN::`: while stopped, lines are not commands.
class CommandGate {
 public:
  /// Returns the command for `line`, or nullopt when it is not one or commands are stopped
  /// (in which case a line `::TOKEN::` resumes them and is itself swallowed: nullopt, so it is
  /// printed as plain output, as the runner echoes it). `::stop-commands::` itself is returned;
  /// with an empty token commands stay stopped.
  std::optional<WorkflowCommand> Process(std::string_view line);
  bool stopped() const { return stopped_; }

 private:
  bool stopped_ = false;
  std::string stop_token_;
};

/// Parses the content of $GITHUB_ENV / $GITHUB_OUTPUT / $GITHUB_STATE: `NAME=value` lines
/// and `NAME<<DELIMITER` heredocs, pairs in file order. Lines end at '\n' only, as on the
/// Linux runner: a '\r' of CRLF files stays in names, values and delimiters. Errors
/// (InvalidArgument) for a heredoc without its delimiter line (also when the delimiter is
/// glued to the value's last line), an empty name or delimiter, or a line of neither form,
/// worded as the runner words them ("Invalid value. Matching delimiter not found 'EOF'").
core::Result<std::vector<std::pair<std::string, std::string>>> ParseEnvFile(
    std::string_view content);

/// Parses $GITHUB_PATH: one directory per non-empty line (lines end at "\r\n", '\n' or '\r').
std::vector<std::string> ParsePathFile(std::string_view content);

}  // namespace gantry::engine
