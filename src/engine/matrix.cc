// Matrix expansion with the semantics of GitHub's MatrixBuilder: the cross product of the
// vectors in the order written (the first vector varies slowest), `exclude` filters applied to
// each product entry, then `include` filters, which add their non-vector keys to every entry
// whose vector values they match and become entries of their own when they match none.

#include "engine/matrix.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "engine/plan.h"
#include "expr/functions.h"

namespace gantry::engine {
namespace {

using expr::Array;
using expr::EvalContext;
using expr::Object;
using expr::Value;
using workflow::YamlNode;

// GitHub's limit on the jobs one matrix may produce.
constexpr std::size_t kMaxResults = 256;
// Beyond this many cross-product entries the limit cannot plausibly be met after exclusions;
// refusing early keeps a runaway matrix from taking the machine's memory.
constexpr std::size_t kMaxProduct = 100000;

core::Status Invalid(std::string message) {
  return core::Status::InvalidArgument(std::move(message));
}

// The template token names GitHub's messages use for each kind of value.
const char* TokenName(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return "NullToken";
    case Value::Kind::kBoolean:
      return "BooleanToken";
    case Value::Kind::kNumber:
      return "NumberToken";
    case Value::Kind::kString:
      return "StringToken";
    case Value::Kind::kArray:
      return "SequenceToken";
    case Value::Kind::kObject:
      return "MappingToken";
  }
  return "TemplateToken";
}

core::Status UnexpectedType(const Value& v, const std::string& what, const std::string& expected) {
  return Invalid(std::string("Unexpected type '") + TokenName(v) + "' encountered while reading '" +
                 what + "'. The type '" + expected + "' was expected.");
}

bool HasExpression(const std::string& text) { return text.find("${{") != std::string::npos; }

core::Result<Value> EvaluateTemplate(const std::string& text, const EvalContext& ctx) {
  auto parsed = expr::Template::Parse(text);
  if (!parsed.ok()) return parsed.status();
  return parsed->Evaluate(ctx);
}

Value LiteralScalar(const YamlNode& node) {
  switch (node.Type()) {
    case YamlNode::ScalarType::kNull:
      return Value();
    case YamlNode::ScalarType::kBool:
      return Value(node.AsBool());
    case YamlNode::ScalarType::kInt:
    case YamlNode::ScalarType::kFloat:
      return Value(node.AsNumber());
    case YamlNode::ScalarType::kString:
      break;
  }
  return Value(node.scalar);
}

// `${{ insert }}` as a mapping key: GitHub's directive that merges a mapping (written, or the
// value of an expression) into the mapping holding the key.
bool IsInsertDirective(std::string_view key) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0)
      s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0)
      s.remove_suffix(1);
    return s;
  };
  key = trim(key);
  if (key.size() < 5 || key.substr(0, 3) != "${{" || key.substr(key.size() - 2) != "}}") {
    return false;
  }
  return trim(key.substr(3, key.size() - 5)) == "insert";
}

// A scalar that is exactly one `${{ }}` (GitHub's BasicExpressionToken), as opposed to text
// around expressions, which always yields a string.
bool IsSingleExpression(const YamlNode& node) {
  if (!node.IsScalar() || !HasExpression(node.scalar)) return false;
  auto parsed = expr::Template::Parse(node.scalar);
  return parsed.ok() && parsed->IsSingleExpression();
}

core::Result<Value> ToValue(const YamlNode& node, const EvalContext& ctx);

// Adds `key` to `object`; like GitHub's template reader, a key that is already there (ignoring
// case) is an error, which only an inserted mapping can cause (the loader reports the rest).
core::Status AddKey(Object& object, std::string key, Value value) {
  if (object.Find(key) != nullptr) return Invalid("'" + key + "' is already defined");
  object.Insert(std::move(key), std::move(value));
  return core::Status::Ok();
}

core::Status MergeInsert(const YamlNode& value_node, const EvalContext& ctx, Object& object) {
  if (!value_node.IsMapping() && !IsSingleExpression(value_node)) {
    return Invalid("Expected a mapping");
  }
  auto v = ToValue(value_node, ctx);
  if (!v.ok()) return v.status();
  if (!v->is_object()) return UnexpectedType(*v, "matrix insert", "MappingToken");
  for (const auto& [key, item] : v->object_value().entries()) {
    GANTRY_RETURN_IF_ERROR(AddKey(object, key, item));
  }
  return core::Status::Ok();
}

