#pragma once

// Runs a program to completion and collects its output (git and similar tools, outside any
// job: a job's processes go through a backend::Backend).

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace gantry::core {

/// Runs `args` (args[0] looked up in PATH) in `cwd` ("" = the current directory) with stdin
/// from /dev/null, or `input` as its stdin when given; returns its stdout. NotFound when the
/// program cannot be started, Unavailable with the last lines of its stderr (else stdout) when
/// it exits non-zero. Thread-safe.
Result<std::string> RunProgram(const std::vector<std::string>& args, const std::string& cwd,
                               const std::string* input = nullptr);

/// How RunProgram runs a program beyond its arguments.
struct ProgramOptions {
  std::string cwd;                     // "" = the current directory
  const std::string* input = nullptr;  // stdin; nullptr = /dev/null
  /// 0 = none. Past it the program and every process it started (its process group) are
  /// killed and RunProgram fails with DeadlineExceeded.
  std::chrono::milliseconds timeout{0};
  /// Set in the program's environment on top of this process's (a name given twice: the last).
  std::vector<std::pair<std::string, std::string>> env;
  /// When set, receives the standard output as it comes (RunProgram then returns ""); once it
  /// returns false the process group is killed and RunProgram fails with Cancelled.
  std::function<bool(std::string_view)> on_output;
};

/// RunProgram with `options`; with a timeout or on_output the program runs in a process group
/// of its own.
Result<std::string> RunProgram(const std::vector<std::string>& args, const ProgramOptions& options);

}  // namespace gantry::core
