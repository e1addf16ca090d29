#include "workflow/action.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "core/strings.h"
#include "expr/expression.h"
#include "workflow/fields.h"
#include "workflow/places.h"
#include "workflow/reader.h"
#include "workflow/steps.h"
#include "workflow/yaml.h"

namespace gantry::workflow {
namespace {

namespace fs = std::filesystem;
using Names = std::vector<std::string>;

// The contexts of GitHub's runner schema for action manifests (action_yaml.json). They differ
// from a workflow's: an action sees neither `secrets`, `needs` nor `vars`.
expr::ParseOptions Options(Names contexts, Names functions) {
  expr::ParseOptions options;
  options.named_values = std::move(contexts);
  options.extra_functions = std::move(functions);
  return options;
}

const Names& StepContexts() {
  static const Names names = {"github", "inputs", "strategy", "matrix",
                              "steps",  "job",    "runner",   "env"};
  return names;
}

// string-steps-context: composite step fields.
const expr::ParseOptions& StepOptions() {
  static const expr::ParseOptions options = Options(StepContexts(), {"hashfiles"});
  return options;
}

// step-if: a composite step's condition.
const expr::ParseOptions& StepIfOptions() {
  static const expr::ParseOptions options =
      Options(StepContexts(), {"always", "failure", "cancelled", "success", "hashfiles"});
  return options;
}

// input-default-context, plus `env` and `inputs` (an input defaulting to another one), which
// act accepts and its conformance suite uses.
const expr::ParseOptions& InputDefaultOptions() {
  static const expr::ParseOptions options =
      Options({"github", "strategy", "matrix", "job", "runner", "env", "inputs"}, {"hashfiles"});
  return options;
}

// output-value.
const expr::ParseOptions& OutputValueOptions() {
  static const expr::ParseOptions options = Options(StepContexts(), {});
  return options;
}

// container-runs-context: docker args and env.
const expr::ParseOptions& ContainerOptions() {
  static const expr::ParseOptions options = Options({"inputs"}, {});
  return options;
}

// pre-if / post-if are evaluated by the runner when the step runs; here only their syntax is
// checked, with every context and function accepted.
const expr::ParseOptions& ConditionOptions() {
  static const expr::ParseOptions options;
  return options;
}

bool SamePosition(Position a, Position b) { return a.line == b.line && a.column == b.column; }

// Parses the `${{ }}` of a scalar with `options`; reports the first error at the scalar.
bool CheckTemplate(Reader& r, const YamlNode& node, const expr::ParseOptions& options) {
  if (!HasExpression(node)) return true;
  auto parsed = expr::Template::Parse(node.scalar, options);
  if (parsed.ok()) return true;
  r.Error(node.pos, parsed.status().message(), "expression");
  return false;
}

// A string whose expressions may use the contexts of `options`. nullopt when absent or wrong.
std::optional<Text> ReadTemplate(Reader& r, const YamlNodePtr& node,
                                 const expr::ParseOptions& options, bool non_empty) {
  if (!node) return std::nullopt;
  if (!node->IsScalar() || (non_empty && node->scalar.empty())) {
    ReportUnexpected(r, *node, non_empty ? "a non-empty string" : "a string");
    return std::nullopt;
  }
  if (!CheckTemplate(r, *node, options)) return std::nullopt;
  return Text{node->scalar, node->pos};
}

// Text that is shown, never evaluated (name, description, author...): any scalar.
std::optional<Text> ReadFreeText(Reader& r, const YamlNodePtr& node) {
  if (!node || node->IsNull()) return std::nullopt;
  if (!node->IsScalar()) {
    ReportUnexpected(r, *node, "a string");
    return std::nullopt;
  }
  return Text{node->scalar, node->pos};
}

// pre-if / post-if: a condition with or without `${{ }}`.
std::optional<Text> ReadActionCondition(Reader& r, const YamlNodePtr& node) {
  std::optional<Text> text = ReadString(r, node, Place::kNoContexts, true);
  if (!text || HasExpression(*node)) return text;
  auto parsed = expr::Expression::Parse(core::TrimSpace(text->value), ConditionOptions());
  if (!parsed.ok()) {
    r.Error(node->pos, parsed.status().message(), "expression");
    return std::nullopt;
  }
  return text;
}

// A mapping of names to strings whose expressions may use the contexts of `options`.
TextMap ReadTemplateMap(Reader& r, const YamlNodePtr& node, const expr::ParseOptions& options) {
  TextMap out;
  if (!node || node->IsNull()) return out;
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "a mapping");
    return out;
  }
  std::vector<bool> duplicate = CheckDuplicateKeys(r, *node);
  for (size_t i = 0; i < node->entries.size(); ++i) {
    const auto& [key, value] = node->entries[i];
    if (duplicate[i]) continue;
    if (key->scalar.empty()) {
      ReportUnexpected(r, *key, "a non-empty name");
      continue;
    }
    std::optional<Text> text = ReadTemplate(r, value, options, false);
    if (text && CheckTemplate(r, *key, options)) out.emplace_back(key->scalar, std::move(*text));
  }
  return out;
}

