#include "expr/value.h"

#include <cmath>
#include <cstdlib>
#include <iostream>

namespace gantry::expr {
namespace {

// Objects up to this size are searched linearly; larger ones get a hash index.
constexpr std::size_t kLinearSearchMax = 8;

[[noreturn]] void Die(const char* what) {
  std::cerr << "gantry: fatal: expr::Value: " << what << "\n";
  std::abort();
}

// FNV-1a over the upper-cased code points, so keys equal ignoring case hash alike.
std::uint32_t FoldedHash(std::string_view key) {
  std::uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < key.size();) {
    auto c = static_cast<unsigned char>(key[i]);
    char32_t cp;
    if (c < 0x80) {
      cp = (c >= 'a' && c <= 'z') ? c - 32 : c;
      ++i;
    } else {
      cp = ToUpperForCompare(DecodeUtf8(key, &i));
    }
    h = (h ^ static_cast<std::uint32_t>(cp)) * 16777619u;
  }
  return h;
}

}  // namespace

std::size_t Object::FindIndex(std::string_view key) const {
  if (slots_.empty()) {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (EqualsIgnoreCase(entries_[i].first, key)) return i;
    }
    return entries_.size();
  }
  std::size_t mask = slots_.size() - 1;
  for (std::size_t s = FoldedHash(key) & mask;; s = (s + 1) & mask) {
    std::uint32_t slot = slots_[s];
    if (slot == 0) return entries_.size();
    if (EqualsIgnoreCase(entries_[slot - 1].first, key)) return slot - 1;
  }
}

void Object::Rehash() {
  std::size_t capacity = 16;
  while (capacity < entries_.size() * 2) capacity *= 2;
  slots_.assign(capacity, 0);
  std::size_t mask = capacity - 1;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    std::size_t s = FoldedHash(entries_[i].first) & mask;
    while (slots_[s] != 0) s = (s + 1) & mask;
    slots_[s] = static_cast<std::uint32_t>(i + 1);
  }
}

bool Object::Insert(std::string key, Value value) {
  if (FindIndex(key) != entries_.size()) return false;
  entries_.emplace_back(std::move(key), std::move(value));
  if (entries_.size() > kLinearSearchMax) {
    if (entries_.size() * 2 > slots_.size()) {
      Rehash();
    } else {
      std::size_t mask = slots_.size() - 1;
      std::size_t s = FoldedHash(entries_.back().first) & mask;
      while (slots_[s] != 0) s = (s + 1) & mask;
      slots_[s] = static_cast<std::uint32_t>(entries_.size());
    }
  }
  return true;
}

void Object::Set(std::string key, Value value) {
  std::size_t i = FindIndex(key);
  if (i != entries_.size()) {
    entries_[i].second = std::move(value);
    return;
  }
  Insert(std::move(key), std::move(value));
}

const Value* Object::Find(std::string_view key) const {
  std::size_t i = FindIndex(key);
  return i == entries_.size() ? nullptr : &entries_[i].second;
}

Value::Value(std::string s) : data_(std::make_shared<const std::string>(std::move(s))) {}
Value::Value(std::string_view s) : data_(std::make_shared<const std::string>(s)) {}
Value::Value(const char* s) : data_(std::make_shared<const std::string>(s)) {}
Value::Value(Array a) : data_(std::make_shared<const Array>(std::move(a))) {}
Value::Value(Object o) : data_(std::make_shared<const Object>(std::move(o))) {}

bool Value::bool_value() const {
  if (!is_bool()) Die("bool_value() of a non-boolean");
  return std::get<bool>(data_);
}
double Value::number_value() const {
  if (!is_number()) Die("number_value() of a non-number");
  return std::get<double>(data_);
}
const std::string& Value::string_value() const {
  if (!is_string()) Die("string_value() of a non-string");
  return *std::get<3>(data_);
}
const Array& Value::array_value() const {
  if (!is_array()) Die("array_value() of a non-array");
  return *std::get<4>(data_);
}
const Object& Value::object_value() const {
  if (!is_object()) Die("object_value() of a non-object");
  return *std::get<5>(data_);
}

const Value* Value::Find(std::string_view key) const {
  if (!is_object()) return nullptr;
  return std::get<5>(data_)->Find(key);
}

bool Value::SameInstance(const Value& other) const {
  if (kind() != other.kind()) return false;
  if (is_array()) return std::get<4>(data_) == std::get<4>(other.data_);
  if (is_object()) return std::get<5>(data_) == std::get<5>(other.data_);
  return false;
}

bool Value::IsTruthy() const {
  switch (kind()) {
    case Kind::kNull:
      return false;
    case Kind::kBoolean:
      return std::get<bool>(data_);
    case Kind::kNumber: {
      double d = std::get<double>(data_);
      return !(d == 0 || std::isnan(d));
    }
    case Kind::kString:
      return !std::get<3>(data_)->empty();
    case Kind::kArray:
    case Kind::kObject:
      return true;
  }
  return false;
}

double Value::ToNumber() const {
  switch (kind()) {
    case Kind::kNull:
      return 0;
    case Kind::kBoolean:
      return std::get<bool>(data_) ? 1 : 0;
    case Kind::kNumber:
      return std::get<double>(data_);
    case Kind::kString:
      return ParseNumber(*std::get<3>(data_));
    case Kind::kArray:
    case Kind::kObject:
      return std::nan("");
  }
  return std::nan("");
}

std::string Value::ToString() const {
  switch (kind()) {
    case Kind::kNull:
      return "";
    case Kind::kBoolean:
      return std::get<bool>(data_) ? "true" : "false";
    case Kind::kNumber:
      return FormatNumber(std::get<double>(data_));
    case Kind::kString:
      return *std::get<3>(data_);
    case Kind::kArray:
      return "Array";
    case Kind::kObject:
      return "Object";
  }
  return "";
}

bool operator==(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kBoolean:
      return a.bool_value() == b.bool_value();
    case Value::Kind::kNumber: {
      double x = a.number_value(), y = b.number_value();
      return x == y || (std::isnan(x) && std::isnan(y));
    }
    case Value::Kind::kString:
      return a.string_value() == b.string_value();
    case Value::Kind::kArray:
      return a.array_value() == b.array_value();
    case Value::Kind::kObject:
      return a.object_value().entries() == b.object_value().entries();
  }
  return false;
}

const char* KindName(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kNull:
      return "Null";
    case Value::Kind::kBoolean:
      return "Boolean";
    case Value::Kind::kNumber:
      return "Number";
    case Value::Kind::kString:
      return "String";
    case Value::Kind::kArray:
      return "Array";
    case Value::Kind::kObject:
      return "Object";
  }
  return "Object";
}

}  // namespace gantry::expr
