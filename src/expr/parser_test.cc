#include "expr/parser.h"

#include <gtest/gtest.h>

#include <string>

#include "expr/expression.h"

namespace gantry::expr {
namespace {

std::string ParseError(std::string_view text, const ParseOptions& options = {}) {
  auto r = Expression::Parse(text, options);
  return r.ok() ? "<ok>" : r.status().message();
}

ParseOptions Contexts(std::vector<std::string> names) {
  ParseOptions o;
  o.named_values = std::move(names);
  return o;
}

TEST(ParserTest, NotBindsTighterThanComparisonWhichBindsTighterThanEquality) {
  auto r = ParseExpression("!a < b == c", {});
  ASSERT_TRUE(r.ok());
  const Node& eq = *r->root;
  ASSERT_EQ(eq.type, NodeType::kBinary);
  EXPECT_EQ(eq.op, BinaryOp::kEqual);
  const Node& lt = *eq.children[0];
  ASSERT_EQ(lt.type, NodeType::kBinary);
  EXPECT_EQ(lt.op, BinaryOp::kLess);
  EXPECT_EQ(lt.children[0]->type, NodeType::kNot);
}

TEST(ParserTest, AndBindsTighterThanOrAndChainsFlatten) {
  auto r = ParseExpression("a || b && c && d || e", {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->root->type, NodeType::kOr);
  ASSERT_EQ(r->root->children.size(), 3u);
  EXPECT_EQ(r->root->children[1]->type, NodeType::kAnd);
  EXPECT_EQ(r->root->children[1]->children.size(), 3u);
}

TEST(ParserTest, PropertyIndexAndStarBecomeIndexNodes) {
  auto r = ParseExpression("github.event['commits'][*].id", {});
  ASSERT_TRUE(r.ok());
  const Node* n = r->root.get();
  ASSERT_EQ(n->type, NodeType::kIndex);
  EXPECT_EQ(n->children[1]->literal.string_value(), "id");
  n = n->children[0].get();
  EXPECT_TRUE(n->star);
  EXPECT_EQ(n->children.size(), 1u);
}

TEST(ParserTest, EmptyExpressionHasNoTree) {
  auto r = ParseExpression("   ", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->root, nullptr);
}

TEST(ParserTest, UnknownNamedValueIsAParseError) {
  EXPECT_EQ(ParseError("github.ref == foo", Contexts({"github"})),
            "Unrecognized named-value: 'foo'. Located at position 15 within expression: "
            "github.ref == foo");
  EXPECT_EQ(ParseError("GITHUB.ref", Contexts({"github"})), "<ok>");
}

TEST(ParserTest, UnknownFunctionAndArgumentCountsAreParseErrors) {
  EXPECT_EQ(ParseError("nope()"),
            "Unrecognized function: 'nope'. Located at position 1 within expression: nope()");
  EXPECT_EQ(ParseError("startsWith('a')"),
            "Too few parameters supplied: 'startsWith'. Located at position 1 within "
            "expression: startsWith('a')");
  EXPECT_EQ(ParseError("join(1, 2, 3)").substr(0, 36), "Too many parameters supplied: 'join'");
  EXPECT_EQ(ParseError("case(true, 1, false, 2)").substr(0, 72),
            "Even number of parameters supplied, requires an odd number of parameters");
}

TEST(ParserTest, RunnerFunctionsNeedToBeAllowed) {
  ParseOptions only_builtins;
  only_builtins.extra_functions.emplace();
  EXPECT_EQ(ParseError("hashFiles('x')", only_builtins).substr(0, 34),
            "Unrecognized function: 'hashFiles'");
  ParseOptions with_status;
  with_status.extra_functions = std::vector<std::string>{"success", "always"};
  EXPECT_EQ(ParseError("always() || success()", with_status), "<ok>");
  EXPECT_NE(ParseError("failure()", with_status), "<ok>");
  EXPECT_EQ(ParseError("hashFiles('a', 'b')"), "<ok>");  // everything allowed by default
}

TEST(ParserTest, LexerErrorsNameTheSymbolAndItsPosition) {
  EXPECT_EQ(ParseError("1 @abc 2"),
            "Unexpected symbol: '@abc'. Located at position 3 within expression: 1 @abc 2");
  EXPECT_EQ(ParseError("'open"),
            "Unexpected symbol: ''open'. Located at position 1 within expression: 'open");
  EXPECT_EQ(ParseError("1 = 2").substr(0, 22), "Unexpected symbol: '='");
  EXPECT_EQ(ParseError("0xZZ").substr(0, 25), "Unexpected symbol: '0xZZ'");
}

TEST(ParserTest, PositionsCountUtf16CodeUnits) {
  EXPECT_EQ(ParseError("'😊' @"),
            "Unexpected symbol: '@'. Located at position 6 within expression: '😊' @");
}

TEST(ParserTest, UnexpectedEndNamesTheLastToken) {
  EXPECT_EQ(ParseError("1 <"),
            "Unexpected end of expression: '<'. Located at position 3 within expression: 1 <");
}

TEST(ParserTest, PostfixAccessOnlyFollowsNamedValuesCallsAndGroups) {
  EXPECT_EQ(ParseError("'abc'[0]").substr(0, 22), "Unexpected symbol: '['");
  EXPECT_EQ(ParseError("('abc')[0]"), "<ok>");
  EXPECT_EQ(ParseError("fromJSON('[1]')[0]"), "<ok>");
  EXPECT_EQ(ParseError("a.1").substr(0, 22), "Unexpected symbol: '1'");
}

TEST(ParserTest, DepthIsLimitedToFifty) {
  std::string ok(49, '!');
  std::string too_deep(50, '!');
  EXPECT_EQ(ParseError(ok + "true"), "<ok>");
  EXPECT_EQ(ParseError(too_deep + "true").substr(0, 32), "Exceeded max expression depth 50");
}

TEST(ParserTest, LengthIsLimited) {
  std::string long_text = "'" + std::string(21000, 'x') + "'";
  EXPECT_EQ(ParseError(long_text).substr(0, 37), "Exceeded max expression length 21000.");
}

TEST(ParserTest, ReportsContextsAndFunctionsInFirstUseOrder) {
  auto e = Expression::Parse("contains(GITHUB.ref, env.X) && github.a && Success() || format('')");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->referenced_contexts(), (std::vector<std::string>{"github", "env"}));
  EXPECT_EQ(e->called_functions(), (std::vector<std::string>{"contains", "success", "format"}));
  EXPECT_TRUE(e->HasStatusFunction());
  EXPECT_FALSE(Expression::Parse("github.ref")->HasStatusFunction());
}

}  // namespace
}  // namespace gantry::expr