// The matrix as written, with every `${{ }}` (in keys and values) evaluated: a scalar that is
// one expression keeps the type of its value, as GitHub's template evaluation does. As in
// GitHub's TemplateUnraveler, a sequence item that is one expression yielding a sequence is
// replaced by that sequence's items, and `${{ insert }}` keys merge their mapping.
core::Result<Value> ToValue(const YamlNode& node, const EvalContext& ctx) {
  if (node.IsScalar()) {
    if (HasExpression(node.scalar)) return EvaluateTemplate(node.scalar, ctx);
    return LiteralScalar(node);
  }
  if (node.IsSequence()) {
    Array items;
    items.reserve(node.items.size());
    for (const auto& item : node.items) {
      auto v = ToValue(*item, ctx);
      if (!v.ok()) return v.status();
      if (v->is_array() && IsSingleExpression(*item)) {
        const Array& nested = v->array_value();
        items.insert(items.end(), nested.begin(), nested.end());
        continue;
      }
      items.push_back(std::move(v).value());
    }
    return Value(std::move(items));
  }
  Object object;
  for (const auto& [key_node, value_node] : node.entries) {
    if (IsInsertDirective(key_node->scalar)) {
      GANTRY_RETURN_IF_ERROR(MergeInsert(*value_node, ctx, object));
      continue;
    }
    std::string key = key_node->scalar;
    if (HasExpression(key)) {
      auto k = EvaluateTemplate(key, ctx);
      if (!k.ok()) return k.status();
      key = k->ToString();
    }
    auto v = ToValue(*value_node, ctx);
    if (!v.ok()) return v.status();
    GANTRY_RETURN_IF_ERROR(AddKey(object, std::move(key), std::move(v).value()));
  }
  return Value(std::move(object));
}

// One comparison of a filter: the value at `path` inside a combination (keys are strings,
// sequence positions numbers) must equal `literal` with GitHub's `==`.
struct Leaf {
  std::vector<Value> path;
  Value literal;
};

void CollectLeaves(const Value& v, std::vector<Value>& path, std::vector<Leaf>& out) {
  if (v.is_object()) {
    for (const auto& [key, item] : v.object_value().entries()) {
      path.emplace_back(key);
      CollectLeaves(item, path, out);
      path.pop_back();
    }
  } else if (v.is_array()) {
    const Array& items = v.array_value();
    for (std::size_t i = 0; i < items.size(); ++i) {
      path.emplace_back(static_cast<double>(i));
      CollectLeaves(items[i], path, out);
      path.pop_back();
    }
  } else {
    out.push_back(Leaf{path, v});
  }
}

std::vector<Leaf> Leaves(const Value& filter) {
  std::vector<Leaf> leaves;
  std::vector<Value> path;
  CollectLeaves(filter, path, leaves);
  return leaves;
}

// `matrix[path[0]][path[1]]...` as the expression engine indexes: case-insensitive keys,
// in-range array positions, null for anything else.
const Value* At(const Value& root, const std::vector<Value>& path) {
  const Value* current = &root;
  for (const Value& step : path) {
    if (step.is_string()) {
      current = current->Find(step.string_value());
    } else {
      if (!current->is_array()) return nullptr;
      const Array& items = current->array_value();
      auto index = static_cast<std::size_t>(step.number_value());
      current = index < items.size() ? &items[index] : nullptr;
    }
    if (current == nullptr) return nullptr;
  }
  return current;
}

bool Matches(const std::vector<Leaf>& leaves, const Value& combination) {
  static const Value kNull;
  for (const Leaf& leaf : leaves) {
    const Value* v = At(combination, leaf.path);
    if (!expr::LooseEquals(v != nullptr ? *v : kNull, leaf.literal)) return false;
  }
  return true;
}

struct IncludeFilter {
  Object filter;  // the entry's vector keys: what a combination must match
  Object extra;   // the other keys: what it adds
  std::vector<Leaf> leaves;
  bool matched = false;
};

struct Parsed {
  Object vectors;  // name → non-empty array, in the order written
  std::vector<IncludeFilter> includes;
  std::vector<std::vector<Leaf>> excludes;
};

