#include "workflow/steps.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "workflow/fields.h"

namespace gantry::workflow {
namespace {

// The alternatives of GitHub's `steps-item`, in its order; ReadStep switches on the index.
enum ShapeIndex { kRunShape, kUsesShape, kWaitShape, kWaitAllShape, kCancelShape, kParallelShape };

const std::vector<Shape>& StepShapes() {
  static const std::vector<Shape> shapes = {
      {{"name", "id", "if", "timeout-minutes", "run", "continue-on-error", "env",
        "working-directory", "shell", "background"},
       {"run"}},
      {{"name", "id", "if", "continue-on-error", "timeout-minutes", "uses", "with", "env",
        "background"},
       {"uses"}},
      {{"name", "id", "continue-on-error", "wait"}, {"wait"}, true},
      {{"name", "id", "continue-on-error", "wait-all"}, {"wait-all"}, true},
      {{"name", "id", "continue-on-error", "cancel"}, {"cancel"}, true},
      {{"parallel"}, {"parallel"}},
  };
  return shapes;
}

// The keys GitHub's parser accepts only with its `allowBackgroundSteps` feature.
constexpr std::string_view kExperimentalKeys[] = {"background", "wait", "wait-all", "cancel"};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The ids of one step list (a job's steps, or the steps of one parallel block).
struct IdScope {
  std::vector<std::string> lower;  // every id taken, for GitHub's duplicate check
  std::vector<std::string> exact;  // valid ids as written: what wait/cancel may name
};

// The index of `key` among the entries of `mapping`, or entries.size() when absent.
size_t EntryIndex(const YamlNode& mapping, std::string_view key) {
  for (size_t i = 0; i < mapping.entries.size(); ++i) {
    if (mapping.entries[i].first->scalar == key) return i;
  }
  return mapping.entries.size();
}

// A plain boolean (no expressions), as `step-background` is.
std::optional<bool> ReadPlainBool(Reader& r, const YamlNodePtr& node) {
  if (!node) return std::nullopt;
  if (node->IsScalar() && node->Type() == YamlNode::ScalarType::kBool) return node->AsBool();
  if (HasExpression(*node)) {
    CheckExpressions(r, *node, Place::kNoExpressions);
  } else {
    ReportUnexpected(r, *node, "a boolean");
  }
  return std::nullopt;
}

void ReadId(Reader& r, const YamlNodePtr& id, IdScope& scope, Step& step) {
  auto text = ReadString(r, id, Place::kNoExpressions, true);
  if (!text) return;
  std::string problem = CheckIdentifier(text->value);
  std::string lower = Lower(text->value);
  if (!problem.empty()) {
    r.Error(id->pos, problem, "id");
  } else if (std::find(scope.lower.begin(), scope.lower.end(), lower) != scope.lower.end()) {
    r.Error(id->pos,
            "The identifier '" + text->value +
                "' may not be used more than once within the same scope.",
            "id");
  } else {
    scope.lower.push_back(lower);
    scope.exact.push_back(text->value);
  }
  step.id = text->value;
}

// Checks one wait/cancel target as GitHub's converter does: reserved ids, the step itself
// (when its `id:` came first), then an id of an earlier step of the same list (exact case).
void CheckTarget(Reader& r, const Text& target, const IdScope& scope, const std::string* own_id) {
  if (target.value.starts_with("__")) {
    r.Error(
        target.pos,
        "The identifier '" + target.value + "' is invalid. IDs starting with '__' are reserved.",
        "step-target");
  } else if (own_id && Lower(target.value) == Lower(*own_id)) {
    r.Error(target.pos, "Step '" + *own_id + "' cannot reference itself", "step-target");
  } else if (std::find(scope.exact.begin(), scope.exact.end(), target.value) == scope.exact.end()) {
    r.Error(target.pos, "Step references unknown step ID '" + target.value + "'", "step-target");
  }
}

// `wait:` (a non-empty string or a sequence of them) or `cancel:` (a non-empty string).
void ReadTargets(Reader& r, const YamlNodePtr& node, bool many, const IdScope& scope,
                 const std::string* own_id, Step& step) {
  if (!node) return;
  if (many && node->IsSequence()) {
    for (const auto& item : node->items) {
      if (auto text = ReadString(r, item, Place::kNoExpressions, true)) {
        CheckTarget(r, *text, scope, own_id);
        step.targets.push_back(std::move(*text));
      }
    }
    return;
  }
  if (auto text = ReadString(r, node, Place::kNoExpressions, true)) {
    CheckTarget(r, *text, scope, own_id);
    step.targets.push_back(std::move(*text));
  }
}

// `wait-all:` is bare (null) or `true`.
void ReadWaitAll(Reader& r, const YamlNodePtr& node) {
  if (!node || (node->IsScalar() && node->Type() == YamlNode::ScalarType::kNull)) return;
  std::optional<bool> value = ReadPlainBool(r, node);
  if (value && !*value) {
    r.Error(node->pos, "The value of 'wait-all' must be true or omitted", "syntax");
  }
}

void ReadStepList(Reader& r, const YamlNodePtr& node, std::vector<Step>& out);

// GitHub runs every step of a parallel block in the background and allows only run and uses
// steps there; each problem is reported at the block's step, as GitHub does.
void CheckParallelBlock(Reader& r, const YamlNode& block, const YamlNode& list,
                        const std::vector<Step>& steps) {
  for (const auto& item : list.items) {
    if (item->IsMapping() && item->Find("background")) {
      r.Error(block.pos,
              "'background' is not allowed inside a parallel block. Steps in a parallel block are "
              "automatically run as background steps.",
              "parallel");
    }
  }
  for (const Step& inner : steps) {
    if (inner.kind == StepKind::kWait)
      r.Error(block.pos, "'wait' is not allowed inside a parallel block.", "parallel");
    if (inner.kind == StepKind::kWaitAll)
      r.Error(block.pos, "'wait-all' is not allowed inside a parallel block.", "parallel");
    if (inner.kind == StepKind::kCancel)
      r.Error(block.pos, "'cancel' is not allowed inside a parallel block.", "parallel");
    if (inner.kind == StepKind::kParallel)
      r.Error(block.pos, "Nested 'parallel' blocks are not allowed.", "parallel");
  }
}

// The kind of step each shape of StepShapes() reads.
constexpr StepKind kShapeKinds[] = {StepKind::kRun,     StepKind::kUses,   StepKind::kWait,
                                    StepKind::kWaitAll, StepKind::kCancel, StepKind::kParallel};

// One warning per experimental key the step's shape accepted, at the key.
void WarnExperimentalKeys(Reader& r, const YamlNode& step, const Shape& shape) {
  for (const auto& entry : step.entries) {
    const YamlNode& key = *entry.first;
    const std::string& name = key.scalar;
    bool experimental = std::find(std::begin(kExperimentalKeys), std::end(kExperimentalKeys),
                                  name) != std::end(kExperimentalKeys);
    if (!experimental || std::find(shape.keys.begin(), shape.keys.end(), name) == shape.keys.end())
      continue;
    r.Warning(key.pos,
              "'" + name +
                  "' is experimental on GitHub: its workflow parser accepts it only with the "
                  "allowBackgroundSteps feature, so GitHub may reject this workflow",
              "experimental");
  }
}

void ReadStep(Reader& r, const YamlNodePtr& node, IdScope& scope, std::vector<Step>& out) {
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "a step with 'run' or 'uses'");
    return;
  }
  Step step;
  step.pos = node->pos;
  int shape = CheckShape(r, *node, StepShapes(), "a step");
  if (shape < 0) return;
  WarnExperimentalKeys(r, *node, StepShapes()[static_cast<size_t>(shape)]);
  step.kind = kShapeKinds[shape];
  // GitHub reads a step's keys in order: a target names the step itself only when `id:` came
  // before it, and may name only ids of earlier steps (its own id counts once read).
  const char* target_key = shape == kWaitShape ? "wait" : shape == kCancelShape ? "cancel" : "";
  const bool id_first = EntryIndex(*node, "id") < EntryIndex(*node, target_key);
  YamlNodePtr id = node->Find("id");
  if (id && (id_first || !*target_key)) ReadId(r, id, scope, step);
  if (*target_key) {
    const std::string* own = id && id_first && !step.id.empty() ? &step.id : nullptr;
    ReadTargets(r, node->Find(target_key), shape == kWaitShape, scope, own, step);
    if (id && !id_first) ReadId(r, id, scope, step);
  }
  step.name = ReadString(r, node->Find("name"), Place::kStep);
  step.continue_on_error = ReadBool(r, node->Find("continue-on-error"), Place::kStep);
  if (shape == kRunShape || shape == kUsesShape) {
    step.if_condition = ReadCondition(r, node->Find("if"), Place::kStepIf);
    step.env = ReadTextMap(r, node->Find("env"), Place::kStep);
    step.timeout_minutes = ReadNumber(r, node->Find("timeout-minutes"), Place::kStep);
    step.background = ReadPlainBool(r, node->Find("background")).value_or(false);
  }
  if (shape == kRunShape) {
    step.run = ReadString(r, node->Find("run"), Place::kStep);
    step.shell = ReadString(r, node->Find("shell"), Place::kNoContexts, true);
    step.working_directory = ReadString(r, node->Find("working-directory"), Place::kStep);
  } else if (shape == kUsesShape) {
    if (YamlNodePtr uses = node->Find("uses")) {
      step.uses = ReadString(r, uses, Place::kNoExpressions, true);
      if (step.uses && !HasExpression(*uses) && !IsValidActionReference(step.uses->value)) {
        r.Error(uses->pos,
                "Expected format {org}/{repo}[/path]@ref. Actual '" + step.uses->value + "'",
                "syntax");
      }
    }
    step.with = ReadTextMap(r, node->Find("with"), Place::kStep);
  } else if (shape == kWaitAllShape) {
    ReadWaitAll(r, node->Find("wait-all"));
  } else if (shape == kParallelShape) {
    YamlNodePtr list = node->Find("parallel");
    ReadStepList(r, list, step.parallel);
    if (list && list->IsSequence()) CheckParallelBlock(r, *node, *list, step.parallel);
  }
  out.push_back(std::move(step));
}

// Reads a sequence of steps with its own id scope (a job's steps, or one parallel block).
void ReadStepList(Reader& r, const YamlNodePtr& node, std::vector<Step>& out) {
  if (!node) return;
  if (!node->IsSequence()) {
    if (HasExpression(*node)) {
      CheckExpressions(r, *node, Place::kNoExpressions);
    } else {
      ReportUnexpected(r, *node, "a sequence of steps");
    }
    return;
  }
  IdScope scope;
  out.reserve(node->items.size());
  for (const auto& item : node->items) ReadStep(r, item, scope, out);
}

}  // namespace

