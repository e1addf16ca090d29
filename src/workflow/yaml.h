#pragma once

// A YAML document tree that keeps every node's source position, built from yaml-cpp's
// event stream (yaml-cpp's own Node API loses duplicate keys and scalar quoting).

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "workflow/diagnostic.h"

namespace gantry::workflow {

class YamlNode;
using YamlNodePtr = std::shared_ptr<const YamlNode>;

/// One node of a YAML document. Immutable once built; aliases share the anchored node.
class YamlNode {
 public:
  enum class Kind { kScalar, kSequence, kMapping };
  /// The YAML 1.2 core-schema type of a scalar. Quoted scalars are always kString.
  enum class ScalarType { kNull, kBool, kInt, kFloat, kString };

  Kind kind = Kind::kScalar;
  Position pos;
  /// Scalar text as written (after YAML unescaping); empty for an empty/null node.
  std::string scalar;
  /// True when the scalar was plain (unquoted, not a block scalar).
  bool plain = true;
  /// True when the scalar was written in single or double quotes (`pos` is at the quote).
  bool quoted = false;
  /// Sequence items.
  std::vector<YamlNodePtr> items;
  /// Mapping entries in document order (duplicates are reported, the first one is kept).
  std::vector<std::pair<YamlNodePtr, YamlNodePtr>> entries;

  bool IsScalar() const { return kind == Kind::kScalar; }
  bool IsSequence() const { return kind == Kind::kSequence; }
  bool IsMapping() const { return kind == Kind::kMapping; }
  /// A plain `null`, `~` or empty scalar.
  bool IsNull() const { return IsScalar() && Type() == ScalarType::kNull; }
  /// Core-schema type of a scalar (kString for non-scalars).
  ScalarType Type() const;
  /// Parsed value of a kBool scalar.
  bool AsBool() const;
  /// Parsed value of a kInt/kFloat scalar (hex, octal 0o, .inf, .nan included).
  double AsNumber() const;
  /// The value of mapping key `key` (exact, case-sensitive), or nullptr.
  YamlNodePtr Find(std::string_view key) const;
  /// "string", "sequence", "mapping", "boolean", "number" or "null", for error messages.
  std::string TypeName() const;
};

/// Parses one YAML document from `content`. Errors (syntax, duplicate keys, merge keys,
/// multiple documents) are appended to `diagnostics` with `file` and positions; the
/// result is nullptr when the text is not YAML at all, and the root of what parsed
/// otherwise (an empty document yields nullptr with no diagnostic).
YamlNodePtr ParseYaml(std::string_view content, const std::string& file, Diagnostics& diagnostics);

}  // namespace gantry::workflow
