#include <gtest/gtest.h>

#include "expr/expression.h"
#include "expr/test_util.h"

namespace gantry::expr {
namespace {

using testing::Json;
using S = EvalContext::JobStatus;

core::Result<Value> EvalTemplate(std::string_view text, std::string_view contexts = "{}") {
  auto t = Template::Parse(text);
  if (!t.ok()) return t.status();
  EvalContext ctx;
  ctx.contexts = Json(contexts);
  return t->Evaluate(ctx);
}

bool Condition(std::string_view text, S status = S::kSuccess, std::string_view contexts = "{}") {
  EvalContext ctx;
  ctx.contexts = Json(contexts);
  ctx.job_status = status;
  auto r = EvaluateCondition(text, ctx);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() && *r;
}

TEST(TemplateTest, TextWithoutExpressionsIsLiteral) {
  auto t = Template::Parse("plain ${text} and {{ braces }}");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->IsLiteral());
  EXPECT_EQ(*t->Evaluate({}), Value("plain ${text} and {{ braces }}"));
}

TEST(TemplateTest, SingleExpressionKeepsItsType) {
  auto t = Template::Parse("${{ fromJSON('[1, 2]') }}");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->IsSingleExpression());
  EXPECT_EQ(*t->Evaluate({}), Json("[1, 2]"));
}

TEST(TemplateTest, TextAroundExpressionsConcatenatesStrings) {
  const char* ctx = R"({"matrix": {"os": "linux", "n": 2.50}})";
  EXPECT_EQ(*EvalTemplate("v${{ matrix.os }}-${{ matrix.n }}${{ null }}!", ctx),
            Value("vlinux-2.5!"));
  EXPECT_EQ(*EvalTemplate(" ${{ 1 }} "), Value(" 1 "));
  EXPECT_EQ(*EvalTemplate("${{ matrix }} ${{ true }}", ctx), Value("Object true"));
}

TEST(TemplateTest, ClosingBracesInsideStringsDoNotEndTheExpression) {
  EXPECT_EQ(*EvalTemplate("${{ '}}' }} and ${{ 'it''s' }}"), Value("}} and it's"));
}

TEST(TemplateTest, UnclosedAndEmptyExpressionsAreErrors) {
  EXPECT_EQ(Template::Parse("a ${{ 1 ").status().message(),
            "The expression is not closed. An unescaped ${{ sequence was found, but the "
            "closing }} sequence was not found.");
  EXPECT_EQ(Template::Parse("${{   }}").status().message(), "An expression was expected");
  EXPECT_EQ(Template::Parse("${{ 1 @ }}").status().message().substr(0, 22),
            "Unexpected symbol: '@'");
}

TEST(TemplateTest, ListsItsExpressions) {
  auto t = Template::Parse("${{ github.ref }}/${{ env.X }}");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->expressions().size(), 2u);
  EXPECT_EQ(t->expressions()[1].text(), "env.X");
}

TEST(ConditionTest, WithoutStatusFunctionImpliesSuccess) {
  EXPECT_TRUE(Condition("true"));
  EXPECT_FALSE(Condition("true", S::kFailure));
  EXPECT_FALSE(Condition("true", S::kCancelled));
}

TEST(ConditionTest, StatusFunctionsReplaceTheImplicitSuccess) {
  EXPECT_TRUE(Condition("failure()", S::kFailure));
  EXPECT_TRUE(Condition("always()", S::kCancelled));
  EXPECT_TRUE(Condition("${{ cancelled() || failure() }}", S::kCancelled));
  EXPECT_FALSE(Condition("success()", S::kFailure));
}

TEST(ConditionTest, EmptyConditionMeansSuccess) {
  EXPECT_TRUE(Condition("  "));
  EXPECT_FALSE(Condition("", S::kFailure));
}

TEST(ConditionTest, ResultUsesTruthiness) {
  const char* ctx = R"({"github": {"ref": "refs/tags/v1", "event_name": "push"}, "env": {}})";
  EXPECT_TRUE(Condition("github.event_name == 'push' && startsWith(github.ref, 'refs/tags/')",
                        S::kSuccess, ctx));
  EXPECT_FALSE(Condition("${{ env.MISSING }}", S::kSuccess, ctx));
  EXPECT_TRUE(Condition("'false'"));
}

TEST(ConditionTest, TextAroundExpressionsMakesAStringThatIsTruthy) {
  // GitHub's classic pitfall: this is the string "false && true", not false.
  EXPECT_TRUE(Condition("${{ false }} && ${{ true }}"));
}

TEST(ConditionTest, ParseErrorsAreReported) {
  EvalContext ctx;
  auto r = EvaluateCondition("github.ref ==", ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gantry::expr

namespace gantry::expr {
namespace {

TEST(ConditionTest, JobLevelStatusFunctionsTestNamedNeeds) {
  ParseOptions job_if;
  job_if.status_functions_take_job_ids = true;
  EvalContext ctx;
  ctx.contexts = *Value::ParseJson(
      R"({"needs": {"build": {"result": "success"}, "lint": {"result": "failure"}}})");
  EXPECT_EQ(*EvaluateCondition("success('build')", ctx, job_if), true);
  EXPECT_EQ(*EvaluateCondition("success('build', 'lint')", ctx, job_if), false);
  EXPECT_EQ(*EvaluateCondition("failure('build', 'lint')", ctx, job_if), true);
  EXPECT_EQ(*EvaluateCondition("failure('build')", ctx, job_if), false);
  EXPECT_FALSE(Expression::Parse("success('build')").ok());
}

}  // namespace
}  // namespace gantry::expr
