#include "expr/functions.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "expr/hash_files.h"

namespace gantry::expr {
namespace {

constexpr std::size_t kUnlimited = 255;

constexpr FunctionInfo kFunctions[] = {
    {"contains", Function::kContains, 2, 2, true},
    {"startswith", Function::kStartsWith, 2, 2, true},
    {"endswith", Function::kEndsWith, 2, 2, true},
    {"format", Function::kFormat, 1, kUnlimited, true},
    {"join", Function::kJoin, 1, 2, true},
    {"tojson", Function::kToJson, 1, 1, true},
    {"fromjson", Function::kFromJson, 1, 1, true},
    {"case", Function::kCase, 3, static_cast<std::size_t>(-1), true},
    {"hashfiles", Function::kHashFiles, 1, kUnlimited, false},
    {"success", Function::kSuccess, 0, 0, false},
    {"failure", Function::kFailure, 0, 0, false},
    {"cancelled", Function::kCancelled, 0, 0, false},
    {"always", Function::kAlways, 0, 0, false},
};

// A value after GitHub's coercion for comparisons: a kind plus the number when it became one.
struct Coerced {
  Value::Kind kind;
  double number = 0;
  const Value* value;
};

// Coerces both sides as GitHub does before comparing (JavaScript's abstract equality, except
// that arrays and objects are never converted).
void Coerce(const Value& a, const Value& b, Coerced* l, Coerced* r) {
  *l = {a.kind(), a.is_number() ? a.number_value() : 0, &a};
  *r = {b.kind(), b.is_number() ? b.number_value() : 0, &b};
  if (l->kind == r->kind) return;
  auto to_number = [](Coerced* c) {
    c->number = c->value->ToNumber();
    c->kind = Value::Kind::kNumber;
  };
  using K = Value::Kind;
  if (l->kind == K::kNumber && r->kind == K::kString) return to_number(r);
  if (l->kind == K::kString && r->kind == K::kNumber) return to_number(l);
  if (l->kind == K::kNull || l->kind == K::kBoolean) {
    to_number(l);
    if (r->kind == K::kString || r->kind == K::kNull || r->kind == K::kBoolean) to_number(r);
    return;
  }
  if (r->kind == K::kNull || r->kind == K::kBoolean) {
    to_number(r);
    if (l->kind == K::kString) to_number(l);
  }
}

core::Status FormatError(const std::string& what, const std::string& format) {
  return core::Status::InvalidArgument("The following format string " + what + ": " + format);
}

// format('{0} {1:spec}', ...): `{{`/`}}` escape braces; an argument index must be at most 255;
// format specifiers are rejected as GitHub rejects them.
core::Result<Ref> Format(Ref* args, std::size_t count) {
  std::string fs = args[0]->ToString();
  std::string out;
  std::size_t index = 0;
  core::Status specifier_error;
  auto char_at = [&](std::size_t i) { return i < fs.size() ? fs[i] : '\0'; };
  while (index < fs.size()) {
    std::size_t lbrace = fs.find('{', index);
    std::size_t rbrace = fs.find('}', index);
    if (lbrace != std::string::npos && (rbrace == std::string::npos || rbrace > lbrace)) {
      if (char_at(lbrace + 1) == '{') {
        out.append(fs, index, lbrace - index + 1);
        index = lbrace + 2;
        continue;
      }
      std::size_t digits = 0;
      while (char_at(lbrace + 1 + digits) >= '0' && char_at(lbrace + 1 + digits) <= '9') ++digits;
      if (rbrace == std::string::npos || rbrace <= lbrace + 1 || digits == 0) {
        return FormatError("is invalid", fs);
      }
      unsigned arg = 0;  // saturates above 255, which is invalid anyway
      for (std::size_t i = 0; i < digits; ++i) {
        arg = std::min(arg * 10 + (fs[lbrace + 1 + i] - '0'), 1000u);
      }
      std::size_t after = lbrace + 1 + digits;
      std::string specifiers;
      if (char_at(after) == ':') {
        // Specifiers run to the next single '}' ("}}" inside them is an escaped brace).
        std::size_t i = after + 1;
        for (;; ++i) {
          if (i >= fs.size()) return FormatError("is invalid", fs);
          if (fs[i] != '}') {
            specifiers.push_back(fs[i]);
          } else if (char_at(i + 1) == '}') {
            specifiers.push_back('}');
            ++i;
          } else {
            break;
          }
        }
        rbrace = i;
      } else if (char_at(after) == '}') {
        rbrace = after;
      } else {
        return FormatError("is invalid", fs);
      }
      if (arg > 255) return FormatError("is invalid", fs);
      if (arg + 1 >= count) return FormatError("references more arguments than were supplied", fs);
      if (!specifiers.empty() && specifier_error.ok()) {
        // GitHub reports this only once the whole format string has been read.
        specifier_error = core::Status::InvalidArgument("The format specifiers '" + specifiers +
                                                        "' are not valid for objects of type '" +
                                                        KindName(args[arg + 1]->kind()) + "'");
      }
      out.append(fs, index, lbrace - index);
      out += args[arg + 1]->ToString();
      index = rbrace + 1;
    } else if (rbrace != std::string::npos) {
      if (char_at(rbrace + 1) != '}') return FormatError("is invalid", fs);
      out.append(fs, index, rbrace - index + 1);
      index = rbrace + 2;
    } else {
      out.append(fs, index);
      break;
    }
  }
  if (!specifier_error.ok()) return specifier_error;
  return Ref::Owned(Value(std::move(out)));
}

Ref Join(Ref* args, std::size_t count) {
  const Value& input = args[0].get();
  if (input.is_primitive()) return Ref::Owned(Value(input.ToString()));
  if (!input.is_array()) return Ref::Owned(Value(""));
  std::string separator = ",";
  if (count > 1 && args[1]->is_primitive()) separator = args[1]->ToString();
  std::string out;
  bool first = true;
  for (const Value& item : input.array_value()) {
    if (!first) out += separator;
    first = false;
    out += item.ToString();
  }
  return Ref::Owned(Value(std::move(out)));
}

core::Result<Ref> FromJson(const Ref& arg) {
  std::string text = arg->ToString();
  bool blank = true;
  for (std::size_t i = 0; i < text.size() && blank;) blank = IsJsWhitespace(DecodeUtf8(text, &i));
  if (blank) return core::Status::InvalidArgument("empty input");
  auto parsed = Value::ParseJson(text);
  if (!parsed.ok()) {
    return core::Status::InvalidArgument("Error parsing JSON when evaluating fromJson");
  }
  return Ref::Owned(std::move(parsed).value());
}

const Value kTrue(true);
const Value kFalse(false);
const Value kNull;

// success('a', 'b') / failure('a', 'b') in a job-level if: all named jobs succeeded / any of
// them failed, read from needs.<id>.result.
bool NeededJobsResult(const EvalContext& ctx, Ref* args, std::size_t count, Function f) {
  const Value* needs = ctx.contexts.is_object() ? ctx.contexts.Find("needs") : nullptr;
  for (std::size_t i = 0; i < count; ++i) {
    const Value* job =
        needs != nullptr && needs->is_object() ? needs->Find(args[i]->ToString()) : nullptr;
    const Value* result = job != nullptr && job->is_object() ? job->Find("result") : nullptr;
    bool succeeded =
        result != nullptr && result->is_string() && result->string_value() == "success";
    bool failed = result != nullptr && result->is_string() && result->string_value() == "failure";
    if (f == Function::kSuccess && !succeeded) return false;
    if (f == Function::kFailure && failed) return true;
  }
  return f == Function::kSuccess;
}

}  // namespace

Ref Ref::Bool(bool b) { return External(b ? &kTrue : &kFalse); }
Ref Ref::Null() { return External(&kNull); }

const FunctionInfo* LookupFunction(std::string_view name) {
  for (const auto& f : kFunctions) {
    if (EqualsIgnoreCase(f.name, name)) return &f;
  }
  return nullptr;
}

bool IsStatusFunction(Function f) {
  return f == Function::kSuccess || f == Function::kFailure || f == Function::kCancelled ||
         f == Function::kAlways;
}

bool LooseEquals(const Value& a, const Value& b) {
  Coerced l, r;
  Coerce(a, b, &l, &r);
  if (l.kind != r.kind) return false;
  switch (l.kind) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kNumber:
      return l.number == r.number;  // false for NaN
    case Value::Kind::kString:
      return EqualsIgnoreCase(a.string_value(), b.string_value());
    case Value::Kind::kBoolean:
      return a.bool_value() == b.bool_value();
    case Value::Kind::kArray:
    case Value::Kind::kObject:
      return a.SameInstance(b);
  }
  return false;
}

