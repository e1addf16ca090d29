#pragma once

// The contexts a server-run workflow sees, built from the run's row the same way every time
// (at launch, after a restart, in each job's spec): `github` (event, ref, sha, repository,
// actor, run id/number/attempt, server URLs), `vars`, `inputs`; and the secrets one job
// references, decrypted for its spec only.

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "expr/expression.h"
#include "expr/value.h"
#include "server/api.h"
#include "workflow/model.h"

namespace gantry::server {

struct RunContext {
  expr::Value github;
  std::vector<std::pair<std::string, std::string>> vars;
  std::vector<std::pair<std::string, std::string>> inputs;  // as text, typed by the engine
  expr::EvalContext plan_context;                           // github, vars, inputs
};

RunContext MakeRunContext(const ApiContext& ctx, const store::Project& project,
                          const store::Run& run, const std::vector<store::Variable>& vars);

/// Names of the secrets the job `job_id` of `workflow` (whose text is `yaml`) references —
/// `secrets.NAME` / `secrets['NAME']` in the job or in the workflow's top part; every secret
/// for `secrets: inherit`, `toJSON(secrets)` or an indexed lookup by expression. `*all` is set
/// when every secret is needed.
std::vector<std::string> ReferencedSecrets(const std::string& yaml,
                                           const workflow::Workflow& workflow,
                                           const std::string& job_id, bool* all);

/// The names of the secrets a job references, as a job's stored spec keeps them: an array of
/// lower-case names, or "*" for every secret.
nlohmann::json SecretNames(const std::string& yaml, const workflow::Workflow& workflow,
                           const std::string& job_id);

/// The secrets `names` (SecretNames) lists, decrypted: {"NAME":"value"}.
nlohmann::json JobSecrets(ApiContext& ctx, store::Id project_id, const nlohmann::json& names);

}  // namespace gantry::server
