#include "workflow/fields.h"

#include <algorithm>
#include <cctype>

#include "expr/expression.h"

namespace gantry::workflow {
namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool Knows(const Shape& shape, std::string_view key) {
  return std::find(shape.keys.begin(), shape.keys.end(), key) != shape.keys.end();
}

// GitHub folds a value that is exactly `${{ 'text' }}` into the literal text, so it is
// accepted even where expressions are not.
bool IsQuotedLiteral(std::string_view raw) {
  if (raw.substr(0, 3) != "${{" || raw.size() < 5 || raw.substr(raw.size() - 2) != "}}") {
    return false;
  }
  std::string_view inner = Trim(raw.substr(3, raw.size() - 5));
  if (inner.size() < 2 || inner.front() != '\'' || inner.back() != '\'') return false;
  bool in_string = false;
  for (char c : inner) {
    if (c == '\'') {
      in_string = !in_string;
    } else if (!in_string) {
      return false;
    }
  }
  return !in_string;
}

// The `${{ }}` segments of a template, split as GitHub's template reader splits them: the
// closing }} is the first one outside a string literal. `closed` is false for a `${{` whose
// }} is missing (the rest of the text is then one unclosed segment).
struct Segment {
  size_t start = 0;       // offset of "${{"
  size_t end = 0;         // offset just past "}}"
  std::string_view text;  // between the braces, trimmed
  bool closed = true;
};

std::vector<Segment> SplitSegments(std::string_view raw) {
  std::vector<Segment> segments;
  for (size_t start = raw.find("${{"); start != std::string_view::npos;) {
    bool in_string = false;
    size_t close = std::string_view::npos;
    for (size_t i = start + 3; i < raw.size(); ++i) {
      if (raw[i] == '\'') {
        in_string = !in_string;
      } else if (!in_string && raw[i] == '}' && raw[i - 1] == '}') {
        close = i;
        break;
      }
    }
    if (close == std::string_view::npos) {
      segments.push_back({start, raw.size(), Trim(raw.substr(start + 3)), false});
      break;
    }
    segments.push_back({start, close + 1, Trim(raw.substr(start + 3, close - 1 - (start + 3)))});
    start = raw.find("${{", close + 1);
  }
  return segments;
}

// GitHub's `${{ insert }}` directive: allowed only as a whole value (a mapping key that merges
// an object into its parent), an error when embedded in other text.
enum class Insert { kNone, kWhole, kEmbedded };

Insert FindInsertDirective(std::string_view raw, const std::vector<Segment>& segments) {
  for (const Segment& s : segments) {
    if (s.closed && s.text.substr(0, 6) == "insert" &&
        (s.text.size() == 6 || std::isspace(static_cast<unsigned char>(s.text[6])))) {
      return s.start == 0 && s.end == raw.size() ? Insert::kWhole : Insert::kEmbedded;
    }
  }
  return Insert::kNone;
}

}  // namespace

void ReportUnexpected(Reader& r, const YamlNode& node, std::string_view expected) {
  std::string message;
  if (node.IsSequence()) {
    message = "A sequence was not expected";
  } else if (node.IsMapping()) {
    message = "A mapping was not expected";
  } else {
    message = "Unexpected value '" + node.scalar + "'";
  }
  r.Error(node.pos, message + " (expected " + std::string(expected) + ")", "type");
}

bool HasExpression(const YamlNode& node) {
  return node.IsScalar() && node.scalar.find("${{") != std::string::npos;
}

bool IsSingleExpression(const YamlNode& node) {
  if (!HasExpression(node)) return false;
  auto parsed = expr::Template::Parse(node.scalar);
  return parsed.ok() && parsed->IsSingleExpression();
}

