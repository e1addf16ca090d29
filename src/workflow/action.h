#pragma once

// The typed model of an action's metadata file (action.yml / action.yaml), with source
// positions, as GitHub's runner reads it (ActionManifestManager): name, inputs, outputs and
// `runs:` for composite, node and docker actions.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "workflow/diagnostic.h"
#include "workflow/model.h"

namespace gantry::workflow {

/// One entry of `inputs:`.
struct ActionInput {
  std::string id;  // as written (GitHub compares input names case-insensitively)
  Position pos;
  std::optional<Text> description;
  bool required = false;         // `required:` (true/false; anything else is an error)
  std::optional<Text> default_;  // may hold `${{ }}` (github, strategy, matrix, job, runner, env)
  std::optional<Text> deprecation_message;
};

/// One entry of `outputs:`. `value` is required (and only allowed) for composite actions.
struct ActionOutput {
  std::string id;
  Position pos;
  std::optional<Text> description;
  std::optional<Text> value;
};

/// `runs.using`, normalised.
enum class ActionKind { kComposite, kNode, kDocker };

/// `runs:`.
struct ActionRuns {
  Position pos;
  ActionKind kind = ActionKind::kComposite;
  std::string using_;  // as written, lower-cased: "composite", "node20", "docker"...
  // node:
  std::optional<Text> main, pre, post;
  std::optional<Text> pre_if, post_if;  // default "always()" when pre/post are set
  // docker:
  std::optional<Text> image;  // "Dockerfile", a path to one, or "docker://image"
  std::optional<Text> entrypoint, pre_entrypoint, post_entrypoint;
  std::vector<Text> args;
  TextMap env;
  // composite: steps read with the workflow step reader, plus the composite-only rules
  // (`shell:` required on run steps; no `timeout-minutes`).
  std::vector<Step> steps;
};

/// A whole action.yml.
struct ActionManifest {
  std::string file;  // path as given, used in diagnostics
  std::optional<Text> name, description, author;
  std::vector<ActionInput> inputs;    // order as written
  std::vector<ActionOutput> outputs;  // order as written
  ActionRuns runs;

  /// The input named `id`, compared case-insensitively; nullptr when absent.
  const ActionInput* FindInput(std::string_view id) const;
};

/// The result of reading one manifest: the model and every problem found. The model is
/// usable only when `diagnostics` has no error.
struct ActionManifestLoad {
  ActionManifest manifest;
  std::vector<Diagnostic> diagnostics;
  bool ok() const;
};

/// Parses `text` as an action manifest named `file` (for messages). Problems are reported as
/// diagnostics with positions: YAML syntax, unknown keys (with "did you mean"), a missing
/// `runs`/`runs.using`/`main`/`image`/`steps`, an unknown `using` ("'node8' is not a
/// supported runs.using value" style), composite `run:` steps without `shell:`, outputs of a
/// composite without `value`, and expressions that do not parse.
ActionManifestLoad ParseActionManifest(std::string_view text, const std::string& file);

/// Finds `action.yml`, else `action.yaml`, in `dir` and parses it. NotFound (naming `dir`,
/// in the runner's words: "Can't find 'action.yml', 'action.yaml' or 'Dockerfile' under
/// '<dir>'") when neither exists; a directory with only a `Dockerfile` yields a docker
/// manifest whose image is "Dockerfile". InvalidArgument with the first diagnostics
/// ("file:line:col: message" lines) when the manifest has errors.
core::Result<ActionManifest> LoadActionManifest(const std::string& dir);

}  // namespace gantry::workflow