// The top level and `inputs.<id>` are loose in GitHub's schema: any other key is accepted and
// ignored (inputs often carry a `type:` copied from workflow_call). Only a key that is a near
// miss of a known one is reported, as the typo it almost certainly is.
void CheckLooseKeys(Reader& r, const YamlNode& mapping,
                    const std::vector<std::string_view>& known) {
  for (const auto& [key, value] : mapping.entries) {
    if (!key->IsScalar() || HasExpression(*key)) continue;
    if (std::find(known.begin(), known.end(), std::string_view(key->scalar)) != known.end())
      continue;
    std::string suggestion = key->scalar.size() >= 3 ? ClosestMatch(key->scalar, known) : "";
    if (suggestion.empty()) continue;
    r.Error(key->pos, "Unexpected value '" + key->scalar + "' (did you mean '" + suggestion + "'?)",
            "unknown-key");
  }
}

std::optional<ActionKind> KindOf(const std::string& using_lower) {
  if (using_lower == "composite") return ActionKind::kComposite;
  if (using_lower == "docker") return ActionKind::kDocker;
  if (using_lower == "node12" || using_lower == "node16" || using_lower == "node20" ||
      using_lower == "node24") {
    return ActionKind::kNode;
  }
  return std::nullopt;
}

const Shape& RunsShape(std::optional<ActionKind> kind) {
  static const Shape composite = {{"using", "steps"}, {"using", "steps"}};
  static const Shape node = {{"using", "main", "pre", "pre-if", "post", "post-if"},
                             {"using", "main"}};
  static const Shape docker = {{"using", "image", "entrypoint", "args", "env", "pre-entrypoint",
                                "pre-if", "post-entrypoint", "post-if"},
                               {"using", "image"}};
  // With no usable `using`, keys are checked against every kind's to still catch typos.
  static const Shape any = {{"using", "steps", "main", "pre", "pre-if", "post", "post-if", "image",
                             "entrypoint", "args", "env", "pre-entrypoint", "post-entrypoint"},
                            {"using"}};
  if (!kind) return any;
  switch (*kind) {
    case ActionKind::kComposite:
      return composite;
    case ActionKind::kNode:
      return node;
    case ActionKind::kDocker:
      return docker;
  }
  return any;
}

// Reports an expression that the workflow step reader accepted (it allows a job's contexts)
// but that uses a context a composite action does not have.
void CheckStepContext(Reader& r, const YamlNodePtr& node, bool condition) {
  if (!node || !node->IsScalar()) return;
  const expr::ParseOptions& loose = ParseOptionsFor(condition ? Place::kStepIf : Place::kStep);
  const expr::ParseOptions& strict = condition ? StepIfOptions() : StepOptions();
  if (HasExpression(*node)) {
    if (!expr::Template::Parse(node->scalar, loose).ok()) return;  // reported already
    CheckTemplate(r, *node, strict);
    return;
  }
  if (!condition || core::TrimSpace(node->scalar).empty()) return;
  if (!expr::Expression::Parse(core::TrimSpace(node->scalar), loose).ok()) return;
  auto parsed = expr::Expression::Parse(core::TrimSpace(node->scalar), strict);
  if (!parsed.ok()) r.Error(node->pos, parsed.status().message(), "expression");
}

void CheckStepMapContext(Reader& r, const YamlNodePtr& node) {
  if (!node) return;
  if (!node->IsMapping()) {
    CheckStepContext(r, node, false);
    return;
  }
  for (const auto& [key, value] : node->entries) {
    CheckStepContext(r, key, false);
    CheckStepContext(r, value, false);
  }
}

