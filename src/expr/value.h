#pragma once

// The value model of GitHub Actions expressions: null, boolean, number (double), string,
// array and object. Values are immutable and cheap to copy: strings, arrays and objects are
// held by shared_ptr to const storage, so a copy never duplicates their contents.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/status.h"
#include "expr/unicode.h"

namespace gantry::expr {

class Value;

/// An ordered list of values.
using Array = std::vector<Value>;

class Object;

/// An expression value. Safe to share across threads (immutable).
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
  /// null, boolean, number or string.
  bool is_primitive() const { return kind() <= Kind::kString; }

  /// Typed accessors; calling one on the wrong kind is a bug and aborts.
  bool bool_value() const;
  double number_value() const;
  const std::string& string_value() const;
  const Array& array_value() const;
  const Object& object_value() const;

  /// Object member lookup (case-insensitive); nullptr when absent or not an object.
  const Value* Find(std::string_view key) const;
  /// True when both are the same array/object instance (GitHub compares these by reference).
  bool SameInstance(const Value& other) const;

  /// GitHub truthiness: false, 0, -0, NaN, "" and null are falsy; everything else truthy.
  bool IsTruthy() const;
  /// GitHub number coercion: null→0, bool→0/1, string→ParseNumber, array/object→NaN.
  double ToNumber() const;
  /// GitHub string coercion: null→"", "true"/"false", numbers per FormatNumber, arrays →
  /// "Array", objects → "Object".
  std::string ToString() const;

  /// Converts from JSON (numbers become doubles; key order is kept for ordered_json).
  static Value FromJson(const nlohmann::json& json);
  static Value FromJson(const nlohmann::ordered_json& json);
  /// Parses JSON text keeping key order. InvalidArgument (with the parser's reason) on error.
  static core::Result<Value> ParseJson(std::string_view text);
  /// Converts to JSON: whole numbers become integers, non-finite numbers become null.
  nlohmann::ordered_json ToJson() const;
  /// JSON text as GitHub's toJSON prints it: 2-space indentation, `"key": value`, `[]`/`{}`
  /// for empty containers, NaN/Infinity as null.
  std::string ToJsonText() const;

  /// Structural equality (strings compared exactly, keys in order); for tests.
  friend bool operator==(const Value& a, const Value& b);

 private:
  using Storage = std::variant<std::monostate, bool, double, std::shared_ptr<const std::string>,
                               std::shared_ptr<const Array>, std::shared_ptr<const Object>>;
  Storage data_;
};

/// An object: keys keep insertion order; lookup ignores case (GitHub's OrdinalIgnoreCase).
/// Mutable while being built; immutable once wrapped in a Value.
class Object {
 public:
  using Entry = std::pair<std::string, Value>;

  Object() = default;
  /// Adds `key` unless a key equal to it ignoring case exists; then keeps the existing entry
  /// and returns false (how GitHub builds objects from JSON).
  bool Insert(std::string key, Value value);
  /// Inserts `key`, or replaces the value of the existing key (keeping its spelling/position).
  void Set(std::string key, Value value);
  /// The value of `key` (case-insensitive), or nullptr. Does not allocate.
  const Value* Find(std::string_view key) const;
  const std::vector<Entry>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  std::size_t FindIndex(std::string_view key) const;  // entries_.size() when absent
  void Rehash();

  std::vector<Entry> entries_;
  // Open-addressing hash table of entry positions + 1 (0 = empty slot), keyed by the
  // case-folded key; only used once the object is larger than a few entries.
  std::vector<std::uint32_t> slots_;
};

/// Formats a number as GitHub's expression engine converts numbers to strings (.NET "G15"):
/// 15 significant digits, no trailing zeros, "-0" → "0", "1.23456789012346E+19" and "1E-05"
/// outside 1e-5..1e15, "NaN", "Infinity", "-Infinity".
std::string FormatNumber(double d);
/// JavaScript's Number::toString (shortest round-trip digits), as JSON output uses.
std::string FormatNumberShortest(double d);
/// Converts a string to a number as GitHub does: surrounding whitespace ignored, "" → 0,
/// decimal with optional sign/fraction/exponent, "Infinity", 0x/0o/0b prefixes; else NaN.
double ParseNumber(std::string_view s);

/// GitHub's name of a value kind, as in its error messages: "Null", "Boolean", "Number",
/// "String", "Array", "Object".
const char* KindName(Value::Kind kind);

}  // namespace gantry::expr
