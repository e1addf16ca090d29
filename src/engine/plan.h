#pragma once

// The plan of a run: pure data built from a Workflow, examined by tests without starting a
// process (ninja's Plan). Matrices that are literal YAML are expanded here; a matrix given
// by an expression that needs other jobs' outputs is expanded when those jobs finish
// (ExpandMatrix is called again by the runner then).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "expr/expression.h"
#include "expr/value.h"
#include "workflow/model.h"

namespace gantry::engine {

/// One combination of a job's matrix (empty object when the job has no matrix).
struct MatrixInstance {
  expr::Value values;  // object: dimension → value, in dimension order, then include keys
  /// How many leading entries of `values` GitHub shows in the display name: a combination's
  /// own dimension values, not the keys an `include` added to it. -1 = all entries.
  int name_key_count = -1;
};

/// The result of expanding a matrix: the instances, or an error in GitHub's wording
/// ("Matrix vector 'os' does not contain any values", ...).
/// Expressions in the matrix (or a whole-strategy expression) are evaluated against `ctx`. A
/// strategy without a matrix, or whose combinations were all excluded, yields one empty
/// instance (GitHub then runs the job once with a null matrix). More than 256 results is an error.
core::Result<std::vector<MatrixInstance>> ExpandMatrix(const workflow::Strategy& strategy,
                                                       const expr::EvalContext& ctx);

/// `strategy.fail-fast` and `strategy.max-parallel` as GitHub resolves them.
struct StrategySettings {
  bool fail_fast = true;  // GitHub's default
  int max_parallel = 0;   // 0 = no limit (strategy.max-parallel then shows the job total)
};

/// Evaluates fail-fast and max-parallel (literal, expressions, or a whole-strategy expression)
/// against `ctx`. InvalidArgument when fail-fast is not a boolean or max-parallel not a number.
core::Result<StrategySettings> EvaluateStrategySettings(const workflow::Strategy& strategy,
                                                        const expr::EvalContext& ctx);

/// A job of the plan.
struct PlannedJob {
  const workflow::Job* job = nullptr;  // points into the Plan's workflow
  std::string id;
  /// Job ids, as written (validated by the loader); with PlanOptions::no_deps, only those
  /// that are in the plan (none).
  std::vector<std::string> needs;
  /// Matrix expanded at plan time (one empty instance when the job has no strategy); nullopt
  /// when the matrix is an expression that must wait for `needs`.
  std::optional<std::vector<MatrixInstance>> instances;
  /// fail-fast / max-parallel resolved at plan time (defaults without a strategy); nullopt when
  /// they are expressions that must wait for `needs`.
  std::optional<StrategySettings> settings;
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
  /// Only these jobs (and, unless no_deps, everything they need, transitively). Empty = all.
  /// With no_deps, a chosen job keeps only its needs on other chosen jobs.
  std::vector<std::string> only_jobs;
  bool no_deps = false;
  /// Contexts available at plan time for literal matrices (github, vars, inputs). A strategy
  /// whose expressions name a context missing here (e.g. `needs`) is left to the runner.
  expr::EvalContext context;
};

/// Builds the plan. NotFound when only_jobs names a job that is not there; InvalidArgument for a
/// matrix that cannot be expanded (message says which job and why) and for needs that name no job
/// or form a cycle (the loader reports those first).
core::Result<Plan> BuildPlan(std::shared_ptr<const workflow::Workflow> workflow,
                             const PlanOptions& options);

/// The display name of a job instance as GitHub shows it: the job's `name:` (evaluated by
/// the caller when it is a template) or its id, followed by the matrix values in
/// parentheses when there is a matrix and the name does not reference matrix: "test (linux, 20)".
/// Values are the instance's own (see MatrixInstance::name_key_count), nested objects and
/// arrays flattened depth-first, null and empty strings left out, numbers formatted as GitHub
/// formats them; names longer than 100 characters end in "...". GitHub itself shows the
/// evaluated name alone whenever `name:` holds any expression.
std::string InstanceDisplayName(const std::string& base_name, const MatrixInstance& instance,
                                bool name_uses_matrix);

}  // namespace gantry::engine
