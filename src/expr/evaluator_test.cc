#include "expr/evaluator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "expr/test_util.h"

namespace gantry::expr {
namespace {

using testing::ErrorOf;
using testing::Eval;
using testing::Json;

bool True(std::string_view text, std::string_view contexts = "{}") {
  auto r = Eval(text, contexts);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r.ok() && r->is_bool()) << text;
  return r.ok() && r->is_bool() && r->bool_value();
}

TEST(EvaluatorTest, LooseEqualityCoercesBooleanToNumber) {
  EXPECT_TRUE(True("true == 1"));
  EXPECT_TRUE(True("false == '0'"));
  EXPECT_TRUE(True("null == 0"));
  EXPECT_TRUE(True("'' == 0"));
  EXPECT_TRUE(True("' 0x10 ' == 16"));
  EXPECT_FALSE(True("'true' == true"));  // 'true' is NaN as a number
}

TEST(EvaluatorTest, StringComparisonIgnoresCase) {
  EXPECT_TRUE(True("'Push' == 'PUSH'"));
  EXPECT_TRUE(True("'a' < 'B'"));
  EXPECT_TRUE(True("'Ünï' == 'üNÏ'"));
  EXPECT_FALSE(True("'abc' != 'ABC'"));
}

TEST(EvaluatorTest, NaNEqualsNothingAndDoesNotOrder) {
  EXPECT_FALSE(True("NaN == NaN"));
  EXPECT_TRUE(True("NaN != NaN"));
  EXPECT_FALSE(True("NaN < 1"));
  EXPECT_FALSE(True("NaN >= 1"));
  EXPECT_TRUE(True("Infinity > 1e308"));
}

TEST(EvaluatorTest, AndOrReturnTheDecidingOperand) {
  EXPECT_EQ(*Eval("'' || 'fallback'"), Value("fallback"));
  EXPECT_EQ(*Eval("1 && 'last'"), Value("last"));
  EXPECT_EQ(*Eval("0 && 'never'"), Value(0));
  EXPECT_TRUE(Eval("null || null")->is_null());
}

TEST(EvaluatorTest, ShortCircuitSkipsTheRestIncludingErrors) {
  EXPECT_EQ(*Eval("false && fromJSON('not json')"), Value(false));
  EXPECT_EQ(*Eval("true || format('{0}')"), Value(true));
  EXPECT_NE(ErrorOf("true && fromJSON('not json')"), "<ok>");
}

TEST(EvaluatorTest, ArraysAndObjectsCompareByReference) {
  const char* ctx = R"({"a": {"x": 1}, "b": {"x": 1}})";
  EXPECT_TRUE(True("a == a", ctx));
  EXPECT_FALSE(True("a == b", ctx));
  EXPECT_FALSE(True("fromJSON('[]') == fromJSON('[]')"));
  EXPECT_FALSE(True("a == 'Object'", ctx));
}

TEST(EvaluatorTest, PropertyAccessIgnoresCaseAndMissingIsNull) {
  const char* ctx = R"({"github": {"Event": {"Ref": "refs/heads/main"}}})";
  EXPECT_EQ(*Eval("GITHUB.event.ref", ctx), Value("refs/heads/main"));
  EXPECT_EQ(*Eval("github['EVENT']['ref']", ctx), Value("refs/heads/main"));
  EXPECT_TRUE(Eval("github.nope.deeper", ctx)->is_null());
  EXPECT_TRUE(Eval("github.event.ref.length", ctx)->is_null());
}

TEST(EvaluatorTest, ArrayIndexIsCoercedAndFloored) {
  const char* ctx = R"({"a": ["zero", "one", "two"]})";
  EXPECT_EQ(*Eval("a[1.9]", ctx), Value("one"));
  EXPECT_EQ(*Eval("a['2']", ctx), Value("two"));
  EXPECT_EQ(*Eval("a[true]", ctx), Value("one"));
  EXPECT_TRUE(Eval("a[-1]", ctx)->is_null());
  EXPECT_TRUE(Eval("a[3]", ctx)->is_null());
  EXPECT_TRUE(Eval("a['x']", ctx)->is_null());
}

TEST(EvaluatorTest, StarFiltersFlattenFurtherAccess) {
  const char* ctx =
      R"({"needs": {"a": {"result": "success"}, "b": {"result": "failure"}, "c": {}},
          "labels": [{"name": "bug"}, {"name": "docs"}], "nothing": null})";
  EXPECT_EQ(*Eval("needs.*.result", ctx), Json(R"(["success", "failure"])"));
  EXPECT_EQ(*Eval("labels.*.name", ctx), Json(R"(["bug", "docs"])"));
  EXPECT_EQ(*Eval("labels[*]['name']", ctx), Json(R"(["bug", "docs"])"));
  EXPECT_EQ(*Eval("nothing.*.name", ctx), Json("[]"));
  // Parentheses do not end a filter: [0] applies to each element.
  EXPECT_EQ(*Eval("(labels.*.name)[0]", ctx), Json("[]"));
  // An array that did not come from a filter has no properties.
  EXPECT_TRUE(Eval("fromJSON('[{\"a\":1}]').a")->is_null());
}

TEST(EvaluatorTest, ResultsTakenFromTemporaryValuesStayValid) {
  EXPECT_EQ(*Eval("fromJSON('[1, \"x\"]')[1]"), Value("x"));
  EXPECT_EQ(*Eval("fromJSON('{\"a\": {\"b\": [true]}}').a.b[0]"), Value(true));
  EXPECT_EQ(*Eval("case(true, fromJSON('[{\"k\":\"v\"}]'), 0)[0].k"), Value("v"));
}

TEST(EvaluatorTest, NotUsesTruthiness) {
  EXPECT_TRUE(True("!''"));
  EXPECT_TRUE(True("!NaN"));
  EXPECT_FALSE(True("!'false'"));
  EXPECT_FALSE(True("!fromJSON('[]')"));
}

TEST(EvaluatorTest, MemoryLimitStopsHugeIntermediateResults) {
  std::string format = "format('" + std::string(40, 'x') + "{0}{0}{0}{0}{0}{0}{0}{0}', ";
  std::string big = "'" + std::string(2000, 'y') + "'";
  // Each level multiplies the string by 8: 2,000 → 16,000 → 128,000 → 1,024,000 characters.
  std::string text = format + format + format + big + "))), 'end'";
  std::string error = ErrorOf("startsWith(" + text + ")");
  EXPECT_EQ(error.substr(0, 44), "The maximum allowed memory size was exceeded");
  EXPECT_EQ(ErrorOf("format('{0}{0}', " + big + ")"), "<ok>");
}

}  // namespace
}  // namespace gantry::expr