ExpressionCheck CheckExpressions(Reader& r, const YamlNode& node, Place place) {
  ExpressionCheck check;
  if (!HasExpression(node)) return check;
  check.has_expression = true;
  if (place == Place::kNoExpressions) {
    if (IsQuotedLiteral(node.scalar)) {
      check.single = true;
      return check;
    }
    // GitHub places this error at a value that is one whole expression, which in a quoted
    // scalar starts after the quote; a value mixing text and expressions is placed at its start.
    Position at = node.pos;
    if (node.quoted && IsSingleExpression(node) && node.scalar.starts_with("${{")) ++at.column;
    r.Error(at, "A template expression is not allowed in this context", "expression");
    check.ok = false;
    return check;
  }
  std::vector<Segment> segments = SplitSegments(node.scalar);
  switch (FindInsertDirective(node.scalar, segments)) {
    case Insert::kWhole:
      return check;
    case Insert::kEmbedded:
      r.Error(node.pos,
              "The directive 'insert' is not allowed in this context. Directives are not "
              "supported for expressions that are embedded within a string. Directives are only "
              "supported when the entire value is an expression.",
              "expression");
      check.ok = false;
      return check;
    case Insert::kNone:
      break;
  }
  const expr::ParseOptions& options = ParseOptionsFor(place);
  auto parsed = expr::Template::Parse(node.scalar, options);
  if (parsed.ok()) {
    check.single = parsed->IsSingleExpression();
    return check;
  }
  // The template stops at its first error; GitHub reports every bad expression of a value.
  check.ok = false;
  size_t reported = 0;
  for (const Segment& s : segments) {
    if (!s.closed || s.text.empty()) continue;
    auto expression = expr::Expression::Parse(s.text, options);
    if (!expression.ok()) {
      r.Error(node.pos, expression.status().message(), "expression");
      ++reported;
    }
  }
  if (reported == 0) r.Error(node.pos, parsed.status().message(), "expression");
  return check;
}

std::optional<Text> ReadString(Reader& r, const YamlNodePtr& node, Place place, bool non_empty) {
  if (!node) return std::nullopt;
  if (!node->IsScalar()) {
    ReportUnexpected(r, *node, non_empty ? "a non-empty string" : "a string");
    return std::nullopt;
  }
  if (non_empty && node->scalar.empty()) {
    ReportUnexpected(r, *node, "a non-empty string");
    return std::nullopt;
  }
  if (!CheckExpressions(r, *node, place).ok) return std::nullopt;
  return Text{node->scalar, node->pos};
}

std::optional<Text> ReadBool(Reader& r, const YamlNodePtr& node, Place place) {
  if (!node) return std::nullopt;
  if (node->IsScalar() && node->Type() == YamlNode::ScalarType::kBool) {
    return Text{node->AsBool() ? "true" : "false", node->pos};
  }
  if (HasExpression(*node) && place != Place::kNoExpressions) {
    if (!CheckExpressions(r, *node, place).ok) return std::nullopt;
    return Text{node->scalar, node->pos};
  }
  ReportUnexpected(r, *node,
                   place == Place::kNoExpressions ? "a boolean" : "a boolean or an expression");
  return std::nullopt;
}

std::optional<Text> ReadNumber(Reader& r, const YamlNodePtr& node, Place place) {
  if (!node) return std::nullopt;
  if (node->IsScalar() && (node->Type() == YamlNode::ScalarType::kInt ||
                           node->Type() == YamlNode::ScalarType::kFloat)) {
    return Text{node->scalar, node->pos};
  }
  if (HasExpression(*node) && place != Place::kNoExpressions) {
    if (!CheckExpressions(r, *node, place).ok) return std::nullopt;
    return Text{node->scalar, node->pos};
  }
  ReportUnexpected(r, *node,
                   place == Place::kNoExpressions ? "a number" : "a number or an expression");
  return std::nullopt;
}

std::optional<Text> ReadCondition(Reader& r, const YamlNodePtr& node, Place place) {
  if (!node) return std::nullopt;
  if (!node->IsScalar()) {
    ReportUnexpected(r, *node, "a condition");
    return std::nullopt;
  }
  if (HasExpression(*node)) {
    if (!CheckExpressions(r, *node, place).ok) return std::nullopt;
    return Text{node->scalar, node->pos};
  }
  std::string_view condition = Trim(node->scalar);
  if (!condition.empty()) {
    auto parsed = expr::Expression::Parse(condition, ParseOptionsFor(place));
    if (!parsed.ok()) {
      r.Error(node->pos, parsed.status().message(), "expression");
      return std::nullopt;
    }
  }
  return Text{node->scalar, node->pos};
}

std::vector<Text> ReadStringList(Reader& r, const YamlNodePtr& node, Place place,
                                 bool non_empty_items) {
  std::vector<Text> out;
  if (!node) return out;
  if (node->IsScalar()) {
    if (auto text = ReadString(r, node, place, non_empty_items)) out.push_back(std::move(*text));
    return out;
  }
  if (!node->IsSequence()) {
    ReportUnexpected(r, *node, "a string or a sequence of strings");
    return out;
  }
  for (const auto& item : node->items) {
    if (auto text = ReadString(r, item, place, non_empty_items)) out.push_back(std::move(*text));
  }
  return out;
}

