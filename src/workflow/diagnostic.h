#pragma once

#include <string>
#include <vector>

namespace gantry::workflow {

/// A 1-based source position. line == 0 means "no position" (whole file).
struct Position {
  int line = 0;
  int column = 0;
};

/// How bad a diagnostic is. An error makes the workflow unusable (lint fails, exec refuses to
/// run it); a warning is advice (e.g. syntax GitHub accepts only behind a feature flag).
enum class Severity { kError, kWarning };

/// One problem found in a workflow file, printed as `file:line:col: message` (errors) or
/// `file:line:col: warning: message` (warnings).
struct Diagnostic {
  std::string file;
  Position pos;
  std::string message;
  /// A short rule name for machines, e.g. "syntax", "unknown-key", "needs", "expression".
  std::string rule;
  Severity severity = Severity::kError;

  bool IsError() const { return severity == Severity::kError; }
  /// `file:line:col: message` (or `file: message` when there is no position), with
  /// "warning: " before the message of a warning.
  std::string ToString() const;
};

/// Diagnostics of one file, in the order found; callers sort by position when printing.
using Diagnostics = std::vector<Diagnostic>;

/// True when any of `diagnostics` is an error (warnings alone leave a workflow usable).
bool HasErrors(const Diagnostics& diagnostics);

/// The number of errors among `diagnostics`.
int CountErrors(const Diagnostics& diagnostics);

/// "error" or "warning", as printed in JSON output.
const char* SeverityName(Severity severity);

/// Sorts by (line, column), keeping the order of equal positions.
void SortByPosition(Diagnostics& diagnostics);

}  // namespace gantry::workflow
