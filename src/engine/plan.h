#pragma once

// The plan of a run: pure data built from a Workflow, examined by tests without starting a
// process (ninja's Plan). Matrices that are literal YAML are expanded here; a matrix given
// by an expression that needs other jobs' outputs is expanded when those jobs finish
// (ExpandMatrix is called again by the runner then).

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "expr/expression.h"
#include "expr/value.h"
#include "workflow/model.h"

namespace gantry::engine {

/// One combination of a job's matrix (empty object when the job has no matrix).
struct MatrixInstance {
  expr::Value values;  // object: dimension → value, in dimension order, then include keys
};

/// The result of expanding a matrix: the instances, or an error in GitHub's wording
/// ("Matrix vector 'os' does not contain any values", ...).
core::Result<std::vector<MatrixInstance>> ExpandMatrix(const workflow::Strategy& strategy,
                                                       const expr::EvalContext& ctx);

/// A job of the plan.
struct PlannedJob {
  const workflow::Job* job = nullptr;  // points into the Plan's workflow
  std::string id;
  std::vector<std::string> needs;  // job ids, as written (validated by the loader)
  /// Literal matrix expanded at plan time; nullopt when the matrix is an expression that
  /// must wait for `needs` (or when the job has no strategy: then one empty instance).
  std::optional<std::vector<MatrixInstance>> instances;
  int stage = 0;  // 0-based topological level (longest path from a root)
};

/// The whole plan: jobs in topological order (stable: file order within a stage).
struct Plan {
  std::shared_ptr<const workflow::Workflow> workflow;
  std::vector<PlannedJob> jobs;
  int stage_count = 0;
  /// The planned job with `id`, or nullptr.
  const PlannedJob* Find(std::string_view id) const;
};

/// Which jobs to plan.
struct PlanOptions {
  /// Only this job (and, unless no_deps, everything it needs, transitively). Empty = all.
  std::string only_job;
  bool no_deps = false;
  /// Contexts available at plan time for literal matrices (github, vars, inputs).
  expr::EvalContext context;
};

/// Builds the plan. NotFound when only_job names no job; InvalidArgument for a matrix that
/// cannot be expanded (message says which job and why).
core::Result<Plan> BuildPlan(std::shared_ptr<const workflow::Workflow> workflow,
                             const PlanOptions& options);

/// The display name of a job instance as GitHub shows it: the job's `name:` (evaluated by
/// the caller when it is a template) or its id, followed by the matrix values in
/// parentheses when there is a matrix and the name does not reference matrix: "test (linux, 20)".
std::string InstanceDisplayName(const std::string& base_name, const MatrixInstance& instance,
                                bool name_uses_matrix);

}  // namespace gantry::engine