bool LooseGreaterThan(const Value& a, const Value& b) {
  Coerced l, r;
  Coerce(a, b, &l, &r);
  if (l.kind != r.kind) return false;
  switch (l.kind) {
    case Value::Kind::kNumber:
      return l.number > r.number;
    case Value::Kind::kString:
      return CompareIgnoreCase(a.string_value(), b.string_value()) > 0;
    case Value::Kind::kBoolean:
      return a.bool_value() && !b.bool_value();
    default:
      return false;
  }
}

bool LooseLessThan(const Value& a, const Value& b) {
  Coerced l, r;
  Coerce(a, b, &l, &r);
  if (l.kind != r.kind) return false;
  switch (l.kind) {
    case Value::Kind::kNumber:
      return l.number < r.number;
    case Value::Kind::kString:
      return CompareIgnoreCase(a.string_value(), b.string_value()) < 0;
    case Value::Kind::kBoolean:
      return !a.bool_value() && b.bool_value();
    default:
      return false;
  }
}

core::Result<Ref> CallFunction(Function f, Ref* args, std::size_t count, const EvalContext& ctx) {
  using JobStatus = EvalContext::JobStatus;
  switch (f) {
    case Function::kContains: {
      const Value& haystack = args[0].get();
      const Value& needle = args[1].get();
      if (haystack.is_primitive()) {
        if (!needle.is_primitive()) return Ref::Bool(false);
        if (haystack.is_string() && needle.is_string()) {
          return Ref::Bool(ContainsIgnoreCase(haystack.string_value(), needle.string_value()));
        }
        return Ref::Bool(ContainsIgnoreCase(haystack.ToString(), needle.ToString()));
      }
      if (haystack.is_array()) {
        for (const Value& item : haystack.array_value()) {
          if (LooseEquals(needle, item)) return Ref::Bool(true);
        }
      }
      return Ref::Bool(false);
    }
    case Function::kStartsWith:
    case Function::kEndsWith: {
      const Value& s = args[0].get();
      const Value& affix = args[1].get();
      if (!s.is_primitive() || !affix.is_primitive()) return Ref::Bool(false);
      auto test = f == Function::kStartsWith ? &StartsWithIgnoreCase : &EndsWithIgnoreCase;
      if (s.is_string() && affix.is_string()) {
        return Ref::Bool(test(s.string_value(), affix.string_value()));
      }
      return Ref::Bool(test(s.ToString(), affix.ToString()));
    }
    case Function::kFormat:
      return Format(args, count);
    case Function::kJoin:
      return Join(args, count);
    case Function::kToJson:
      return Ref::Owned(Value(args[0]->ToJsonText()));
    case Function::kFromJson:
      return FromJson(args[0]);
    case Function::kCase: {
      for (std::size_t i = 0; i + 1 < count; i += 2) {
        if (!args[i]->is_bool()) {
          return core::Status::InvalidArgument("case predicate must evaluate to a boolean value");
        }
        if (args[i]->bool_value()) return std::move(args[i + 1]);
      }
      return std::move(args[count - 1]);
    }
    case Function::kHashFiles: {
      std::vector<std::string> patterns;
      for (std::size_t i = 0; i < count; ++i) patterns.push_back(args[i]->ToString());
      auto hash = HashFiles(ctx.workspace, patterns);
      if (!hash.ok()) return hash.status();
      return Ref::Owned(Value(std::move(hash).value()));
    }
    case Function::kSuccess:
      if (count > 0) return Ref::Bool(NeededJobsResult(ctx, args, count, f));
      return Ref::Bool(ctx.job_status == JobStatus::kSuccess);
    case Function::kFailure:
      if (count > 0) return Ref::Bool(NeededJobsResult(ctx, args, count, f));
      return Ref::Bool(ctx.job_status == JobStatus::kFailure);
    case Function::kCancelled:
      return Ref::Bool(ctx.job_status == JobStatus::kCancelled);
    case Function::kAlways:
      return Ref::Bool(true);
  }
  return core::Status::Internal("unknown function");
}

}  // namespace gantry::expr
