#include "workflow/matrix.h"

#include <algorithm>
#include <string>
#include <vector>

#include "workflow/fields.h"

namespace gantry::workflow {
namespace {

// Checks expressions anywhere inside a matrix value (values may be any YAML).
void CheckNestedExpressions(Reader& r, const YamlNode& node) {
  if (node.IsScalar()) {
    CheckExpressions(r, node, Place::kJobStrategy);
    return;
  }
  for (const auto& item : node.items) CheckNestedExpressions(r, *item);
  for (const auto& [key, value] : node.entries) {
    CheckExpressions(r, *key, Place::kJobStrategy);
    CheckNestedExpressions(r, *value);
  }
}

// Reads `include`/`exclude`: a sequence of mappings or one expression. Returns the item
// mappings (empty for an expression).
std::vector<const YamlNode*> ReadFilter(Reader& r, const YamlNode& node, const std::string& what) {
  std::vector<const YamlNode*> items;
  if (HasExpression(node)) {
    CheckExpressions(r, node, Place::kJobStrategy);
    return items;
  }
  if (!node.IsSequence()) {
    ReportUnexpected(r, node, "a sequence of mappings for matrix '" + what + "'");
    return items;
  }
  for (const auto& item : node.items) {
    if (HasExpression(*item)) {
      CheckExpressions(r, *item, Place::kJobStrategy);
      continue;
    }
    if (!item->IsMapping()) {
      ReportUnexpected(r, *item, "a mapping of matrix keys to values in '" + what + "'");
      continue;
    }
    std::vector<bool> duplicate = CheckDuplicateKeys(r, *item);
    for (size_t i = 0; i < item->entries.size(); ++i) {
      const auto& [key, value] = item->entries[i];
      if (key->scalar.empty() && !duplicate[i]) ReportUnexpected(r, *key, "a non-empty key");
    }
    CheckNestedExpressions(r, *item);
    items.push_back(item.get());
  }
  return items;
}

void ReadMatrix(Reader& r, const YamlNodePtr& node) {
  if (HasExpression(*node)) {
    CheckExpressions(r, *node, Place::kJobStrategy);
    return;
  }
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "a mapping of matrix vectors or an expression");
    return;
  }
  std::vector<bool> duplicate = CheckDuplicateKeys(r, *node);
  std::vector<std::string> keys;  // vector keys and keys added by include
  bool dynamic = false;           // some keys are only known at run time
  std::vector<const YamlNode*> excludes;
  for (size_t i = 0; i < node->entries.size(); ++i) {
    if (duplicate[i]) continue;
    const auto& [key, value] = node->entries[i];
    if (HasExpression(*key)) {
      CheckExpressions(r, *key, Place::kJobStrategy);
      dynamic = true;
      continue;
    }
    if (key->scalar.empty()) {
      ReportUnexpected(r, *key, "a non-empty matrix key");
      continue;
    }
    if (key->scalar == "include" || key->scalar == "exclude") {
      if (HasExpression(*value)) dynamic = true;
      auto items = ReadFilter(r, *value, key->scalar);
      if (key->scalar == "exclude") {
        excludes = std::move(items);
        continue;
      }
      for (const YamlNode* item : items) {
        for (const auto& [k, v] : item->entries) keys.push_back(k->scalar);
      }
      continue;
    }
    keys.push_back(key->scalar);
    if (HasExpression(*value)) {
      CheckExpressions(r, *value, Place::kJobStrategy);
      dynamic = true;
      continue;
    }
    if (!value->IsSequence()) {
      ReportUnexpected(r, *value, "a sequence of values for matrix vector '" + key->scalar + "'");
      continue;
    }
    if (value->items.empty()) {
      r.Error(value->pos, "Matrix vector '" + key->scalar + "' does not contain any values",
              "matrix");
      continue;
    }
    CheckNestedExpressions(r, *value);
  }
  if (dynamic) return;
  for (const YamlNode* item : excludes) {
    for (const auto& [key, value] : item->entries) {
      if (key->scalar.empty() || HasExpression(*key)) continue;
      if (std::find(keys.begin(), keys.end(), key->scalar) == keys.end()) {
        r.Error(key->pos,
                "Matrix exclude key '" + key->scalar + "' does not match any key within the matrix",
                "matrix");
      }
    }
  }
}

}  // namespace

std::optional<Strategy> ReadStrategy(Reader& r, const YamlNodePtr& node) {
  if (!node) return std::nullopt;
  Strategy out;
  out.pos = node->pos;
  if (HasExpression(*node)) {
    if (!CheckExpressions(r, *node, Place::kJobStrategy).ok) return std::nullopt;
    out.expression = Text{node->scalar, node->pos};
    return out;
  }
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "a mapping with 'matrix', 'fail-fast' or 'max-parallel'");
    return std::nullopt;
  }
  CheckShape(r, *node, {{{"matrix", "fail-fast", "max-parallel"}, {}}}, "strategy");
  out.fail_fast = ReadBool(r, node->Find("fail-fast"), Place::kJobStrategy);
  out.max_parallel = ReadNumber(r, node->Find("max-parallel"), Place::kJobStrategy);
  if (YamlNodePtr matrix = node->Find("matrix")) {
    ReadMatrix(r, matrix);
    out.matrix = matrix;
  }
  return out;
}

}  // namespace gantry::workflow
