#pragma once

// Whether a job's `runs-on:` can run on this machine. gantry exec runs jobs on this Linux
// host; a job for another kind of runner (windows-*, macos-*, a label this machine does not
// have) is skipped with a reason instead of running Linux shells for it.

#include <string>
#include <vector>

#include "core/status.h"
#include "expr/expression.h"
#include "workflow/model.h"

namespace gantry::engine {

/// The runs-on labels this machine answers to.
struct HostLabels {
  std::string os = "Linux";  // runner.os
  std::string arch = "X64";  // runner.arch: X64, ARM64, X86, ARM
  /// Labels mapped to this machine on purpose (`--runs-on LABEL=host`), any case.
  std::vector<std::string> mapped;
};

/// The labels of `runs_on` (string, list, `labels:` of the map form, or an expression that
/// yields a string or a list), evaluated with `ctx` (matrix, needs, github, inputs, vars).
/// InvalidArgument "file:line:col: message" when the expression fails or yields anything else.
core::Result<std::vector<std::string>> EvaluateRunsOn(const workflow::RunsOn& runs_on,
                                                      const expr::EvalContext& ctx,
                                                      const std::string& file);

/// "" when a job asking for every label of `labels` runs here, else a one-line reason.
/// This machine has, case-insensitively: `self-hosted`, `linux`, its arch (`x64`, `arm64`...),
/// `ubuntu-*` (`ubuntu-*-arm` only on ARM64), and the mapped labels. No labels: runs here.
std::string WhyNotHere(const std::vector<std::string>& labels, const HostLabels& host);

/// "ubuntu-latest", or "[self-hosted, linux]" for several labels.
std::string FormatRunsOn(const std::vector<std::string>& labels);

}  // namespace gantry::engine
