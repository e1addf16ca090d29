#include "cli/expr_command.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "expr/expression.h"

namespace gantry::cli {
namespace {

std::string Trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Evaluates `text` as `gantry expr` does: a template when it holds `${{`, else one
// expression. Named values are limited to the contexts supplied, as GitHub limits them to
// the contexts available where the expression appears.
core::Result<expr::Value> Evaluate(const std::string& text, const expr::Value& contexts) {
  expr::ParseOptions options;
  options.named_values.emplace();
  for (const auto& [name, value] : contexts.object_value().entries()) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    options.named_values->push_back(std::move(lower));
  }
  expr::EvalContext ctx;
  ctx.contexts = contexts;
  std::string trimmed = Trim(text);
  if (trimmed.find("${{") != std::string::npos) {
    auto tmpl = expr::Template::Parse(trimmed, options);
    if (!tmpl.ok()) return tmpl.status();
    return tmpl->Evaluate(ctx);
  }
  auto parsed = expr::Expression::Parse(text, options);
  if (!parsed.ok()) return parsed.status();
  return parsed->Evaluate(ctx);
}

}  // namespace

int RunExprCommand(const std::string& expression, const std::string& context_file,
                   std::ostream& out, std::ostream& err) {
  expr::Value contexts{expr::Object()};
  if (!context_file.empty()) {
    std::string text;
    std::string name = context_file == "-" ? "<stdin>" : context_file;
    if (context_file == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      std::ifstream in(context_file, std::ios::binary);
      if (!in) {
        err << "gantry expr: cannot read context file '" << name << "': " << std::strerror(errno)
            << "\n";
        return 2;
      }
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    auto parsed = expr::Value::ParseJson(text);
    if (!parsed.ok()) {
      err << "gantry expr: context file '" << name
          << "' is not valid JSON: " << parsed.status().message() << "\n";
      return 2;
    }
    if (!parsed->is_object()) {
      err << "gantry expr: context file '" << name
          << "' must hold a JSON object of contexts such as {\"github\": {...}}, not a "
          << expr::KindName(parsed->kind()) << "\n";
      return 2;
    }
    contexts = std::move(parsed).value();
  }
  auto result = Evaluate(expression, contexts);
  if (!result.ok()) {
    err << result.status().message() << "\n";
    return 1;
  }
  out << result->ToJsonText() << "\n";
  return 0;
}

int RunExprBatchCommand(std::istream& in, std::ostream& out) {
  std::string line;
  while (std::getline(in, line)) {
    if (Trim(line).empty()) continue;
    nlohmann::ordered_json request;
    try {
      request = nlohmann::ordered_json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      out << nlohmann::json{{"ok", false}, {"error", std::string("bad request: ") + e.what()}}
                 .dump()
          << "\n";
      return 2;
    }
    nlohmann::ordered_json response;
    expr::Value contexts{expr::Object()};
    if (request.contains("contexts") && request["contexts"].is_object()) {
      contexts = expr::Value::FromJson(request["contexts"]);
    }
    std::string text = request.value("expr", std::string());
    auto result = Evaluate(text, contexts);
    if (!result.ok()) {
      response["ok"] = false;
      response["error"] = result.status().message();
    } else {
      response["ok"] = true;
      response["kind"] = expr::KindName(result->kind());
      if (result->is_number()) {
        response["value"] = expr::FormatNumberShortest(result->number_value());
      } else {
        response["value"] = result->ToJson();
      }
    }
    out << response.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    out.flush();
  }
  return 0;
}

}  // namespace gantry::cli
