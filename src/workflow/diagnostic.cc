#include "workflow/diagnostic.h"

#include <algorithm>

namespace gantry::workflow {

std::string Diagnostic::ToString() const {
  if (pos.line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": " + message;
}

void SortByPosition(Diagnostics& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     if (a.pos.line != b.pos.line) return a.pos.line < b.pos.line;
                     return a.pos.column < b.pos.column;
                   });
}

}  // namespace gantry::workflow
