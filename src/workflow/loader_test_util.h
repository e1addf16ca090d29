#pragma once

// Helpers shared by the loader's unit tests: load YAML text and render diagnostics compactly.

#include <string>
#include <string_view>

#include "workflow/loader.h"

namespace gantry::workflow::testing {

/// Loads `yaml` as "w.yml".
inline LoadResult Load(std::string_view yaml, const LoadOptions& options = {}) {
  return LoadWorkflow(yaml, "w.yml", options);
}

/// Every diagnostic as "line:col: message" ("line:col: warning: message" for a warning), one
/// per line (file names other than w.yml are kept as a prefix).
inline std::string Render(const LoadResult& result) {
  std::string out;
  for (const Diagnostic& d : result.diagnostics) {
    if (d.file != "w.yml") out += d.file + ":";
    out += std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " +
           (d.IsError() ? "" : "warning: ") + d.message + "\n";
  }
  return out;
}

/// Only the errors of `result`, rendered as Render does.
inline std::string RenderErrors(const LoadResult& result) {
  LoadResult errors;
  for (const Diagnostic& d : result.diagnostics) {
    if (d.IsError()) errors.diagnostics.push_back(d);
  }
  return Render(errors);
}

/// A valid workflow whose single job `a` has the given extra job-level YAML (indented by 4).
inline std::string JobWith(std::string_view job_lines) {
  return "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n" + std::string(job_lines) +
         "    steps:\n      - run: echo hi\n";
}

/// A valid workflow whose single job has exactly the given steps (items indented by 6).
inline std::string StepsWith(std::string_view step_lines) {
  return "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n" +
         std::string(step_lines);
}

}  // namespace gantry::workflow::testing
