#include "expr/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

namespace gantry::expr {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

[[noreturn]] void Die(const char* what) {
  std::cerr << "gantry: fatal: expr::Value: " << what << "\n";
  std::abort();
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

void Object::Set(std::string key, Value value) {
  for (auto& e : entries_) {
    if (EqualsIgnoreCase(e.first, key)) {
      e.second = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

const Value* Object::Find(std::string_view key) const {
  for (const auto& e : entries_) {
    if (EqualsIgnoreCase(e.first, key)) return &e.second;
  }
  return nullptr;
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

bool Value::IsTruthy() const {
  switch (kind()) {
    case Kind::kNull:
      return false;
    case Kind::kBoolean:
      return bool_value();
    case Kind::kNumber: {
      double d = number_value();
      return !(d == 0 || std::isnan(d));
    }
    case Kind::kString:
      return !string_value().empty();
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
      return bool_value() ? 1 : 0;
    case Kind::kNumber:
      return number_value();
    case Kind::kString:
      return ParseNumber(string_value());
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
      return bool_value() ? "true" : "false";
    case Kind::kNumber:
      return FormatNumber(number_value());
    case Kind::kString:
      return string_value();
    case Kind::kArray:
      return "Array";
    case Kind::kObject:
      return "Object";
  }
  return "";
}

Value Value::FromJson(const nlohmann::json& json) {
  switch (json.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return Value();
    case nlohmann::json::value_t::boolean:
      return Value(json.get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return Value(json.get<double>());
    case nlohmann::json::value_t::string:
      return Value(json.get<std::string>());
    case nlohmann::json::value_t::array: {
      Array a;
      a.reserve(json.size());
      for (const auto& item : json) a.push_back(FromJson(item));
      return Value(std::move(a));
    }
    case nlohmann::json::value_t::object: {
      Object o;
      for (auto it = json.begin(); it != json.end(); ++it) o.Set(it.key(), FromJson(it.value()));
      return Value(std::move(o));
    }
    case nlohmann::json::value_t::binary:
      return Value();
  }
  return Value();
}

nlohmann::json Value::ToJson() const {
  switch (kind()) {
    case Kind::kNull:
      return nullptr;
    case Kind::kBoolean:
      return bool_value();
    case Kind::kNumber:
      return number_value();
    case Kind::kString:
      return string_value();
    case Kind::kArray: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& v : array_value()) a.push_back(v.ToJson());
      return a;
    }
    case Kind::kObject: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& [k, v] : object_value().entries()) o[k] = v.ToJson();
      return o;
    }
  }
  return nullptr;
}

std::string Value::ToJsonText() const { return ToJson().dump(2); }

bool operator==(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kBoolean:
      return a.bool_value() == b.bool_value();
    case Value::Kind::kNumber:
      return a.number_value() == b.number_value();
    case Value::Kind::kString:
      return a.string_value() == b.string_value();
    case Value::Kind::kArray:
      return a.array_value() == b.array_value();
    case Value::Kind::kObject: {
      const auto& x = a.object_value().entries();
      const auto& y = b.object_value().entries();
      return x == y;
    }
  }
  return false;
}

std::string FormatNumber(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return "0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

double ParseNumber(std::string_view s) {
  std::string t(s);
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (t.empty()) return 0;
  if (end != t.c_str() + t.size()) return std::nan("");
  return d;
}

}  // namespace gantry::expr
