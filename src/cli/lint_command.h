#pragma once

// `gantry lint`: loads workflow files and prints every problem found, without running anything.

#include <ostream>
#include <string>
#include <vector>

namespace gantry::cli {

/// What to lint and how to print it.
struct LintOptions {
  /// Workflow files or folders (a folder means its *.yml/*.yaml files, not recursive). Empty:
  /// `.github/workflows/` of the git repository holding the current directory.
  std::vector<std::string> paths;
  /// "text" (`file:line:col: message` lines) or "json" (an array of
  /// {file, line, column, message, rule}).
  std::string format = "text";
};

/// Lints and prints diagnostics to `out` sorted by file then position; usage problems go to
/// `err`. Local reusable workflows are followed relative to the repository root. Returns 0
/// when clean, 1 when any file has problems, 2 on usage errors (missing path, a file that is
/// not a workflow, no repository or no workflow files to lint).
int RunLintCommand(const LintOptions& options, std::ostream& out, std::ostream& err);

}  // namespace gantry::cli
