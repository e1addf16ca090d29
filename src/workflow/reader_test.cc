#include "workflow/reader.h"

#include <gtest/gtest.h>

namespace gantry::workflow {
namespace {

TEST(ReaderTest, UnknownKeySuggestsClosestAllowedKey) {
  Diagnostics d;
  auto root = ParseYaml("runs-on: x\nstesp: []\n", "w.yml", d);
  Reader r("w.yml", d);
  r.CheckKeys(*root, {"runs-on", "steps", "needs"}, "job 'a'");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].ToString(),
            "w.yml:2:1: Unexpected value 'stesp' in job 'a' (did you mean 'steps'?)");
}

TEST(ReaderTest, NoSuggestionForDistantWords) {
  EXPECT_EQ(ClosestMatch("banana", {"steps", "needs"}), "");
  EXPECT_EQ(ClosestMatch("Needs", {"steps", "needs"}), "needs");
}

TEST(ReaderTest, StringOrListAcceptsBoth) {
  Diagnostics d;
  auto root = ParseYaml("a: x\nb: [x, y]\nc: {k: v}\n", "w.yml", d);
  Reader r("w.yml", d);
  EXPECT_EQ(r.StringOrList(root->Find("a"), "a")->size(), 1u);
  EXPECT_EQ(r.StringOrList(root->Find("b"), "b")->size(), 2u);
  EXPECT_FALSE(r.StringOrList(root->Find("c"), "c"));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].pos.line, 3);
}

TEST(ReaderTest, TypedScalarsReportWrongTypes) {
  Diagnostics d;
  auto root = ParseYaml("a: true\nb: 'true'\nc: 5\n", "w.yml", d);
  Reader r("w.yml", d);
  EXPECT_EQ(r.Bool(root->Find("a"), "a"), true);
  EXPECT_FALSE(r.Bool(root->Find("b"), "b"));
  EXPECT_EQ(r.Number(root->Find("c"), "c"), 5);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].message, "b must be a boolean, not a string");
}

}  // namespace
}  // namespace gantry::workflow
