// Expression conformance: GitHub's x-lang vectors (actions/languageservices) and act's
// expression tables, run through gantry::expr exactly as a workflow would run them.
//   expressions      languageservices/expressions/testdata/*.json, id <file>#<group>#<index>
//   act-expressions  expressions/act-exprparser.json, id = the vector's id (act-NNNN)
#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "expr/expression.h"
#include "suite.h"

namespace gantry::conformance {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using expr::Value;

std::optional<Json> ReadJson(const fs::path& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read " + path.string();
    return std::nullopt;
  }
  try {
    return Json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    *error = path.string() + ": " + e.what();
    return std::nullopt;
  }
}

// Deep comparison of a result with expected JSON: numbers numerically (a JSON string "NaN" /
// "Infinity" stands for a non-finite number), object keys in order.
bool SameValue(const Value& actual, const Json& expected) {
  switch (actual.kind()) {
    case Value::Kind::kNull:
      return expected.is_null();
    case Value::Kind::kBoolean:
      return expected.is_boolean() && expected.get<bool>() == actual.bool_value();
    case Value::Kind::kNumber: {
      double d = actual.number_value();
      if (expected.is_string()) return expr::FormatNumberShortest(d) == expected.get<std::string>();
      return expected.is_number() && expected.get<double>() == d;
    }
    case Value::Kind::kString:
      return expected.is_string() && expected.get<std::string>() == actual.string_value();
    case Value::Kind::kArray: {
      const auto& a = actual.array_value();
      if (!expected.is_array() || expected.size() != a.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!SameValue(a[i], expected[i])) return false;
      }
      return true;
    }
    case Value::Kind::kObject: {
      const auto& entries = actual.object_value().entries();
      if (!expected.is_object() || expected.size() != entries.size()) return false;
      std::size_t i = 0;
      for (auto it = expected.begin(); it != expected.end(); ++it, ++i) {
        if (it.key() != entries[i].first || !SameValue(entries[i].second, it.value())) {
          return false;
        }
      }
      return true;
    }
  }
  return false;
}

std::string Describe(const Value& v) {
  std::string text = v.is_number() ? expr::FormatNumberShortest(v.number_value()) : v.ToJsonText();
  return std::string(KindName(v.kind())) + " " + text;
}

struct VectorSetup {
  bool restrict_named_values = true;  // only the vector's contexts are valid named values
  fs::path workspace;                 // for hashFiles
};

// Runs one vector; returns the failure detail, or nullopt when it passes.
std::optional<std::string> RunVector(const Json& vector, const VectorSetup& setup) {
  std::string text = vector.value("expr", std::string());
  Json contexts = vector.contains("contexts") ? vector["contexts"] : Json::object();
  expr::ParseOptions options;
  if (setup.restrict_named_values) {
    options.named_values.emplace();
    for (auto it = contexts.begin(); it != contexts.end(); ++it) {
      std::string name = it.key();
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      options.named_values->push_back(name);
    }
    options.extra_functions.emplace();  // GitHub's harness registers no extra functions
  }
  expr::EvalContext ctx;
  ctx.contexts = Value::FromJson(contexts);
  ctx.workspace = setup.workspace.string();

  const Json* err = vector.contains("err") ? &vector["err"] : nullptr;
  std::string expected_kind = err ? (*err)["kind"].get<std::string>() : "";
  auto check_error = [&](const core::Status& st, bool at_parse) -> std::optional<std::string> {
    if (!err) return "unexpected error: " + st.message();
    bool want_parse = expected_kind != "evaluation";
    if (want_parse != at_parse) {
      return std::string("error at ") + (at_parse ? "parse" : "evaluation") + " time, expected " +
             expected_kind + ": " + st.message();
    }
    std::string want = (*err)["value"].get<std::string>();
    if (st.message().find(want) == std::string::npos) {
      return "error message '" + st.message() + "' does not contain '" + want + "'";
    }
    return std::nullopt;
  };

  auto parsed = expr::Expression::Parse(text, options);
  if (!parsed.ok()) return check_error(parsed.status(), true);
  auto result = parsed->Evaluate(ctx);
  if (!result.ok()) return check_error(result.status(), false);
  if (err)
    return "expected " + expected_kind + " error '" + (*err)["value"].dump() + "', got " +
           Describe(*result);
  const Json& want = vector["result"];
  std::string kind = want["kind"].get<std::string>();
  if (kind != KindName(result->kind()) || !SameValue(*result, want["value"])) {
    return "expected " + kind + " " + want["value"].dump() + ", got " + Describe(*result);
  }
  return std::nullopt;
}

void Record(SuiteResult* r, std::string id, const std::optional<std::string>& failure) {
  ++r->total;
  if (failure) {
    r->failures.push_back({std::move(id), *failure});
  } else {
    ++r->passed;
  }
}

SuiteResult RunLanguageServices(const fs::path& corpus) {
  SuiteResult r;
  fs::path dir = corpus / "languageservices" / "expressions" / "testdata";
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::string error;
    auto doc = ReadJson(file, &error);
    std::string name = file.filename().string();
    if (!doc) {
      Record(&r, name, error);
      continue;
    }
    for (auto group = doc->begin(); group != doc->end(); ++group) {
      for (std::size_t i = 0; i < group.value().size(); ++i) {
        std::string id = name + "#" + group.key() + "#" + std::to_string(i);
        Record(&r, id, RunVector(group.value()[i], VectorSetup{}));
      }
    }
  }
  return r;
}

SuiteResult RunAct(const fs::path& corpus) {
  SuiteResult r;
  std::string error;
  auto doc = ReadJson(corpus / "expressions" / "act-exprparser.json", &error);
  if (!doc) {
    Record(&r, "act-exprparser.json", error);
    return r;
  }
  for (auto group = doc->begin(); group != doc->end(); ++group) {
    for (const auto& vector : group.value()) {
      // act defines every context wherever an expression appears, so any name is valid.
      VectorSetup setup;
      setup.restrict_named_values = false;
      if (vector.contains("working_directory")) {
        setup.workspace = corpus / vector["working_directory"].get<std::string>();
      }
      Record(&r, vector.value("id", group.key()), RunVector(vector, setup));
    }
  }
  return r;
}

SuiteRegistrar expressions({"expressions", RunLanguageServices});
SuiteRegistrar act_expressions({"act-expressions", RunAct});

}  // namespace
}  // namespace gantry::conformance