// The composite-only rules on one step already read by ReadSteps.
void CheckCompositeStep(Reader& r, const YamlNode& item, Step& step) {
  for (const auto& [key, value] : item.entries) {
    if (key->scalar == "timeout-minutes") {
      r.Error(key->pos,
              "Unexpected value 'timeout-minutes' (composite action steps cannot set a timeout)",
              "unknown-key");
      step.timeout_minutes.reset();
    }
  }
  const bool run_step = item.Find("run") && !item.Find("uses");
  YamlNodePtr shell = item.Find("shell");
  if (run_step && !shell) r.Error(item.pos, "Required property is missing: shell", "syntax");
  // Unlike a workflow step's, a composite step's shell may use the step contexts.
  if (run_step && shell && HasExpression(*shell) && CheckTemplate(r, *shell, StepOptions())) {
    step.shell = Text{shell->scalar, shell->pos};
  }
  for (std::string_view field : {"name", "run", "working-directory", "continue-on-error"}) {
    CheckStepContext(r, item.Find(field), false);
  }
  CheckStepContext(r, item.Find("if"), true);
  CheckStepMapContext(r, item.Find("env"));
  CheckStepMapContext(r, item.Find("with"));
}

// `runs.steps` of a composite action: the workflow step reader plus the composite rules.
std::vector<Step> ReadCompositeSteps(Reader& r, const YamlNodePtr& node) {
  if (!node) return {};
  Diagnostics scratch;
  Reader inner(r.file(), scratch);
  std::vector<Step> steps = ReadSteps(inner, node);
  // The workflow reader rejects contexts in `shell:`; those are re-checked by the composite
  // rules, so its reports on them are dropped.
  std::vector<Position> shells;
  if (node->IsSequence()) {
    for (const auto& item : node->items) {
      if (!item->IsMapping()) continue;
      YamlNodePtr shell = item->Find("shell");
      if (shell && HasExpression(*shell) && item->Find("run") && !item->Find("uses")) {
        shells.push_back(shell->pos);
      }
    }
  }
  for (Diagnostic& d : scratch) {
    bool on_shell = std::any_of(shells.begin(), shells.end(),
                                [&](Position p) { return SamePosition(p, d.pos); });
    if (!on_shell) r.diagnostics().push_back(std::move(d));
  }
  if (!node->IsSequence()) return steps;
  // ReadSteps yields one Step per mapping item, in order.
  size_t index = 0;
  for (const auto& item : node->items) {
    if (!item->IsMapping() || index >= steps.size()) continue;
    CheckCompositeStep(r, *item, steps[index++]);
  }
  return steps;
}

// pre-if / post-if default to always() when their step exists, as in the runner.
void DefaultConditions(ActionRuns& runs, const std::optional<Text>& pre,
                       const std::optional<Text>& post) {
  if (pre && !runs.pre_if) runs.pre_if = Text{"always()", pre->pos};
  if (post && !runs.post_if) runs.post_if = Text{"always()", post->pos};
}

void ReadDocker(Reader& r, const YamlNode& node, ActionRuns& runs) {
  runs.image = ReadString(r, node.Find("image"), Place::kNoExpressions, true);
  runs.entrypoint = ReadString(r, node.Find("entrypoint"), Place::kNoExpressions, true);
  runs.pre_entrypoint = ReadString(r, node.Find("pre-entrypoint"), Place::kNoExpressions, true);
  runs.post_entrypoint = ReadString(r, node.Find("post-entrypoint"), Place::kNoExpressions, true);
  runs.pre_if = ReadActionCondition(r, node.Find("pre-if"));
  runs.post_if = ReadActionCondition(r, node.Find("post-if"));
  DefaultConditions(runs, runs.pre_entrypoint, runs.post_entrypoint);
  if (YamlNodePtr args = node.Find("args"); args && !args->IsNull()) {
    if (!args->IsSequence()) {
      ReportUnexpected(r, *args, "a sequence of strings");
    } else {
      for (const auto& item : args->items) {
        if (auto text = ReadTemplate(r, item, ContainerOptions(), false)) {
          runs.args.push_back(std::move(*text));
        }
      }
    }
  }
  runs.env = ReadTemplateMap(r, node.Find("env"), ContainerOptions());
}

