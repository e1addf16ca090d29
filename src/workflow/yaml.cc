#include "workflow/yaml.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cmath>
#include <map>
#include <sstream>

namespace gantry::workflow {
namespace {

bool IsOneOf(std::string_view s, std::initializer_list<std::string_view> options) {
  for (auto o : options) {
    if (s == o) return true;
  }
  return false;
}

bool AllDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                         : (c >= '0' && c < static_cast<char>('0' + base));
    if (!ok) return false;
  }
  return true;
}

// YAML 1.2 core schema float: [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool IsCoreFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++int_digits;
  size_t frac_digits = 0;
  bool dot = false;
  if (i < s.size() && s[i] == '.') {
    dot = true;
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (int_digits == 0 && !dot) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

Position ToPosition(const YAML::Mark& mark) { return {mark.line + 1, mark.column + 1}; }

// Builds YamlNode trees from yaml-cpp events, checking what yaml-cpp lets through.
class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(const std::string& file, std::string_view content, Diagnostics& diagnostics)
      : file_(file), content_(content), diagnostics_(diagnostics) {}

  std::shared_ptr<YamlNode> root() const { return root_; }

  void OnDocumentStart(const YAML::Mark& /*mark*/) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto node = std::make_shared<YamlNode>();
    node->pos = ToPosition(mark);
    // yaml-cpp marks an empty mapping value (`image:` then a newline) at the next token,
    // often on a later line; GitHub reports it right after its key's colon.
    if (!stack_.empty() && stack_.back().node->IsMapping() && stack_.back().pending_key) {
      const YamlNode& key = *stack_.back().pending_key;
      if (node->pos.line != key.pos.line || node->pos.column <= key.pos.column) {
        int key_length = static_cast<int>(key.scalar.size()) + (key.plain ? 0 : 2);
        node->pos = {key.pos.line, key.pos.column + key_length + 1};
      }
    }
    Remember(anchor, node);
    Add(node);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      Error(ToPosition(mark), "Unknown alias");
      auto node = std::make_shared<YamlNode>();
      node->pos = ToPosition(mark);
      Add(node);
      return;
    }
    // An alias of a node still being built sits inside its own anchor: following it would
    // make the tree cyclic (and every walk over it endless).
    for (const Frame& frame : stack_) {
      if (frame.node == it->second) {
        Error(ToPosition(mark), "Recursive alias: the anchor is used inside its own value");
        auto node = std::make_shared<YamlNode>();
        node->pos = ToPosition(mark);
        Add(node);
        return;
      }
    }
    Add(it->second);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    auto node = std::make_shared<YamlNode>();
    node->pos = ToPosition(mark);
    node->scalar = value;
    // yaml-cpp tags plain scalars "?" and quoted or block scalars "!".
    node->plain = tag == "?";
    if (!node->plain && mark.pos >= 0 && static_cast<size_t>(mark.pos) < content_.size()) {
      const char first = content_[static_cast<size_t>(mark.pos)];
      node->quoted = first == '"' || first == '\'';
    }
    Remember(anchor, node);
    Add(node);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    auto node = std::make_shared<YamlNode>();
    node->kind = YamlNode::Kind::kSequence;
    node->pos = ToPosition(mark);
    Remember(anchor, node);
    stack_.push_back({node, nullptr});
  }

  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    auto node = std::make_shared<YamlNode>();
    node->kind = YamlNode::Kind::kMapping;
    node->pos = ToPosition(mark);
    Remember(anchor, node);
    stack_.push_back({node, nullptr});
  }

  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    std::shared_ptr<YamlNode> node;
    YamlNodePtr pending_key;  // mappings only: the key waiting for its value
  };

  void Remember(YAML::anchor_t anchor, const std::shared_ptr<YamlNode>& node) {
    if (anchor != YAML::NullAnchor) anchors_[anchor] = node;
  }

  void Close() {
    auto node = stack_.back().node;
    stack_.pop_back();
    Add(node);
  }

  void Add(const YamlNodePtr& node) {
    if (stack_.empty()) {
      root_ = std::const_pointer_cast<YamlNode>(node);
      return;
    }
    Frame& top = stack_.back();
    if (top.node->IsSequence()) {
      top.node->items.push_back(node);
      return;
    }
    if (!top.pending_key) {
      top.pending_key = node;
      return;
    }
    YamlNodePtr key = std::move(top.pending_key);
    top.pending_key = nullptr;
    if (!key->IsScalar()) {
      Error(key->pos, "A mapping key must be a string");
      return;
    }
    if (key->plain && key->scalar == "<<") {
      Error(key->pos, "Merge keys ('<<') are not supported in workflow files");
      return;
    }
    for (const auto& [existing, value] : top.node->entries) {
      if (existing->scalar == key->scalar) {
        Error(key->pos, "'" + key->scalar + "' is already defined");
        return;
      }
    }
    top.node->entries.emplace_back(key, node);
  }

  void Error(Position pos, std::string message) {
    diagnostics_.push_back({file_, pos, std::move(message), "syntax"});
  }

  const std::string& file_;
  std::string_view content_;  // the text parsed, to tell quoted scalars from block scalars
  Diagnostics& diagnostics_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, std::shared_ptr<YamlNode>> anchors_;
  std::shared_ptr<YamlNode> root_;
};

}  // namespace

