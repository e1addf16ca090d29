#include "workflow/yaml.h"

#include <gtest/gtest.h>

namespace gantry::workflow {
namespace {

YamlNodePtr Parse(std::string_view text, Diagnostics& d) { return ParseYaml(text, "w.yml", d); }

TEST(YamlTest, KeepsPositionsOneBased) {
  Diagnostics d;
  auto root = Parse("name: ci\non:\n  push: {}\n", d);
  ASSERT_TRUE(root);
  EXPECT_TRUE(d.empty());
  ASSERT_EQ(root->entries.size(), 2u);
  EXPECT_EQ(root->entries[1].first->pos.line, 2);
  EXPECT_EQ(root->entries[1].first->pos.column, 1);
  auto push = root->Find("on")->Find("push");
  ASSERT_TRUE(push);
  EXPECT_EQ(push->pos.line, 3);
  EXPECT_EQ(push->pos.column, 9);
}

TEST(YamlTest, DistinguishesPlainFromQuotedScalars) {
  Diagnostics d;
  auto root = Parse("a: true\nb: 'true'\nc: 0x1F\nd: 1.5e3\ne: ~\nf: on\ng: |\n  x\n", d);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->Find("a")->Type(), YamlNode::ScalarType::kBool);
  EXPECT_EQ(root->Find("b")->Type(), YamlNode::ScalarType::kString);
  EXPECT_EQ(root->Find("c")->Type(), YamlNode::ScalarType::kInt);
  EXPECT_EQ(root->Find("c")->AsNumber(), 31);
  EXPECT_EQ(root->Find("d")->AsNumber(), 1500);
  EXPECT_TRUE(root->Find("e")->IsNull());
  EXPECT_EQ(root->Find("f")->Type(), YamlNode::ScalarType::kString);  // YAML 1.2: on is text
  EXPECT_EQ(root->Find("g")->Type(), YamlNode::ScalarType::kString);
}

TEST(YamlTest, TellsQuotedScalarsFromBlockScalars) {
  Diagnostics d;
  auto root = Parse("a: 'x'\nb: \"y\"\nc: |\n  z\nd: w\n", d);
  ASSERT_TRUE(root);
  EXPECT_TRUE(root->Find("a")->quoted);
  EXPECT_TRUE(root->Find("b")->quoted);
  EXPECT_FALSE(root->Find("c")->quoted);
  EXPECT_FALSE(root->Find("c")->plain);
  EXPECT_FALSE(root->Find("d")->quoted);
}

TEST(YamlTest, RejectsDuplicateKeysAtTheSecondKey) {
  Diagnostics d;
  auto root = Parse("jobs:\n  a: 1\n  a: 2\n", d);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].ToString(), "w.yml:3:3: 'a' is already defined");
  EXPECT_EQ(root->Find("jobs")->entries.size(), 1u);
}

TEST(YamlTest, RejectsMergeKeysButAllowsAliases) {
  Diagnostics d;
  auto root = Parse("x: &base {a: 1}\ny: *base\nz:\n  <<: *base\n", d);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].pos.line, 4);
  EXPECT_NE(d[0].message.find("Merge keys"), std::string::npos);
  EXPECT_EQ(root->Find("y")->Find("a")->scalar, "1");
}

TEST(YamlTest, RejectsRecursiveAliasesWithoutBuildingACycle) {
  Diagnostics d;
  auto root = Parse("include: &rec\n  - os: linux\n    nested: *rec\n", d);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].pos.line, 3);
  EXPECT_EQ(d[0].pos.column, 13);
  EXPECT_NE(d[0].message.find("Recursive alias"), std::string::npos);
  EXPECT_TRUE(root->Find("include")->items[0]->Find("nested")->IsNull());
}

TEST(YamlTest, ReportsSyntaxErrorsWithPosition) {
  Diagnostics d;
  auto root = Parse("a: [1, 2\nb: c\n", d);
  EXPECT_EQ(root, nullptr);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_GT(d[0].pos.line, 0);
}

TEST(YamlTest, EmptyValueIsPlacedAfterItsKey) {
  Diagnostics d;
  auto root = Parse("container:\n  image:\n  env: {}\n'q':\n", d);
  ASSERT_TRUE(root);
  auto image = root->Find("container")->Find("image");
  EXPECT_TRUE(image->IsNull());
  EXPECT_EQ(image->pos.line, 2);
  EXPECT_EQ(image->pos.column, 9);
  EXPECT_EQ(root->Find("q")->pos.line, 4);
  EXPECT_EQ(root->Find("q")->pos.column, 5);
}

TEST(YamlTest, EmptyDocumentHasNoRoot) {
  Diagnostics d;
  EXPECT_EQ(Parse("", d), nullptr);
  EXPECT_TRUE(d.empty());
}

}  // namespace
}  // namespace gantry::workflow
