// JSON conversions of Value: from nlohmann (contexts, fromJSON) and to text (toJSON).
#include <cmath>
#include <nlohmann/json.hpp>

#include "expr/value.h"

namespace gantry::expr {
namespace {

template <typename Json>
Value FromJsonImpl(const Json& json) {
  switch (json.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
    case nlohmann::json::value_t::binary:
      return Value();
    case nlohmann::json::value_t::boolean:
      return Value(json.template get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return Value(json.template get<double>());
    case nlohmann::json::value_t::string:
      return Value(json.template get_ref<const std::string&>());
    case nlohmann::json::value_t::array: {
      Array a;
      a.reserve(json.size());
      for (const auto& item : json) a.push_back(FromJsonImpl(item));
      return Value(std::move(a));
    }
    case nlohmann::json::value_t::object: {
      Object o;
      for (auto it = json.begin(); it != json.end(); ++it) {
        o.Insert(it.key(), FromJsonImpl(it.value()));
      }
      return Value(std::move(o));
    }
  }
  return Value();
}

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          *out += "\\u00";
          out->push_back(kHex[(c >> 4) & 0xF]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

void AppendJson(std::string* out, const Value& v, int indent) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      *out += "null";
      return;
    case Value::Kind::kBoolean:
      *out += v.bool_value() ? "true" : "false";
      return;
    case Value::Kind::kNumber: {
      double d = v.number_value();
      *out += std::isfinite(d) ? FormatNumberShortest(d) : "null";
      return;
    }
    case Value::Kind::kString:
      AppendJsonString(out, v.string_value());
      return;
    case Value::Kind::kArray: {
      const Array& a = v.array_value();
      if (a.empty()) {
        *out += "[]";
        return;
      }
      *out += "[";
      for (std::size_t i = 0; i < a.size(); ++i) {
        *out += i == 0 ? "\n" : ",\n";
        out->append(indent + 2, ' ');
        AppendJson(out, a[i], indent + 2);
      }
      *out += "\n";
      out->append(indent, ' ');
      *out += "]";
      return;
    }
    case Value::Kind::kObject: {
      const auto& entries = v.object_value().entries();
      if (entries.empty()) {
        *out += "{}";
        return;
      }
      *out += "{";
      for (std::size_t i = 0; i < entries.size(); ++i) {
        *out += i == 0 ? "\n" : ",\n";
        out->append(indent + 2, ' ');
        AppendJsonString(out, entries[i].first);
        *out += ": ";
        AppendJson(out, entries[i].second, indent + 2);
      }
      *out += "\n";
      out->append(indent, ' ');
      *out += "}";
      return;
    }
  }
}

}  // namespace

Value Value::FromJson(const nlohmann::json& json) { return FromJsonImpl(json); }
Value Value::FromJson(const nlohmann::ordered_json& json) { return FromJsonImpl(json); }

core::Result<Value> Value::ParseJson(std::string_view text) {
  try {
    return FromJsonImpl(nlohmann::ordered_json::parse(text.begin(), text.end()));
  } catch (const nlohmann::json::exception& e) {
    return core::Status::InvalidArgument(e.what());
  }
}

nlohmann::ordered_json Value::ToJson() const {
  switch (kind()) {
    case Kind::kNull:
      return nullptr;
    case Kind::kBoolean:
      return bool_value();
    case Kind::kNumber: {
      double d = number_value();
      if (!std::isfinite(d)) return nullptr;
      if (d == std::trunc(d) && std::fabs(d) < 9007199254740992.0) {
        return static_cast<std::int64_t>(d);
      }
      return d;
    }
    case Kind::kString:
      return string_value();
    case Kind::kArray: {
      nlohmann::ordered_json a = nlohmann::ordered_json::array();
      for (const auto& item : array_value()) a.push_back(item.ToJson());
      return a;
    }
    case Kind::kObject: {
      nlohmann::ordered_json o = nlohmann::ordered_json::object();
      for (const auto& [k, item] : object_value().entries()) o[k] = item.ToJson();
      return o;
    }
  }
  return nullptr;
}

std::string Value::ToJsonText() const {
  std::string out;
  AppendJson(&out, *this, 0);
  return out;
}

}  // namespace gantry::expr
