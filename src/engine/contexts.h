#pragma once

// The expression contexts of a run (github, env, job, steps, runner, strategy, matrix, needs,
// inputs, secrets, vars) and the environment variables GitHub derives from them
// (GITHUB_*, RUNNER_*). Pure functions over values: no process, no file.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "expr/expression.h"
#include "expr/value.h"
#include "workflow/model.h"

namespace gantry::engine {

/// An ordered list of environment variables or string pairs.
using EnvList = std::vector<std::pair<std::string, std::string>>;

/// Sets `name` to `value` in `list`, replacing an existing entry with the same
/// (case-sensitive) name in place, else appending.
void SetEnv(EnvList& list, std::string_view name, std::string value);
/// The value of `name` in `list`, or nullptr.
const std::string* FindEnv(const EnvList& list, std::string_view name);

/// An object value whose members are the pairs of `list` as strings (later pairs win).
expr::Value ObjectFromPairs(const EnvList& list);

/// Returns `contexts` (an object) with the context `name` set to `value`.
expr::Value WithContext(const expr::Value& contexts, std::string_view name, expr::Value value);

/// The machine the steps run on, as the runner context and RUNNER_* variables show it.
struct RunnerInfo {
  std::string name;        // RUNNER_NAME
  std::string os;          // "Linux", "macOS"
  std::string arch;        // "X64", "ARM64", "X86", "ARM"
  std::string temp;        // RUNNER_TEMP (per job instance)
  std::string workspace;   // RUNNER_WORKSPACE: the parent of github.workspace (per job instance)
  std::string tool_cache;  // RUNNER_TOOL_CACHE
  bool debug = false;      // runner.debug == "1"
};

/// The runner info of this machine (name from the host name, os/arch from uname) with
/// empty temp/tool_cache/workspace.
RunnerInfo DetectRunner();

/// The directory name GitHub's runner gives a repository's workspace (`<work>/<name>/<name>`):
/// the part of github.repository after the owner, or "workspace" when there is none usable.
std::string RepositoryDirName(const expr::Value& github);

/// The `runner` context.
expr::Value MakeRunnerContext(const RunnerInfo& runner);

/// The `strategy` context of one matrix instance.
expr::Value MakeStrategyContext(bool fail_fast, int job_index, int job_total, int max_parallel);

/// The `job` context: status ("success", "failure", "cancelled"), container and services
/// (`services`: the object ServicesContext makes; null = no services).
expr::Value MakeJobContext(std::string_view status, const expr::Value& services = expr::Value(),
                           const expr::Value& container = expr::Value());

/// The `inputs` context: the inputs declared by the workflow_dispatch / workflow_call trigger
/// of `event_name` with their defaults, then the event payload's `inputs`, then `given`; each
/// typed by its declaration (a boolean input is a boolean, a number input a number).
expr::Value MakeInputsContext(const workflow::Workflow& workflow, std::string_view event_name,
                              const expr::Value& event, const EnvList& given);

/// The GITHUB_* variables GitHub exports from the `github` context (GITHUB_SHA, GITHUB_REF,
/// GITHUB_WORKSPACE, GITHUB_ENV...), plus GITHUB_ACTIONS=true.
EnvList GithubEnvironment(const expr::Value& github);
/// The RUNNER_* variables of `runner`.
EnvList RunnerEnvironment(const RunnerInfo& runner);

/// Evaluates a template field: the value of a single `${{ }}` keeps its type, anything else
/// becomes a string. Errors name the place: "file:line:col: message".
core::Result<expr::Value> EvaluateText(const workflow::Text& text, const expr::EvalContext& ctx,
                                       const std::string& file);
/// Like EvaluateText, converted to a string with GitHub's coercion.
core::Result<std::string> EvaluateString(const workflow::Text& text, const expr::EvalContext& ctx,
                                         const std::string& file);
/// Evaluates a boolean field ("true"/"false" or an expression) with GitHub's truthiness.
core::Result<bool> EvaluateBool(const workflow::Text& text, const expr::EvalContext& ctx,
                                const std::string& file);
/// Evaluates a number field (minutes); InvalidArgument when it is not a finite number >= 0.
core::Result<double> EvaluateNumber(const workflow::Text& text, const expr::EvalContext& ctx,
                                    const std::string& file);

/// Evaluates an `env:`/`outputs:` map: names and values are templates; a whole-map expression
/// and `${{ insert }}` merge the object they yield. Values are converted to strings.
core::Result<EnvList> EvaluateTextMap(const workflow::TextMap& map, const expr::EvalContext& ctx,
                                      const std::string& file);

/// "file:line:col: message" (or "file: message" without a position).
std::string Located(const std::string& file, const workflow::Position& pos,
                    const std::string& message);

}  // namespace gantry::engine
