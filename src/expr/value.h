#pragma once

// The value model of GitHub Actions expressions: null, boolean, number (double), string,
// array and object. Values are immutable and cheap to copy: strings, arrays and objects
// are held by shared_ptr to const storage, so a copy never duplicates their contents.

#include <cstddef>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace gantry::expr {

class Value;

/// Case-insensitive (ASCII) equality of two strings, as GitHub compares strings and keys.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

/// An ordered list of values.
using Array = std::vector<Value>;

/// An object: keys keep insertion order; lookup ignores ASCII case. Setting a key that is
/// already present (in any case) replaces its value in place and keeps the first spelling.
class Object {
 public:
  using Entry = std::pair<std::string, Value>;

  Object() = default;
  /// Inserts or replaces `key`.
  void Set(std::string key, Value value);
  /// The value of `key` (case-insensitive), or nullptr. Does not allocate.
  const Value* Find(std::string_view key) const;
  const std::vector<Entry>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
  // Positions sorted by case-folded key; built lazily for larger objects (see value.cc).
  std::vector<std::uint32_t> index_;
};

/// An expression value. Thread-safe to share across threads (immutable).
class Value {
 public:
  enum class Kind { kNull, kBoolean, kNumber, kString, kArray, kObject };

  /// null.
  Value() = default;
  Value(std::nullptr_t) {}            // NOLINT(google-explicit-constructor)
  Value(bool b) : data_(b) {}         // NOLINT(google-explicit-constructor)
  Value(double d) : data_(d) {}       // NOLINT(google-explicit-constructor)
  Value(int i) : data_(double(i)) {}  // NOLINT(google-explicit-constructor)
  Value(std::string s);               // NOLINT(google-explicit-constructor)
  Value(std::string_view s);          // NOLINT(google-explicit-constructor)
  Value(const char* s);               // NOLINT(google-explicit-constructor)
  Value(Array a);                     // NOLINT(google-explicit-constructor)
  Value(Object o);                    // NOLINT(google-explicit-constructor)

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_bool() const { return kind() == Kind::kBoolean; }
  bool is_number() const { return kind() == Kind::kNumber; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_object() const { return kind() == Kind::kObject; }

  /// Typed accessors; calling one on the wrong kind is a bug and aborts.
  bool bool_value() const;
  double number_value() const;
  const std::string& string_value() const;
  const Array& array_value() const;
  const Object& object_value() const;

  /// Object member lookup (case-insensitive); nullptr when absent or not an object.
  const Value* Find(std::string_view key) const;

  /// GitHub truthiness: false, 0, -0, NaN, "" and null are falsy; everything else truthy.
  bool IsTruthy() const;
  /// GitHub number coercion: null→0, bool→0/1, string→parsed number (trimmed; "" → 0;
  /// hex 0x.., octal 0o.., exponent forms; otherwise NaN), array/object→NaN.
  double ToNumber() const;
  /// GitHub string coercion: null→"", booleans "true"/"false", numbers formatted as
  /// GitHub does (see FormatNumber), arrays → "Array", objects → "Object".
  std::string ToString() const;

  /// Converts from JSON (numbers become doubles; key order is kept).
  static Value FromJson(const nlohmann::json& json);
  /// Converts to JSON; non-finite numbers become null... except where GitHub prints them,
  /// which ToJsonText handles.
  nlohmann::json ToJson() const;
  /// JSON text as GitHub's toJSON prints it: 2-space indentation, "key": value.
  std::string ToJsonText() const;

  /// Structural equality (strings compared exactly); for tests.
  friend bool operator==(const Value& a, const Value& b);

 private:
  using Storage = std::variant<std::monostate, bool, double, std::shared_ptr<const std::string>,
                               std::shared_ptr<const Array>, std::shared_ptr<const Object>>;
  Storage data_;
};

/// Formats a number as GitHub's expression engine does (JavaScript-like): "1", "1.5",
/// "-0" → "0", "1e+21", "NaN", "Infinity", "-Infinity".
std::string FormatNumber(double d);

/// Parses a string the way GitHub coerces strings to numbers; NaN when not a number.
double ParseNumber(std::string_view s);

}  // namespace gantry::expr
