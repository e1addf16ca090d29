#pragma once

// Where a value sits in a workflow decides which contexts and functions its `${{ }}`
// expressions may use. The table follows GitHub's docs ("Contexts → Context availability")
// and the context lists of GitHub's own workflow schema.

#include <string_view>

#include "expr/expression.h"

namespace gantry::workflow {

/// A place in a workflow file that may hold expressions.
enum class Place {
  kNoExpressions,         // name, job ids, jobs.<id>.uses, steps.uses, keys of most mappings
  kNoContexts,            // expressions allowed but no context: defaults.run.shell, step shell
  kRunName,               // run-name: github, inputs, vars
  kWorkflowConcurrency,   // concurrency: github, inputs, vars
  kWorkflowEnv,           // env: github, secrets, inputs, vars
  kJobIf,                 // jobs.<id>.if: github, needs, vars, inputs + status functions
  kJobStrategy,           // jobs.<id>.strategy: github, needs, vars, inputs
  kJob,                   // name, runs-on, concurrency, environment, container, services,
                          // timeout-minutes, continue-on-error, with: + strategy, matrix
  kJobEnv,                // jobs.<id>.env: kJob + secrets
  kJobSecrets,            // jobs.<id>.secrets.<id>: kJob + secrets
  kJobDefaultsRun,        // jobs.<id>.defaults.run: kJob + env
  kContainerCredentials,  // container/services credentials: kJob + env, secrets
  kContainerEnv,          // container/services env: kJob + job, runner, env, secrets
  kEnvironmentUrl,        // jobs.<id>.environment.url: kJob + job, runner, env, steps
  kJobOutputs,            // jobs.<id>.outputs: kJob + job, runner, env, secrets, steps
  kStep,                  // steps.*: kJobOutputs + hashFiles
  kStepIf,                // steps.if: kStep without secrets + status functions
  kSnapshotIf,            // jobs.<id>.snapshot.if: kJob
  kCallInputDefault,      // on.workflow_call.inputs.<id>.default: github, inputs, vars
  kCallOutputValue,       // on.workflow_call.outputs.<id>.value: github, jobs, vars, inputs
};

/// The parse options (allowed contexts and extra functions) for expressions at `place`.
/// kNoExpressions yields empty lists; callers report "not allowed" before parsing.
const expr::ParseOptions& ParseOptionsFor(Place place);

}  // namespace gantry::workflow
