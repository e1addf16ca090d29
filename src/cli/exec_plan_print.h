#pragma once

// `gantry exec --list` and `--dry-run`: the plan of each triggered workflow printed as
// text (stages, jobs, matrix instances, and for --dry-run each step) or as one JSON line.

#include <ostream>
#include <string>
#include <vector>

#include "engine/plan.h"
#include "engine/runs_on.h"
#include "expr/value.h"

namespace gantry::cli {

/// A workflow that would run, with its plan.
struct PlannedWorkflow {
  std::string name;  // the workflow's name (or file)
  std::string file;  // repository-relative path
  engine::Plan plan;
  /// Contexts for display names (github, vars, inputs): matrix is added per instance.
  expr::Value contexts;
};

/// The display name of each instance of `job` (one name when it has no matrix; a note when
/// the matrix is expanded only once its needs finish).
std::vector<std::string> InstanceNames(const engine::PlannedJob& job, const expr::Value& contexts);

/// The runs-on of one instance as printed, and why it cannot run here ("" = it runs).
struct InstanceRunsOn {
  std::string labels;
  std::string not_here;
};

/// The runs-on of each instance of `job` (in InstanceNames' order; empty labels when the job
/// has no runs-on).
std::vector<InstanceRunsOn> InstanceRunsOns(const engine::PlannedJob& job,
                                            const expr::Value& contexts,
                                            const engine::HostLabels& host);

/// Prints the plans with each job's runs-on and, once per job, why instances of it do not run
/// here. `steps` adds every step of each job (--dry-run) with its condition. `json` prints one
/// line {"type":"plan","dry_run":..,"workflows":[...]} instead of text.
void PrintPlans(const std::vector<PlannedWorkflow>& plans, const std::string& event, bool steps,
                bool json, const engine::HostLabels& host, std::ostream& out);

}  // namespace gantry::cli
