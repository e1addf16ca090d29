#pragma once

// GitHub's runners have password-less sudo, and nearly every Linux workflow runs
// `sudo apt-get install ...`. When gantry runs as root on a machine without sudo, host steps
// get a `sudo` of gantry's own that runs its arguments as root.

#include <string>

#include "core/status.h"

namespace gantry::cli {

/// The text of the shim script: it accepts sudo's common flags (-E, -n, -H, -S, -k, -b,
/// -u root/0, -i/-s with a command, --preserve-env[=...], --), `VAR=value` assignments before
/// the command, and runs the command; `-u` with another user fails with exit code 1 and a
/// message. It writes one note to stderr per job (a marker file in $RUNNER_TEMP).
std::string SudoShimScript();

/// True when `path` (a PATH value) has an executable `sudo`.
bool HasProgramOnPath(const std::string& path, const std::string& program);

/// Writes the shim as `dir`/sudo (mode 0755), creating `dir`. Internal on I/O errors.
core::Status WriteSudoShim(const std::string& dir);

}  // namespace gantry::cli
