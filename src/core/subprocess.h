#pragma once

// Runs a program to completion and collects its output (git and similar tools, outside any
// job: a job's processes go through a backend::Backend).

#include <string>
#include <vector>

#include "core/status.h"

namespace gantry::core {

/// Runs `args` (args[0] looked up in PATH) in `cwd` ("" = the current directory) with stdin
/// from /dev/null, or `input` as its stdin when given; returns its stdout. NotFound when the
/// program cannot be started, Unavailable with the last lines of its stderr (else stdout) when
/// it exits non-zero. Thread-safe.
Result<std::string> RunProgram(const std::vector<std::string>& args, const std::string& cwd,
                               const std::string* input = nullptr);

}  // namespace gantry::core
