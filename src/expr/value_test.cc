#include "expr/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "expr/test_util.h"

namespace gantry::expr {
namespace {

using testing::Json;

TEST(ValueTest, ObjectLookupIgnoresCaseAndKeepsInsertionOrder) {
  Object o;
  o.Insert("Zeta", 1);
  o.Insert("alpha", 2);
  ASSERT_NE(o.Find("ZETA"), nullptr);
  EXPECT_EQ(o.Find("ALPHA")->number_value(), 2);
  EXPECT_EQ(o.Find("missing"), nullptr);
  EXPECT_EQ(o.entries()[0].first, "Zeta");
  EXPECT_EQ(o.entries()[1].first, "alpha");
}

TEST(ValueTest, ObjectInsertKeepsFirstOfKeysDifferingOnlyInCase) {
  Object o;
  EXPECT_TRUE(o.Insert("key", 1));
  EXPECT_FALSE(o.Insert("KEY", 2));
  EXPECT_EQ(o.size(), 1u);
  EXPECT_EQ(o.Find("Key")->number_value(), 1);
}

TEST(ValueTest, ObjectSetReplacesValueKeepingSpellingAndPosition) {
  Object o;
  o.Set("a", 1);
  o.Set("b", 2);
  o.Set("A", 3);
  EXPECT_EQ(o.entries()[0].first, "a");
  EXPECT_EQ(o.entries()[0].second.number_value(), 3);
}

TEST(ValueTest, LargeObjectFindsEveryKeyThroughItsIndex) {
  Object o;
  for (int i = 0; i < 200; ++i) o.Insert("key_" + std::to_string(i), i);
  for (int i = 0; i < 200; ++i) {
    const Value* v = o.Find("KEY_" + std::to_string(i));
    ASSERT_NE(v, nullptr) << i;
    EXPECT_EQ(v->number_value(), i);
  }
  EXPECT_EQ(o.Find("key_200"), nullptr);
  EXPECT_FALSE(o.Insert("Key_7", 0));
}

TEST(ValueTest, CopiesShareStorageAndCompareAsSameInstance) {
  Value a = Json(R"([1, 2])");
  Value b = a;
  EXPECT_TRUE(a.SameInstance(b));
  EXPECT_FALSE(a.SameInstance(Json(R"([1, 2])")));
  EXPECT_EQ(a, Json(R"([1, 2])"));
}

TEST(ValueTest, TruthinessFollowsGitHub) {
  EXPECT_FALSE(Value().IsTruthy());
  EXPECT_FALSE(Value(false).IsTruthy());
  EXPECT_FALSE(Value(0).IsTruthy());
  EXPECT_FALSE(Value(-0.0).IsTruthy());
  EXPECT_FALSE(Value(std::nan("")).IsTruthy());
  EXPECT_FALSE(Value("").IsTruthy());
  EXPECT_TRUE(Value("false").IsTruthy());
  EXPECT_TRUE(Value(Array()).IsTruthy());
  EXPECT_TRUE(Value(Object()).IsTruthy());
}

TEST(ValueTest, ToNumberCoercesLikeGitHub) {
  EXPECT_EQ(Value().ToNumber(), 0);
  EXPECT_EQ(Value(true).ToNumber(), 1);
  EXPECT_EQ(Value(" 0x1F ").ToNumber(), 31);
  EXPECT_EQ(Value("").ToNumber(), 0);
  EXPECT_EQ(Value("-1.5e2").ToNumber(), -150);
  EXPECT_TRUE(std::isnan(Value("abc").ToNumber()));
  EXPECT_TRUE(std::isnan(Value(Array()).ToNumber()));
}

TEST(ValueTest, ToStringCoercesLikeGitHub) {
  EXPECT_EQ(Value().ToString(), "");
  EXPECT_EQ(Value(true).ToString(), "true");
  EXPECT_EQ(Value(2.5).ToString(), "2.5");
  EXPECT_EQ(Value(Array()).ToString(), "Array");
  EXPECT_EQ(Value(Object()).ToString(), "Object");
}

TEST(ValueTest, FormatNumberUsesDotNetG15AsTheRunner) {
  EXPECT_EQ(FormatNumber(1), "1");
  EXPECT_EQ(FormatNumber(-0.0), "0");
  EXPECT_EQ(FormatNumber(123456.789), "123456.789");
  EXPECT_EQ(FormatNumber(0.84551240822557006), "0.84551240822557");
  EXPECT_EQ(FormatNumber(12345678901234567890.0), "1.23456789012346E+19");
  EXPECT_EQ(FormatNumber(1e15), "1E+15");
  EXPECT_EQ(FormatNumber(123456789012345), "123456789012345");
  EXPECT_EQ(FormatNumber(0.0001), "0.0001");
  EXPECT_EQ(FormatNumber(0.00001), "1E-05");
  EXPECT_EQ(FormatNumber(-2.5e-7), "-2.5E-07");
  EXPECT_EQ(FormatNumber(0.1 + 0.2), "0.3");
  EXPECT_EQ(FormatNumber(std::nan("")), "NaN");
  EXPECT_EQ(FormatNumber(-std::numeric_limits<double>::infinity()), "-Infinity");
}

TEST(ValueTest, FormatNumberShortestMatchesJavaScript) {
  EXPECT_EQ(FormatNumberShortest(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatNumberShortest(1e21), "1e+21");
  EXPECT_EQ(FormatNumberShortest(1e-7), "1e-7");
  EXPECT_EQ(FormatNumberShortest(123e-20), "1.23e-18");
  EXPECT_EQ(FormatNumberShortest(0.000001), "0.000001");
  EXPECT_EQ(FormatNumberShortest(-1234.5), "-1234.5");
}

TEST(ValueTest, ParseNumberAcceptsJavaScriptNumberSyntax) {
  EXPECT_EQ(ParseNumber("  42\n"), 42);
  EXPECT_EQ(ParseNumber(".5"), 0.5);
  EXPECT_EQ(ParseNumber("5."), 5);
  EXPECT_EQ(ParseNumber("+1E+1"), 10);
  EXPECT_EQ(ParseNumber("0o17"), 15);
  EXPECT_EQ(ParseNumber("0b101"), 5);
  EXPECT_EQ(ParseNumber("-Infinity"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(ParseNumber("1e400"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(ParseNumber("1e-400"), 0);
  EXPECT_TRUE(std::isnan(ParseNumber("-0x10")));
  EXPECT_TRUE(std::isnan(ParseNumber("1e")));
  EXPECT_TRUE(std::isnan(ParseNumber("infinity")));
  EXPECT_TRUE(std::isnan(ParseNumber(".")));
  EXPECT_TRUE(std::isnan(ParseNumber("1_000")));
}

TEST(ValueTest, ToJsonTextPrettyPrintsLikeGitHub) {
  Value v = Json(R"({"a": [1, "x", null, [], {}], "b": {"c": true}, "d": 1.5})");
  EXPECT_EQ(v.ToJsonText(),
            "{\n  \"a\": [\n    1,\n    \"x\",\n    null,\n    [],\n    {}\n  ],\n"
            "  \"b\": {\n    \"c\": true\n  },\n  \"d\": 1.5\n}");
  EXPECT_EQ(Value("q\"\\\n\x01").ToJsonText(), "\"q\\\"\\\\\\n\\u0001\"");
  EXPECT_EQ(Value(std::nan("")).ToJsonText(), "null");
  EXPECT_EQ(Value(-0.0).ToJsonText(), "0");
}

TEST(ValueTest, ParseJsonKeepsKeyOrderAndReportsErrors) {
  Value v = Json(R"({"z": 1, "a": 2, "1": 3})");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.object_value().entries()[0].first, "z");
  EXPECT_EQ(v.object_value().entries()[2].first, "1");
  auto bad = Value::ParseJson("{\"a\": ");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::StatusCode::kInvalidArgument);
}

TEST(ValueTest, ToJsonWritesWholeNumbersAsIntegers) {
  Value v = Json(R"({"n": 3, "f": 2.5, "s": "x"})");
  EXPECT_EQ(v.ToJson().dump(), R"({"n":3,"f":2.5,"s":"x"})");
}

}  // namespace
}  // namespace gantry::expr