YamlNode::ScalarType YamlNode::Type() const {
  if (!IsScalar()) return ScalarType::kString;
  if (!plain) return ScalarType::kString;
  std::string_view s = scalar;
  if (IsOneOf(s, {"", "~", "null", "Null", "NULL"})) return ScalarType::kNull;
  if (IsOneOf(s, {"true", "True", "TRUE", "false", "False", "FALSE"})) return ScalarType::kBool;
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (AllDigits(digits, 10)) return ScalarType::kInt;
  if (s.size() > 2 && s.substr(0, 2) == "0x" && AllDigits(s.substr(2), 16)) return ScalarType::kInt;
  if (s.size() > 2 && s.substr(0, 2) == "0o" && AllDigits(s.substr(2), 8)) return ScalarType::kInt;
  if (IsOneOf(digits, {".inf", ".Inf", ".INF"}) || IsOneOf(s, {".nan", ".NaN", ".NAN"})) {
    return ScalarType::kFloat;
  }
  if (IsCoreFloat(s)) return ScalarType::kFloat;
  return ScalarType::kString;
}

bool YamlNode::AsBool() const { return scalar[0] == 't' || scalar[0] == 'T'; }

double YamlNode::AsNumber() const {
  std::string_view s = scalar;
  if (s.size() > 2 && s.substr(0, 2) == "0x")
    return static_cast<double>(std::stoull(scalar, nullptr, 16));
  if (s.size() > 2 && s.substr(0, 2) == "0o") {
    return static_cast<double>(std::stoull(scalar.substr(2), nullptr, 8));
  }
  bool negative = !s.empty() && s[0] == '-';
  std::string_view unsigned_part = s;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) unsigned_part.remove_prefix(1);
  if (IsOneOf(unsigned_part, {".inf", ".Inf", ".INF"})) {
    return negative ? -HUGE_VAL : HUGE_VAL;
  }
  if (IsOneOf(s, {".nan", ".NaN", ".NAN"})) return std::nan("");
  return std::stod(scalar);
}

YamlNodePtr YamlNode::Find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k->scalar == key) return v;
  }
  return nullptr;
}

std::string YamlNode::TypeName() const {
  switch (kind) {
    case Kind::kSequence:
      return "sequence";
    case Kind::kMapping:
      return "mapping";
    case Kind::kScalar:
      break;
  }
  switch (Type()) {
    case ScalarType::kNull:
      return "null";
    case ScalarType::kBool:
      return "boolean";
    case ScalarType::kInt:
    case ScalarType::kFloat:
      return "number";
    case ScalarType::kString:
      return "string";
  }
  return "string";
}

YamlNodePtr ParseYaml(std::string_view content, const std::string& file, Diagnostics& diagnostics) {
  std::istringstream in{std::string(content)};
  TreeBuilder builder(file, content, diagnostics);
  try {
    YAML::Parser parser(in);
    if (!parser.HandleNextDocument(builder)) return nullptr;
    TreeBuilder extra(file, content, diagnostics);
    if (parser.HandleNextDocument(extra)) {
      diagnostics.push_back(
          {file, {}, "A workflow file must hold exactly one YAML document", "syntax"});
    }
  } catch (const YAML::Exception& e) {
    diagnostics.push_back({file, ToPosition(e.mark), e.msg, "syntax"});
    return nullptr;
  }
  return builder.root();
}

}  // namespace gantry::workflow