void ReadRuns(Reader& r, const YamlNodePtr& node, ActionRuns& runs) {
  runs.pos = node->pos;
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "a mapping with 'using'");
    return;
  }
  std::optional<ActionKind> kind;
  if (YamlNodePtr using_node = node->Find("using")) {
    if (auto text = ReadString(r, using_node, Place::kNoExpressions, true)) {
      runs.using_ = core::AsciiLower(text->value);
      kind = KindOf(runs.using_);
      if (!kind) {
        r.Error(using_node->pos,
                "'" + text->value +
                    "' is not a supported runs.using value (use 'composite', 'docker', "
                    "'node12', 'node16', 'node20' or 'node24')",
                "syntax");
      }
    }
  }
  CheckShape(r, *node, {RunsShape(kind)}, "runs");
  if (!kind) return;
  runs.kind = *kind;
  switch (*kind) {
    case ActionKind::kComposite:
      runs.steps = ReadCompositeSteps(r, node->Find("steps"));
      break;
    case ActionKind::kNode:
      runs.main = ReadString(r, node->Find("main"), Place::kNoExpressions, true);
      runs.pre = ReadString(r, node->Find("pre"), Place::kNoExpressions, true);
      runs.post = ReadString(r, node->Find("post"), Place::kNoExpressions, true);
      runs.pre_if = ReadActionCondition(r, node->Find("pre-if"));
      runs.post_if = ReadActionCondition(r, node->Find("post-if"));
      DefaultConditions(runs, runs.pre, runs.post);
      break;
    case ActionKind::kDocker:
      ReadDocker(r, *node, runs);
      break;
  }
}

std::optional<bool> ReadRequired(Reader& r, const YamlNodePtr& node) {
  if (!node || node->IsNull()) return std::nullopt;
  if (node->IsScalar() && node->Type() == YamlNode::ScalarType::kBool) return node->AsBool();
  // Quoted "true"/"false" are common in published actions; GitHub accepts them.
  if (node->IsScalar()) {
    std::string lower = core::AsciiLower(node->scalar);
    if (lower == "true" || lower == "false") return lower == "true";
  }
  ReportUnexpected(r, *node, "a boolean");
  return std::nullopt;
}

void ReadInputs(Reader& r, const YamlNodePtr& node, std::vector<ActionInput>& out) {
  if (!node || node->IsNull()) return;
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "a mapping of input names to their definitions");
    return;
  }
  std::vector<bool> duplicate = CheckDuplicateKeys(r, *node);
  for (size_t i = 0; i < node->entries.size(); ++i) {
    const auto& [key, value] = node->entries[i];
    if (duplicate[i]) continue;
    if (!key->IsScalar() || key->scalar.empty()) {
      ReportUnexpected(r, *key, "a non-empty input name");
      continue;
    }
    ActionInput input;
    input.id = key->scalar;
    input.pos = key->pos;
    if (value->IsMapping()) {
      CheckDuplicateKeys(r, *value);
      CheckLooseKeys(r, *value, {"description", "required", "default", "deprecationMessage"});
      input.description = ReadFreeText(r, value->Find("description"));
      input.required = ReadRequired(r, value->Find("required")).value_or(false);
      input.default_ = ReadTemplate(r, value->Find("default"), InputDefaultOptions(), false);
      input.deprecation_message = ReadFreeText(r, value->Find("deprecationMessage"));
    } else if (!value->IsNull()) {
      ReportUnexpected(r, *value, "a mapping with 'description', 'required' or 'default'");
      continue;
    }
    out.push_back(std::move(input));
  }
}

void ReadOutputs(Reader& r, const YamlNodePtr& node, bool composite,
                 std::vector<ActionOutput>& out) {
  if (!node || node->IsNull()) return;
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "a mapping of output names to their definitions");
    return;
  }
  static const Shape shape = {{"description", "value"}, {}};
  std::vector<bool> duplicate = CheckDuplicateKeys(r, *node);
  for (size_t i = 0; i < node->entries.size(); ++i) {
    const auto& [key, value] = node->entries[i];
    if (duplicate[i]) continue;
    if (!key->IsScalar() || key->scalar.empty()) {
      ReportUnexpected(r, *key, "a non-empty output name");
      continue;
    }
    ActionOutput output;
    output.id = key->scalar;
    output.pos = key->pos;
    if (value->IsMapping()) {
      CheckShape(r, *value, {shape}, "an output");
      output.description = ReadFreeText(r, value->Find("description"));
      // Node and docker actions set outputs from their process; GitHub ignores a `value` there.
      if (composite)
        output.value = ReadTemplate(r, value->Find("value"), OutputValueOptions(), false);
    } else if (!value->IsNull()) {
      ReportUnexpected(r, *value, "a mapping with 'description' and 'value'");
      continue;
    }
    if (composite && !(value->IsMapping() && value->Find("value"))) {
      r.Error(value->IsMapping() ? value->pos : key->pos,
              "Required property is missing: value (outputs of a composite action need a value)",
              "syntax");
    }
    out.push_back(std::move(output));
  }
}

