#pragma once

#include <string>
#include <vector>

namespace gantry::workflow {

/// A 1-based source position. line == 0 means "no position" (whole file).
struct Position {
  int line = 0;
  int column = 0;
};

/// One problem found in a workflow file, printed as `file:line:col: message`.
struct Diagnostic {
  std::string file;
  Position pos;
  std::string message;
  /// A short rule name for machines, e.g. "syntax", "unknown-key", "needs", "expression".
  std::string rule;

  /// `file:line:col: message` (or `file: message` when there is no position).
  std::string ToString() const;
};

/// Diagnostics of one file, in the order found; callers sort by position when printing.
using Diagnostics = std::vector<Diagnostic>;

/// Sorts by (line, column), keeping the order of equal positions.
void SortByPosition(Diagnostics& diagnostics);

}  // namespace gantry::workflow
