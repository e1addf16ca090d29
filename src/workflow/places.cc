#include "workflow/places.h"

#include <string>
#include <vector>

namespace gantry::workflow {
namespace {

using Names = std::vector<std::string>;

expr::ParseOptions Make(Names contexts, Names functions = {}) {
  expr::ParseOptions options;
  options.named_values = std::move(contexts);
  options.extra_functions = std::move(functions);
  return options;
}

Names Plus(Names base, const Names& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

}  // namespace

const expr::ParseOptions& ParseOptionsFor(Place place) {
  // Built once; the table is immutable afterwards, so concurrent readers are safe.
  static const std::vector<expr::ParseOptions> table = [] {
    const Names job = {"github", "needs", "strategy", "matrix", "vars", "inputs"};
    const Names outputs = Plus(job, {"job", "runner", "env", "secrets", "steps"});
    const Names status = {"always", "failure", "cancelled", "success"};
    std::vector<expr::ParseOptions> t(static_cast<size_t>(Place::kCallOutputValue) + 1);
    auto set = [&t](Place p, expr::ParseOptions o) { t[static_cast<size_t>(p)] = std::move(o); };
    set(Place::kNoExpressions, Make({}));
    set(Place::kNoContexts, Make({}));
    set(Place::kRunName, Make({"github", "inputs", "vars"}));
    set(Place::kWorkflowConcurrency, Make({"github", "inputs", "vars"}));
    set(Place::kWorkflowEnv, Make({"github", "secrets", "inputs", "vars"}));
    expr::ParseOptions job_if = Make({"github", "needs", "vars", "inputs"}, status);
    job_if.status_functions_take_job_ids = true;
    set(Place::kJobIf, std::move(job_if));
    set(Place::kJobStrategy, Make({"github", "needs", "vars", "inputs"}));
    set(Place::kJob, Make(job));
    set(Place::kJobEnv, Make(Plus(job, {"secrets"})));
    set(Place::kJobSecrets, Make(Plus(job, {"secrets"})));
    set(Place::kJobDefaultsRun, Make(Plus(job, {"env"})));
    set(Place::kContainerCredentials, Make(Plus(job, {"env", "secrets"})));
    set(Place::kContainerEnv, Make(Plus(job, {"job", "runner", "env", "secrets"})));
    set(Place::kEnvironmentUrl, Make(Plus(job, {"job", "runner", "env", "steps"})));
    set(Place::kJobOutputs, Make(outputs));
    set(Place::kStep, Make(outputs, {"hashfiles"}));
    set(Place::kStepIf,
        Make(Plus(job, {"job", "runner", "env", "steps"}), Plus(status, {"hashfiles"})));
    set(Place::kSnapshotIf, Make(job));
    set(Place::kCallInputDefault, Make({"github", "inputs", "vars"}));
    set(Place::kCallOutputValue, Make({"github", "jobs", "vars", "inputs"}));
    return t;
  }();
  return table[static_cast<size_t>(place)];
}

}  // namespace gantry::workflow