std::string CheckIdentifier(std::string_view id) {
  bool valid = !id.empty() && id.size() < 100 &&
               (std::isalpha(static_cast<unsigned char>(id[0])) || id[0] == '_');
  for (size_t i = 1; valid && i < id.size(); ++i) {
    char c = id[i];
    valid = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  }
  if (!valid) {
    return "The identifier '" + std::string(id) +
           "' is invalid. IDs may only contain alphanumeric characters, '_', and '-'. IDs must "
           "start with a letter or '_' and and must be less than 100 characters.";
  }
  if (id.substr(0, 2) == "__") {
    return "The identifier '" + std::string(id) +
           "' is invalid. IDs starting with '__' are reserved.";
  }
  return "";
}

bool IsLocalReference(std::string_view uses) {
  return uses == "." || uses.starts_with("./") || uses.starts_with(".\\") || uses.starts_with("$/");
}

std::string_view LocalPath(std::string_view uses) {
  if (uses.starts_with("$/")) return uses.substr(2);
  if (uses.starts_with("./") || uses.starts_with(".\\")) return uses.substr(2);
  return uses == "." ? std::string_view() : uses;
}

bool IsValidActionReference(std::string_view uses) {
  if (uses.substr(0, 9) == "docker://") return true;
  if (uses.starts_with("./") || uses.starts_with(".\\") || uses.starts_with("$/")) return true;
  auto at = uses.find('@');
  if (at == std::string_view::npos || at + 1 >= uses.size()) return false;
  std::string_view path = uses.substr(0, at);
  int segments = 0;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) ++segments;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments >= 2 && path.front() != '/';
}

std::vector<Step> ReadSteps(Reader& r, const YamlNodePtr& node) {
  std::vector<Step> steps;
  ReadStepList(r, node, steps);
  return steps;
}

}  // namespace gantry::workflow
