// Templates (`text ${{ expr }} text`) and `if:` conditions, parsed as GitHub's workflow
// templates parse them.
#include <algorithm>

#include "expr/expression.h"

namespace gantry::expr {
namespace {

constexpr std::string_view kOpen = "${{";

std::string_view Trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t\r\n\f\v");
  if (b == std::string_view::npos) return {};
  std::size_t e = s.find_last_not_of(" \t\r\n\f\v");
  return s.substr(b, e - b + 1);
}

}  // namespace

core::Result<Template> Template::Parse(std::string_view text, const ParseOptions& options) {
  Template t;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = text.find(kOpen, i);
    if (start == std::string_view::npos) {
      t.parts_.push_back(Part{std::string(text.substr(i)), -1});
      break;
    }
    if (start > i) t.parts_.push_back(Part{std::string(text.substr(i, start - i)), -1});
    // The expression ends at the first "}}" outside a string literal ('' toggles twice).
    std::size_t end = std::string_view::npos;
    bool in_string = false;
    for (std::size_t j = start + kOpen.size(); j < text.size(); ++j) {
      if (text[j] == '\'') {
        in_string = !in_string;
      } else if (!in_string && text[j] == '}' && text[j - 1] == '}' && j > start + kOpen.size()) {
        end = j;
        break;
      }
    }
    if (end == std::string_view::npos) {
      return core::Status::InvalidArgument(
          "The expression is not closed. An unescaped ${{ sequence was found, but the closing "
          "}} sequence was not found.");
    }
    std::string_view inner =
        Trim(text.substr(start + kOpen.size(), end - 1 - (start + kOpen.size())));
    if (inner.empty()) return core::Status::InvalidArgument("An expression was expected");
    auto expr = Expression::Parse(inner, options);
    if (!expr.ok()) return expr.status();
    t.parts_.push_back(Part{"", static_cast<int>(t.expressions_.size())});
    t.expressions_.push_back(std::move(expr).value());
    i = end + 1;
  }
  return t;
}

bool Template::IsLiteral() const { return expressions_.empty(); }

bool Template::IsSingleExpression() const {
  return parts_.size() == 1 && parts_[0].expression == 0;
}

core::Result<Value> Template::Evaluate(const EvalContext& ctx) const {
  if (IsSingleExpression()) return expressions_[0].Evaluate(ctx);
  std::string out;
  for (const Part& part : parts_) {
    if (part.expression < 0) {
      out += part.literal;
      continue;
    }
    auto v = expressions_[part.expression].Evaluate(ctx);
    if (!v.ok()) return v.status();
    out += v->ToString();
  }
  return Value(std::move(out));
}

const std::vector<Expression>& Template::expressions() const { return expressions_; }

core::Result<bool> EvaluateCondition(std::string_view condition, const EvalContext& ctx,
                                     const ParseOptions& options) {
  bool success = ctx.job_status == EvalContext::JobStatus::kSuccess;
  std::string_view trimmed = Trim(condition);
  if (trimmed.empty()) return success;
  auto tmpl = Template::Parse(trimmed, options);
  if (!tmpl.ok()) return tmpl.status();
  if (tmpl->IsLiteral() || tmpl->IsSingleExpression()) {
    // The condition is one expression, written bare or inside ${{ }}.
    core::Result<Expression> parsed =
        tmpl->IsLiteral() ? Expression::Parse(trimmed, options) : tmpl->expressions()[0];
    if (!parsed.ok()) return parsed.status();
    // Without a status function GitHub evaluates `success() && (condition)`.
    if (!parsed->HasStatusFunction() && !success) return false;
    return parsed->EvaluateTruthy(ctx);
  }
  // Text around or between ${{ }} makes the condition a string (truthy unless empty).
  bool has_status = std::any_of(tmpl->expressions().begin(), tmpl->expressions().end(),
                                [](const Expression& e) { return e.HasStatusFunction(); });
  if (!has_status && !success) return false;
  auto value = tmpl->Evaluate(ctx);
  if (!value.ok()) return value.status();
  return value->IsTruthy();
}

}  // namespace gantry::expr
