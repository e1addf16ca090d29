#pragma once

// Helpers shared by the expression unit tests (header-only; not part of the library).

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "expr/expression.h"
#include "expr/value.h"

namespace gantry::expr::testing {

/// Parses JSON text that the test knows to be valid.
inline Value Json(std::string_view text) {
  auto v = Value::ParseJson(text);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? std::move(v).value() : Value();
}

/// Parses (accepting any named value and function) and evaluates `text`.
inline core::Result<Value> Eval(std::string_view text, std::string_view contexts = "{}",
                                EvalContext::JobStatus status = EvalContext::JobStatus::kSuccess) {
  auto parsed = Expression::Parse(text);
  if (!parsed.ok()) return parsed.status();
  EvalContext ctx;
  ctx.contexts = Json(contexts);
  ctx.job_status = status;
  return parsed->Evaluate(ctx);
}

/// The error message of a failing evaluation, or "<ok>".
inline std::string ErrorOf(std::string_view text, std::string_view contexts = "{}") {
  auto r = Eval(text, contexts);
  return r.ok() ? "<ok>" : r.status().message();
}

}  // namespace gantry::expr::testing