void ReadManifest(Reader& r, const YamlNode& root, ActionManifest& manifest) {
  static const std::vector<std::string_view> keys = {"name",    "description", "author",  "inputs",
                                                     "outputs", "runs",        "branding"};
  CheckDuplicateKeys(r, root);
  CheckLooseKeys(r, root, keys);
  manifest.name = ReadFreeText(r, root.Find("name"));
  manifest.description = ReadFreeText(r, root.Find("description"));
  manifest.author = ReadFreeText(r, root.Find("author"));
  bool runs_read = false;
  if (YamlNodePtr runs = root.Find("runs")) {
    ReadRuns(r, runs, manifest.runs);
    runs_read = runs->IsMapping() && KindOf(manifest.runs.using_).has_value();
  } else {
    manifest.runs.pos = root.pos;
    r.Error(root.pos, "Required property is missing: runs", "syntax");
  }
  ReadInputs(r, root.Find("inputs"), manifest.inputs);
  ReadOutputs(r, root.Find("outputs"), runs_read && manifest.runs.kind == ActionKind::kComposite,
              manifest.outputs);
  // `branding` only decorates the Marketplace listing: accepted and ignored.
}

}  // namespace

const ActionInput* ActionManifest::FindInput(std::string_view id) const {
  std::string wanted = core::AsciiLower(id);
  for (const ActionInput& input : inputs) {
    if (core::AsciiLower(input.id) == wanted) return &input;
  }
  return nullptr;
}

bool ActionManifestLoad::ok() const { return diagnostics.empty(); }

ActionManifestLoad ParseActionManifest(std::string_view text, const std::string& file) {
  ActionManifestLoad load;
  load.manifest.file = file;
  Reader r(file, load.diagnostics);
  YamlNodePtr root = ParseYaml(text, file, load.diagnostics);
  if (!root) {
    if (load.diagnostics.empty()) {
      r.Error({}, "The action manifest is empty: it needs at least 'runs'", "syntax");
    }
    return load;
  }
  if (!root->IsMapping()) {
    ReportUnexpected(r, *root, "an action mapping with 'runs'");
    return load;
  }
  ReadManifest(r, *root, load.manifest);
  SortByPosition(load.diagnostics);
  // A node reached through several YAML aliases reports its problems once.
  std::set<std::tuple<int, int, std::string>> seen;
  std::erase_if(load.diagnostics, [&seen](const Diagnostic& d) {
    return !seen.emplace(d.pos.line, d.pos.column, d.message).second;
  });
  return load;
}

core::Result<ActionManifest> LoadActionManifest(const std::string& dir) {
  std::error_code ec;
  for (const char* name : {"action.yml", "action.yaml"}) {
    fs::path path = fs::path(dir) / name;
    if (!fs::is_regular_file(path, ec)) continue;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return core::Status::PermissionDenied("cannot read '" + path.string() +
                                            "': " + std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    ActionManifestLoad load = ParseActionManifest(text.str(), path.string());
    if (load.ok()) return std::move(load.manifest);
    constexpr size_t kShown = 5;
    std::string message;
    for (size_t i = 0; i < load.diagnostics.size() && i < kShown; ++i) {
      if (i > 0) message += "\n";
      message += load.diagnostics[i].ToString();
    }
    if (load.diagnostics.size() > kShown) {
      message += "\n(and " + std::to_string(load.diagnostics.size() - kShown) + " more problems)";
    }
    return core::Status::InvalidArgument(message);
  }
  fs::path dockerfile = fs::path(dir) / "Dockerfile";
  if (fs::is_regular_file(dockerfile, ec)) {
    ActionManifest manifest;
    manifest.file = dockerfile.string();
    manifest.runs.kind = ActionKind::kDocker;
    manifest.runs.using_ = "docker";
    manifest.runs.image = Text{"Dockerfile", {}};
    return manifest;
  }
  return core::Status::NotFound("Can't find 'action.yml', 'action.yaml' or 'Dockerfile' under '" +
                                dir +
                                "'. Did you forget to run actions/checkout before running your "
                                "local action?");
}

}  // namespace gantry::workflow
