#include "workflow/reader.h"

#include <algorithm>
#include <cctype>

namespace gantry::workflow {
namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string ClosestMatch(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (auto c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best;
}

void Reader::Error(Position pos, std::string message, std::string rule) {
  diagnostics_.push_back({file_, pos, std::move(message), std::move(rule)});
}

void Reader::Warning(Position pos, std::string message, std::string rule) {
  diagnostics_.push_back({file_, pos, std::move(message), std::move(rule), Severity::kWarning});
}

bool Reader::ExpectMapping(const YamlNodePtr& node, std::string_view what) {
  if (node && node->IsMapping()) return true;
  if (node) Error(node->pos, std::string(what) + " must be a mapping, not a " + node->TypeName());
  return false;
}

bool Reader::ExpectSequence(const YamlNodePtr& node, std::string_view what) {
  if (node && node->IsSequence()) return true;
  if (node) Error(node->pos, std::string(what) + " must be a sequence, not a " + node->TypeName());
  return false;
}

std::optional<std::string> Reader::String(const YamlNodePtr& node, std::string_view what) {
  if (!node) return std::nullopt;
  if (!node->IsScalar() || node->IsNull()) {
    Error(node->pos, std::string(what) + " must be a string, not a " + node->TypeName());
    return std::nullopt;
  }
  return node->scalar;
}

std::optional<std::vector<std::string>> Reader::StringOrList(const YamlNodePtr& node,
                                                             std::string_view what) {
  if (!node) return std::nullopt;
  if (node->IsScalar()) {
    auto s = String(node, what);
    if (!s) return std::nullopt;
    return std::vector<std::string>{*s};
  }
  if (!node->IsSequence()) {
    Error(node->pos, std::string(what) + " must be a string or a sequence of strings, not a " +
                         node->TypeName());
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& item : node->items) {
    auto s = String(item, what);
    if (s) {
      out.push_back(*s);
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<bool> Reader::Bool(const YamlNodePtr& node, std::string_view what) {
  if (!node) return std::nullopt;
  if (node->IsScalar() && node->Type() == YamlNode::ScalarType::kBool) return node->AsBool();
  Error(node->pos, std::string(what) + " must be a boolean, not a " + node->TypeName());
  return std::nullopt;
}

std::optional<double> Reader::Number(const YamlNodePtr& node, std::string_view what) {
  if (!node) return std::nullopt;
  if (node->IsScalar() && (node->Type() == YamlNode::ScalarType::kInt ||
                           node->Type() == YamlNode::ScalarType::kFloat)) {
    return node->AsNumber();
  }
  Error(node->pos, std::string(what) + " must be a number, not a " + node->TypeName());
  return std::nullopt;
}

void Reader::CheckKeys(const YamlNode& mapping, const std::vector<std::string_view>& allowed,
                       std::string_view what) {
  for (const auto& [key, value] : mapping.entries) {
    if (std::find(allowed.begin(), allowed.end(), key->scalar) != allowed.end()) continue;
    std::string message = "Unexpected value '" + key->scalar + "' in " + std::string(what);
    std::string suggestion = ClosestMatch(key->scalar, allowed);
    if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
    Error(key->pos, message, "unknown-key");
  }
}

}  // namespace gantry::workflow
