#include "workflow/steps.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "workflow/fields.h"

namespace gantry::workflow {
namespace {

const std::vector<Shape>& StepShapes() {
  static const std::vector<Shape> shapes = {
      {{"name", "id", "if", "timeout-minutes", "run", "continue-on-error", "env",
        "working-directory", "shell"},
       {"run"}},
      {{"name", "id", "if", "continue-on-error", "timeout-minutes", "uses", "with", "env"},
       {"uses"}},
  };
  return shapes;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void ReadStep(Reader& r, const YamlNodePtr& node, std::vector<std::string>& seen_ids,
              std::vector<Step>& out) {
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "a step with 'run' or 'uses'");
    return;
  }
  Step step;
  step.pos = node->pos;
  int shape = CheckShape(r, *node, StepShapes(), "a step");
  if (YamlNodePtr id = node->Find("id")) {
    if (auto text = ReadString(r, id, Place::kNoExpressions, true)) {
      std::string problem = CheckIdentifier(text->value);
      std::string lower = Lower(text->value);
      if (!problem.empty()) {
        r.Error(id->pos, problem, "id");
      } else if (std::find(seen_ids.begin(), seen_ids.end(), lower) != seen_ids.end()) {
        r.Error(id->pos,
                "The identifier '" + text->value +
                    "' may not be used more than once within the same scope.",
                "id");
      } else {
        seen_ids.push_back(lower);
      }
      step.id = text->value;
    }
  }
  step.name = ReadString(r, node->Find("name"), Place::kStep);
  step.if_condition = ReadCondition(r, node->Find("if"), Place::kStepIf);
  step.env = ReadTextMap(r, node->Find("env"), Place::kStep);
  step.continue_on_error = ReadBool(r, node->Find("continue-on-error"), Place::kStep);
  step.timeout_minutes = ReadNumber(r, node->Find("timeout-minutes"), Place::kStep);
  if (shape == 0) {
    step.run = ReadString(r, node->Find("run"), Place::kStep);
    step.shell = ReadString(r, node->Find("shell"), Place::kNoContexts, true);
    step.working_directory = ReadString(r, node->Find("working-directory"), Place::kStep);
  } else if (shape == 1) {
    if (YamlNodePtr uses = node->Find("uses")) {
      step.uses = ReadString(r, uses, Place::kNoExpressions, true);
      if (step.uses && !HasExpression(*uses) && !IsValidActionReference(step.uses->value)) {
        r.Error(uses->pos,
                "Expected format {org}/{repo}[/path]@ref. Actual '" + step.uses->value + "'",
                "syntax");
      }
    }
    step.with = ReadTextMap(r, node->Find("with"), Place::kStep);
  }
  out.push_back(std::move(step));
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

bool IsValidActionReference(std::string_view uses) {
  if (uses.substr(0, 9) == "docker://") return true;
  if (uses.substr(0, 2) == "./" || uses.substr(0, 2) == ".\\") return true;
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
  if (!node) return steps;
  if (!node->IsSequence()) {
    if (HasExpression(*node)) {
      CheckExpressions(r, *node, Place::kNoExpressions);
    } else {
      ReportUnexpected(r, *node, "a sequence of steps");
    }
    return steps;
  }
  std::vector<std::string> seen_ids;
  steps.reserve(node->items.size());
  for (const auto& item : node->items) ReadStep(r, item, seen_ids, steps);
  return steps;
}

}  // namespace gantry::workflow
