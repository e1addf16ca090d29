#include "workflow/diagnostic.h"

#include <algorithm>

namespace gantry::workflow {

std::string Diagnostic::ToString() const {
  const std::string text = IsError() ? message : "warning: " + message;
  if (pos.line <= 0) return file + ": " + text;
  return file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": " + text;
}

bool HasErrors(const Diagnostics& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.IsError(); });
}

int CountErrors(const Diagnostics& diagnostics) {
  return static_cast<int>(std::count_if(diagnostics.begin(), diagnostics.end(),
                                        [](const Diagnostic& d) { return d.IsError(); }));
}

const char* SeverityName(Severity severity) {
  return severity == Severity::kWarning ? "warning" : "error";
}

void SortByPosition(Diagnostics& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     if (a.pos.line != b.pos.line) return a.pos.line < b.pos.line;
                     return a.pos.column < b.pos.column;
                   });
}

}  // namespace gantry::workflow