TextMap ReadTextMap(Reader& r, const YamlNodePtr& node, Place place) {
  TextMap out;
  if (!node) return out;
  if (place != Place::kNoExpressions && HasExpression(*node)) {
    if (CheckExpressions(r, *node, place).ok) out.emplace_back("", Text{node->scalar, node->pos});
    return out;
  }
  if (!node->IsMapping()) {
    ReportUnexpected(r, *node, "a mapping");
    return out;
  }
  std::vector<bool> duplicate = CheckDuplicateKeys(r, *node);
  out.reserve(node->entries.size());
  for (size_t i = 0; i < node->entries.size(); ++i) {
    const auto& [key, value] = node->entries[i];
    if (duplicate[i]) continue;
    if (key->scalar.empty()) {
      ReportUnexpected(r, *key, "a non-empty name");
      continue;
    }
    if (!CheckExpressions(r, *key, place).ok) continue;
    if (!value->IsScalar()) {
      ReportUnexpected(r, *value, "a string");
      continue;
    }
    if (!CheckExpressions(r, *value, place).ok) continue;
    out.emplace_back(key->scalar, Text{value->scalar, value->pos});
  }
  return out;
}

std::vector<bool> CheckDuplicateKeys(Reader& r, const YamlNode& mapping) {
  std::vector<bool> duplicate(mapping.entries.size(), false);
  if (mapping.entries.size() < 2) return duplicate;
  std::vector<std::string> seen;
  seen.reserve(mapping.entries.size());
  for (size_t i = 0; i < mapping.entries.size(); ++i) {
    const YamlNode& key = *mapping.entries[i].first;
    if (key.scalar.empty() || HasExpression(key)) continue;
    std::string upper = Upper(key.scalar);
    if (std::find(seen.begin(), seen.end(), upper) != seen.end()) {
      r.Error(key.pos, "'" + key.scalar + "' is already defined", "syntax");
      duplicate[i] = true;
      continue;
    }
    seen.push_back(std::move(upper));
  }
  return duplicate;
}

int CheckShape(Reader& r, const YamlNode& mapping, const std::vector<Shape>& shapes,
               std::string_view what) {
  std::vector<bool> duplicate = CheckDuplicateKeys(r, mapping);
  std::vector<size_t> candidates;
  for (size_t i = 0; i < shapes.size(); ++i) candidates.push_back(i);
  std::string selector;  // the key that first ruled a shape out, for hints
  bool expression_key = false;
  for (size_t e = 0; e < mapping.entries.size(); ++e) {
    if (duplicate[e]) continue;
    const YamlNode& key = *mapping.entries[e].first;
    if (HasExpression(key)) {
      CheckExpressions(r, key, Place::kNoExpressions);
      expression_key = true;
      continue;
    }
    std::vector<size_t> knowing;
    for (size_t c : candidates) {
      if (Knows(shapes[c], key.scalar)) knowing.push_back(c);
    }
    if (!knowing.empty()) {
      if (knowing.size() < candidates.size() && selector.empty()) selector = key.scalar;
      candidates = std::move(knowing);
      continue;
    }
    std::string message = "Unexpected value '" + key.scalar + "'";
    bool known_elsewhere = std::any_of(shapes.begin(), shapes.end(),
                                       [&](const Shape& s) { return Knows(s, key.scalar); });
    if (known_elsewhere && !selector.empty()) {
      message += " (" + std::string(what) + " cannot have both '" + selector + "' and '" +
                 key.scalar + "')";
    } else {
      std::vector<std::string_view> known;
      for (size_t c : candidates)
        known.insert(known.end(), shapes[c].keys.begin(), shapes[c].keys.end());
      // Any word is a couple of edits from a one- or two-letter key; suggest only for longer.
      std::string suggestion = key.scalar.size() >= 3 ? ClosestMatch(key.scalar, known) : "";
      if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
    }
    r.Error(key.pos, message, "unknown-key");
  }
  if (candidates.size() > 1) {
    std::vector<std::string_view> unique;
    for (size_t c : candidates) {
      for (auto k : shapes[c].keys) {
        int hits = 0;
        for (size_t d : candidates) hits += Knows(shapes[d], k) ? 1 : 0;
        if (hits == 1 && !shapes[c].experimental) unique.push_back(k);
      }
    }
    std::sort(unique.begin(), unique.end());
    std::string list;
    for (auto k : unique) list += (list.empty() ? "" : ", ") + std::string(k);
    r.Error(
        mapping.pos,
        "There's not enough info to determine what you meant. Add one of these properties: " + list,
        "syntax");
    return -1;
  }
  const Shape& shape = shapes[candidates[0]];
  if (!expression_key) {
    for (auto required : shape.required) {
      if (!mapping.Find(required)) {
        r.Error(mapping.pos, "Required property is missing: " + std::string(required), "syntax");
      }
    }
  }
  return static_cast<int>(candidates[0]);
}

}  // namespace gantry::workflow
