#include "workflow/fields.h"

#include <gtest/gtest.h>

namespace gantry::workflow {
namespace {

// Parses `yaml` and runs `check` with a Reader over the root node.
struct Fixture {
  Diagnostics diagnostics;
  Reader reader{"f.yml", diagnostics};
  YamlNodePtr root;
  explicit Fixture(std::string_view yaml) { root = ParseYaml(yaml, "f.yml", diagnostics); }
  std::string Render() const {
    std::string out;
    for (const auto& d : diagnostics) {
      out +=
          std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " + d.message + "\n";
    }
    return out;
  }
};

const std::vector<Shape> kTwoShapes = {{{"name", "run", "shell"}, {"run"}},
                                       {{"name", "uses", "with"}, {"uses"}}};

TEST(FieldsTest, CheckShapePicksTheShapeTheKeysSelect) {
  Fixture f("name: x\nuses: a/b@v1\n");
  EXPECT_EQ(CheckShape(f.reader, *f.root, kTwoShapes, "a step"), 1);
  EXPECT_EQ(f.Render(), "");
}

TEST(FieldsTest, CheckShapeReportsAKeyOfTheOtherShape) {
  Fixture f("run: x\nwith: {}\n");
  EXPECT_EQ(CheckShape(f.reader, *f.root, kTwoShapes, "a step"), 0);
  EXPECT_EQ(f.Render(),
            "2:1: Unexpected value 'with' (a step cannot have both 'run' and 'with')\n");
}

TEST(FieldsTest, CheckShapeReportsMissingRequiredKeys) {
  Fixture f("shell: bash\n");
  EXPECT_EQ(CheckShape(f.reader, *f.root, kTwoShapes, "a step"), 0);
  EXPECT_EQ(f.Render(), "1:1: Required property is missing: run\n");
}

TEST(FieldsTest, CheckShapeListsDecidingKeysWhenAmbiguous) {
  Fixture f("name: x\n");
  EXPECT_EQ(CheckShape(f.reader, *f.root, kTwoShapes, "a step"), -1);
  EXPECT_EQ(f.Render(),
            "1:1: There's not enough info to determine what you meant. Add one of these "
            "properties: run, shell, uses, with\n");
}

TEST(FieldsTest, CheckShapeRejectsExpressionKeys) {
  Fixture f("run: x\n${{ a }}: b\n");
  CheckShape(f.reader, *f.root, kTwoShapes, "a step");
  EXPECT_EQ(f.Render(), "2:1: A template expression is not allowed in this context\n");
}

TEST(FieldsTest, DuplicateKeysDifferingInCaseAreReported) {
  Fixture f("a: 1\nb: 2\nA: 3\n");
  EXPECT_EQ(CheckDuplicateKeys(f.reader, *f.root), (std::vector<bool>{false, false, true}));
  EXPECT_EQ(f.Render(), "3:1: 'A' is already defined\n");
}

TEST(FieldsTest, ReadStringTakesScalarsAsText) {
  Fixture f("a: 12\nb: true\nc:\nd: ''\n");
  EXPECT_EQ(ReadString(f.reader, f.root->Find("a"), Place::kJob)->value, "12");
  EXPECT_EQ(ReadString(f.reader, f.root->Find("b"), Place::kJob)->value, "true");
  EXPECT_EQ(ReadString(f.reader, f.root->Find("c"), Place::kJob)->value, "");
  EXPECT_FALSE(ReadString(f.reader, f.root->Find("d"), Place::kJob, /*non_empty=*/true));
  EXPECT_FALSE(ReadString(f.reader, f.root->Find("missing"), Place::kJob));
  EXPECT_EQ(f.Render(), "4:4: Unexpected value '' (expected a non-empty string)\n");
}

TEST(FieldsTest, ReadBoolAcceptsBooleansAndExpressions) {
  Fixture f("a: True\nb: ${{ matrix.x }}\nc: 'true'\n");
  EXPECT_EQ(ReadBool(f.reader, f.root->Find("a"), Place::kJob)->value, "true");
  EXPECT_EQ(ReadBool(f.reader, f.root->Find("b"), Place::kJob)->value, "${{ matrix.x }}");
  EXPECT_FALSE(ReadBool(f.reader, f.root->Find("c"), Place::kJob));
  EXPECT_EQ(f.Render(), "3:4: Unexpected value 'true' (expected a boolean or an expression)\n");
}

TEST(FieldsTest, CheckExpressionsTellsSingleFromMixedTemplates) {
  Fixture f("a: ${{ github.ref }}\nb: x-${{ github.ref }}\nc: plain\n");
  EXPECT_TRUE(CheckExpressions(f.reader, *f.root->Find("a"), Place::kJob).single);
  ExpressionCheck mixed = CheckExpressions(f.reader, *f.root->Find("b"), Place::kJob);
  EXPECT_TRUE(mixed.has_expression);
  EXPECT_FALSE(mixed.single);
  EXPECT_FALSE(CheckExpressions(f.reader, *f.root->Find("c"), Place::kJob).has_expression);
  EXPECT_EQ(f.Render(), "");
}

TEST(FieldsTest, QuotedLiteralIsAcceptedWhereExpressionsAreNot) {
  Fixture f("a: ${{ 'it''s' }}\nb: ${{ 'a' }}-x\n");
  EXPECT_TRUE(CheckExpressions(f.reader, *f.root->Find("a"), Place::kNoExpressions).ok);
  EXPECT_FALSE(CheckExpressions(f.reader, *f.root->Find("b"), Place::kNoExpressions).ok);
  EXPECT_EQ(f.Render(), "2:4: A template expression is not allowed in this context\n");
}

TEST(FieldsTest, InsertDirectiveIsOnlyAllowedAsAWholeValue) {
  Fixture f("a: ${{ insert }}\nb: x ${{ insert }}\n");
  EXPECT_TRUE(CheckExpressions(f.reader, *f.root->Find("a"), Place::kJobEnv).ok);
  EXPECT_FALSE(CheckExpressions(f.reader, *f.root->Find("b"), Place::kJobEnv).ok);
  EXPECT_EQ(f.Render(),
            "2:4: The directive 'insert' is not allowed in this context. Directives are not "
            "supported for expressions that are embedded within a string. Directives are only "
            "supported when the entire value is an expression.\n");
}

TEST(FieldsTest, ClosingBracesInsideStringLiteralsDoNotEndTheExpression) {
  Fixture f("a: ${{ format('}}{0}', github.ref) }}\n");
  EXPECT_TRUE(CheckExpressions(f.reader, *f.root->Find("a"), Place::kJob).ok) << f.Render();
}

TEST(FieldsTest, ReadTextMapKeepsOrderAndPositions) {
  Fixture f("m:\n  z: 1\n  a: ${{ vars.A }}\n");
  TextMap map = ReadTextMap(f.reader, f.root->Find("m"), Place::kJob);
  ASSERT_EQ(map.size(), 2u);
  EXPECT_EQ(map[0].first, "z");
  EXPECT_EQ(map[1].second.pos.line, 3);
  EXPECT_EQ(map[1].second.pos.column, 6);
  EXPECT_FALSE(IsWholeExpression(map));
}

TEST(FieldsTest, ReadStringListAcceptsOneStringOrASequence) {
  Fixture f("a: x\nb: [x, y]\nc: {x: 1}\n");
  EXPECT_EQ(ReadStringList(f.reader, f.root->Find("a"), Place::kJob, true).size(), 1u);
  EXPECT_EQ(ReadStringList(f.reader, f.root->Find("b"), Place::kJob, true).size(), 2u);
  EXPECT_TRUE(ReadStringList(f.reader, f.root->Find("c"), Place::kJob, true).empty());
  EXPECT_EQ(f.Render(),
            "3:4: A mapping was not expected (expected a string or a sequence of strings)\n");
}

}  // namespace
}  // namespace gantry::workflow
