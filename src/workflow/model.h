#pragma once

// The typed model of a GitHub Actions workflow. Every element keeps its source position.
// Values that may hold `${{ }}` are kept as their text (`Expr` / string templates) and
// evaluated later by the engine; the loader has already checked that they parse.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "workflow/diagnostic.h"
#include "workflow/events.h"
#include "workflow/yaml.h"

namespace gantry::workflow {

/// A string that may contain `${{ }}` templates, with its position.
struct Text {
  std::string value;
  Position pos;
};

/// An ordered name → template map (env, with, outputs...). Order as written. Where GitHub
/// accepts a whole map written as one expression (`env: ${{ fromJSON(...) }}`), the map holds
/// a single entry with an empty name whose value is that expression (see IsWholeExpression).
/// Names are kept as written: a name may itself be a template, and the name `${{ insert }}`
/// (GitHub's directive) merges the object its value evaluates to into the map.
using TextMap = std::vector<std::pair<std::string, Text>>;

/// True when `map` is one `${{ }}` expression that yields the whole map at run time.
inline bool IsWholeExpression(const TextMap& map) {
  return map.size() == 1 && map[0].first.empty();
}

/// `defaults: run:`.
struct RunDefaults {
  std::optional<Text> shell;
  std::optional<Text> working_directory;
};

/// `concurrency:` (string form sets only `group`).
struct Concurrency {
  Position pos;
  Text group;                              // may be an expression
  std::optional<Text> cancel_in_progress;  // "true"/"false" or an expression
  std::optional<Text> queue;               // "single" | "max"
};

/// `permissions:`: either a blanket level ("read-all", "write-all", "{}") or per scope.
struct Permissions {
  std::optional<std::string> all;                           // "read-all" | "write-all" | ""
  std::vector<std::pair<std::string, std::string>> scopes;  // scope → read|write|none
  Position pos;
};

/// `runs-on:` in any of its forms.
struct RunsOn {
  Position pos;
  std::vector<Text> labels;  // string or list form; also `labels:` of the map form
  std::optional<Text> group;
  /// A single `${{ }}` expression that yields the labels at run time.
  std::optional<Text> expression;
};

/// `environment:` (string form sets only `name`).
struct Environment {
  Position pos;
  Text name;
  std::optional<Text> url;
  std::optional<Text> deployment;  // "true"/"false": whether to create a deployment record
};

/// `container:` of a job or one entry of `services:`. When the whole value is one expression,
/// `image` holds it and the engine evaluates it to a string (image) or an object (mapping).
/// A job container whose image is empty (`container: ''`, as matrix patterns produce) means
/// the job runs without a container, as on GitHub.
struct Container {
  std::string id;  // the service key; empty for a job container
  Position pos;
  Text image;
  std::optional<std::pair<Text, Text>> credentials;  // username, password
  TextMap env;
  std::vector<Text> ports;
  std::vector<Text> volumes;
  std::optional<Text> options;
  std::optional<Text> entrypoint;  // services only
  std::optional<Text> command;     // services only
};

/// `strategy:`.
struct Strategy {
  Position pos;
  /// The matrix as written: either a YAML mapping (dimensions, include, exclude) or a
  /// single expression string. Expanded by the engine's planner.
  YamlNodePtr matrix;
  std::optional<Text> fail_fast;     // boolean or expression, default true
  std::optional<Text> max_parallel;  // number or expression
  /// Set when the whole `strategy:` is one expression (then the fields above are unset).
  std::optional<Text> expression;
};

/// `snapshot:` (custom runner images): the image to create from the job's runner.
struct Snapshot {
  Position pos;
  Text image_name;
  std::optional<Text> version;
  std::optional<Text> if_condition;
};

struct Workflow;

/// What a step does. `run:` and `uses:` steps run something (in the background with
/// `background: true`); the others are GitHub's background-step control steps.
enum class StepKind {
  kRun,       // `run:`
  kUses,      // `uses:`
  kWait,      // `wait: ID` or `wait: [ID...]`: blocks until those background steps finish
  kWaitAll,   // `wait-all:`: blocks until every background step started so far finishes
  kCancel,    // `cancel: ID`: stops a background step
  kParallel,  // `parallel:`: its steps run as background steps, waited for together
};

/// One step of a job.
struct Step {
  Position pos;
  StepKind kind = StepKind::kRun;
  std::string id;  // empty when not given
  std::optional<Text> name;
  std::optional<Text> if_condition;  // as written, without the implicit success() &&
  std::optional<Text> uses;
  std::optional<Text> run;
  std::optional<Text> shell;
  std::optional<Text> working_directory;
  TextMap with;
  TextMap env;
  std::optional<Text> continue_on_error;  // boolean or expression
  std::optional<Text> timeout_minutes;    // number or expression
  /// `background: true` on a run/uses step: the job goes on while it runs.
  bool background = false;
  /// kWait: the ids waited for; kCancel: the one id cancelled (as written, with positions).
  std::vector<Text> targets;
  /// kParallel: the steps of the block (run and uses steps only).
  std::vector<Step> parallel;
};

/// One job of `jobs:`.
struct Job {
  std::string id;
  Position pos;
  std::optional<Text> name;
  std::vector<Text> needs;
  std::optional<Text> if_condition;
  std::optional<RunsOn> runs_on;
  std::optional<Environment> environment;
  std::optional<Concurrency> concurrency;
  std::optional<Permissions> permissions;
  TextMap outputs;
  TextMap env;
  RunDefaults defaults;
  std::vector<Step> steps;
  std::optional<Text> timeout_minutes;
  std::optional<Text> cancel_timeout_minutes;
  std::optional<Strategy> strategy;
  std::optional<Text> continue_on_error;
  std::optional<Container> container;
  std::vector<Container> services;
  /// Set when `services:` is one expression yielding the whole map.
  std::optional<Text> services_expression;
  std::optional<Snapshot> snapshot;
  /// Reusable workflow call: `uses`, `with`, `secrets` (or `secrets: inherit`).
  std::optional<Text> uses;
  TextMap with;
  TextMap secrets;
  bool secrets_inherit = false;
  /// The loaded callee of a local reusable workflow call (`uses: ./.github/workflows/x.yml`)
  /// when LoadOptions::read_file was set and it loaded; nullptr otherwise.
  std::shared_ptr<const Workflow> called_workflow;

  /// True for a reusable workflow call (`uses:`), false for a job with runs-on/steps.
  bool IsReusableCall() const { return uses.has_value(); }
};

/// A whole workflow file.
struct Workflow {
  std::string file;
  std::optional<Text> name;
  std::optional<Text> description;
  std::optional<Text> run_name;
  Triggers on;
  std::optional<Permissions> permissions;
  TextMap env;
  RunDefaults defaults;
  std::optional<Concurrency> concurrency;
  std::vector<Job> jobs;  // in the order written

  /// The job with `id`, or nullptr.
  const Job* FindJob(std::string_view id) const;
};

}  // namespace gantry::workflow