core::Result<Parsed> Parse(const Value& matrix) {
  if (!matrix.is_object()) return UnexpectedType(matrix, "matrix", "MappingToken");
  Parsed parsed;
  const Value* include = nullptr;
  const Value* exclude = nullptr;
  bool has_vector = false;
  for (const auto& [key, value] : matrix.object_value().entries()) {
    if (key == "include") {
      if (!value.is_array()) return UnexpectedType(value, "matrix includes", "SequenceToken");
      include = &value;
    } else if (key == "exclude") {
      if (!value.is_array()) return UnexpectedType(value, "matrix excludes", "SequenceToken");
      exclude = &value;
    } else {
      has_vector = true;
      if (!value.is_array()) return UnexpectedType(value, "matrix vector value", "SequenceToken");
      if (value.array_value().empty()) {
        return Invalid("Matrix vector '" + key + "' does not contain any values");
      }
      parsed.vectors.Insert(key, value);
    }
  }
  bool has_include = include != nullptr && !include->array_value().empty();
  if (!has_vector && !has_include) return Invalid("Matrix must define at least one vector");
  if (include != nullptr) {
    for (const Value& item : include->array_value()) {
      if (!item.is_object()) return UnexpectedType(item, "matrix includes item", "MappingToken");
      IncludeFilter f;
      for (const auto& [key, value] : item.object_value().entries()) {
        (parsed.vectors.Find(key) != nullptr ? f.filter : f.extra).Insert(key, value);
      }
      if (f.filter.empty() && f.extra.empty()) {
        return Invalid("Matrix include mapping does not contain any values");
      }
      f.leaves = Leaves(Value(f.filter));
      parsed.includes.push_back(std::move(f));
    }
  }
  if (exclude != nullptr) {
    for (const Value& item : exclude->array_value()) {
      if (!item.is_object()) return UnexpectedType(item, "matrix excludes item", "MappingToken");
      if (item.object_value().empty()) return Invalid("Matrix exclude filter must not be empty");
      for (const auto& [key, value] : item.object_value().entries()) {
        if (parsed.vectors.Find(key) == nullptr) {
          return Invalid("Matrix exclude key '" + key +
                         "' does not match any key within the matrix");
        }
      }
      parsed.excludes.push_back(Leaves(item));
    }
  }
  return parsed;
}

core::Status TooMany() {
  return Invalid("Strategy expansion exceeded " + std::to_string(kMaxResults) + " results");
}

core::Result<std::vector<MatrixInstance>> Build(const Value& matrix) {
  auto parsed_or = Parse(matrix);
  if (!parsed_or.ok()) return parsed_or.status();
  Parsed& parsed = *parsed_or;
  const auto& vectors = parsed.vectors.entries();

  std::size_t product = vectors.empty() ? 0 : 1;
  for (const auto& [name, values] : vectors) {
    product *= values.array_value().size();
    if (product > kMaxProduct) return TooMany();
  }

  std::vector<MatrixInstance> out;
  for (std::size_t index = 0; index < product; ++index) {
    Object combination;
    std::size_t block = product;
    for (const auto& [name, values] : vectors) {
      const Array& items = values.array_value();
      block /= items.size();
      combination.Insert(name, items[(index / block) % items.size()]);
    }
    Value values(std::move(combination));
    bool excluded = std::any_of(parsed.excludes.begin(), parsed.excludes.end(),
                                [&](const std::vector<Leaf>& f) { return Matches(f, values); });
    if (excluded) continue;
    Object extra;
    for (IncludeFilter& f : parsed.includes) {
      if (!Matches(f.leaves, values)) continue;
      f.matched = true;
      // A later include overwrites what an earlier one added, never a vector value.
      for (const auto& [key, value] : f.extra.entries()) extra.Set(key, value);
    }
    if (!extra.empty()) {
      Object merged = values.object_value();
      for (const auto& [key, value] : extra.entries()) merged.Insert(key, value);
      values = Value(std::move(merged));
    }
    out.push_back(MatrixInstance{std::move(values), static_cast<int>(vectors.size())});
    if (out.size() > kMaxResults) return TooMany();
  }
  for (const IncludeFilter& f : parsed.includes) {
    if (f.matched) continue;
    Object values = f.filter;
    for (const auto& [key, value] : f.extra.entries()) values.Insert(key, value);
    out.push_back(MatrixInstance{Value(std::move(values))});
    if (out.size() > kMaxResults) return TooMany();
  }
  // GitHub runs a job whose every combination was excluded once, with a null matrix.
  if (out.empty()) out.push_back(MatrixInstance{Value(Object())});
  return out;
}

// The whole-strategy expression's value, checked to be a mapping of known keys.
core::Result<Value> EvaluateWholeStrategy(const workflow::Text& expression,
                                          const EvalContext& ctx) {
  auto v = EvaluateTemplate(expression.value, ctx);
  if (!v.ok()) return v.status();
  if (!v->is_object()) return UnexpectedType(*v, "strategy", "MappingToken");
  for (const auto& [key, value] : v->object_value().entries()) {
    if (key != "matrix" && key != "fail-fast" && key != "max-parallel") {
      return Invalid("Error while reading 'strategy key'. Unexpected value '" + key + "'");
    }
  }
  return v;
}

core::Result<bool> ToFailFast(const Value& v) {
  if (v.is_bool()) return v.bool_value();
  // An input or output is a string; GitHub users write `fail-fast: ${{ inputs.ff }}`.
  if (v.is_string() && (v.string_value() == "true" || v.string_value() == "false")) {
    return v.string_value() == "true";
  }
  return UnexpectedType(v, "strategy fail-fast", "BooleanToken");
}

core::Result<int> ToMaxParallel(const Value& v) {
  double n = 0;
  if (v.is_number()) {
    n = v.number_value();
  } else if (v.is_string() && !std::isnan(expr::ParseNumber(v.string_value()))) {
    n = expr::ParseNumber(v.string_value());
  } else {
    return UnexpectedType(v, "strategy max-parallel", "NumberToken");
  }
  if (!(n >= 1)) return 0;  // GitHub treats zero and below as "no limit"
  return n >= 2147483647.0 ? 2147483647 : static_cast<int>(n);
}

core::Result<Value> ScalarText(const workflow::Text& text, const EvalContext& ctx) {
  if (HasExpression(text.value)) return EvaluateTemplate(text.value, ctx);
  if (text.value == "true" || text.value == "false") return Value(text.value == "true");
  return Value(expr::ParseNumber(text.value));
}

void AddContexts(const std::string& text, std::vector<std::string>& out) {
  if (!HasExpression(text)) return;
  auto parsed = expr::Template::Parse(text);
  if (!parsed.ok()) return;
  for (const auto& e : parsed->expressions()) {
    for (const auto& name : e.referenced_contexts()) {
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
  }
}

void AddNodeContexts(const YamlNode& node, std::vector<std::string>& out) {
  if (node.IsScalar()) AddContexts(node.scalar, out);
  for (const auto& item : node.items) AddNodeContexts(*item, out);
  for (const auto& [key, value] : node.entries) {
    AddNodeContexts(*key, out);
    AddNodeContexts(*value, out);
  }
}

}  // namespace

core::Result<std::vector<MatrixInstance>> ExpandMatrix(const workflow::Strategy& strategy,
                                                       const EvalContext& ctx) {
  if (strategy.expression) {
    auto whole = EvaluateWholeStrategy(*strategy.expression, ctx);
    if (!whole.ok()) return whole.status();
    const Value* matrix = whole->Find("matrix");
    if (matrix == nullptr || matrix->is_null()) {
      return std::vector<MatrixInstance>{MatrixInstance{Value(Object())}};
    }
    return Build(*matrix);
  }
  if (!strategy.matrix) return std::vector<MatrixInstance>{MatrixInstance{Value(Object())}};
  auto matrix = ToValue(*strategy.matrix, ctx);
  if (!matrix.ok()) return matrix.status();
  return Build(*matrix);
}

core::Result<StrategySettings> EvaluateStrategySettings(const workflow::Strategy& strategy,
                                                        const EvalContext& ctx) {
  StrategySettings settings;
  const Value* fail_fast = nullptr;
  const Value* max_parallel = nullptr;
  Value whole;
  Value fail_fast_value;
  Value max_parallel_value;
  if (strategy.expression) {
    auto v = EvaluateWholeStrategy(*strategy.expression, ctx);
    if (!v.ok()) return v.status();
    whole = std::move(v).value();
    fail_fast = whole.Find("fail-fast");
    max_parallel = whole.Find("max-parallel");
  }
  if (strategy.fail_fast) {
    auto v = ScalarText(*strategy.fail_fast, ctx);
    if (!v.ok()) return v.status();
    fail_fast_value = std::move(v).value();
    fail_fast = &fail_fast_value;
  }
  if (strategy.max_parallel) {
    auto v = ScalarText(*strategy.max_parallel, ctx);
    if (!v.ok()) return v.status();
    max_parallel_value = std::move(v).value();
    max_parallel = &max_parallel_value;
  }
  if (fail_fast != nullptr && !fail_fast->is_null()) {
    auto b = ToFailFast(*fail_fast);
    if (!b.ok()) return b.status();
    settings.fail_fast = *b;
  }
  if (max_parallel != nullptr && !max_parallel->is_null()) {
    auto n = ToMaxParallel(*max_parallel);
    if (!n.ok()) return n.status();
    settings.max_parallel = *n;
  }
  return settings;
}

std::vector<std::string> StrategyReferencedContexts(const workflow::Strategy& strategy) {
  std::vector<std::string> out;
  if (strategy.expression) AddContexts(strategy.expression->value, out);
  if (strategy.matrix) AddNodeContexts(*strategy.matrix, out);
  if (strategy.fail_fast) AddContexts(strategy.fail_fast->value, out);
  if (strategy.max_parallel) AddContexts(strategy.max_parallel->value, out);
  return out;
}

}  // namespace gantry::engine
