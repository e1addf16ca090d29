#include "expr/functions.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/sha256.h"
#include "expr/hash_files.h"
#include "expr/test_util.h"

namespace gantry::expr {
namespace {

namespace fs = std::filesystem;
using testing::ErrorOf;
using testing::Eval;
using testing::Json;

TEST(FunctionsTest, ContainsSearchesStringsIgnoringCaseAfterCoercion) {
  EXPECT_EQ(*Eval("contains('Hello World', 'WORLD')"), Value(true));
  EXPECT_EQ(*Eval("contains(12345, 234)"), Value(true));
  EXPECT_EQ(*Eval("contains('true', true)"), Value(true));
  EXPECT_EQ(*Eval("contains('abc', fromJSON('[]'))"), Value(false));
}

TEST(FunctionsTest, ContainsSearchesArraysWithLooseEquality) {
  const char* ctx = R"({"labels": ["Bug", "docs"], "nums": [0, 2]})";
  EXPECT_EQ(*Eval("contains(labels, 'bug')", ctx), Value(true));
  EXPECT_EQ(*Eval("contains(nums, false)", ctx), Value(true));
  EXPECT_EQ(*Eval("contains(nums, '2')", ctx), Value(true));
  EXPECT_EQ(*Eval("contains(labels, 'bu')", ctx), Value(false));
}

TEST(FunctionsTest, StartsWithAndEndsWithCoercePrimitivesOnly) {
  EXPECT_EQ(*Eval("startsWith('refs/Tags/v1', 'refs/tags/')"), Value(true));
  EXPECT_EQ(*Eval("endsWith('file.TXT', '.txt')"), Value(true));
  EXPECT_EQ(*Eval("startsWith(1234, 12)"), Value(true));
  EXPECT_EQ(*Eval("startsWith('asdf', null)"), Value(true));
  EXPECT_EQ(*Eval("startsWith(fromJSON('[1]'), '')"), Value(false));
}

TEST(FunctionsTest, FormatReplacesPlaceholdersAndUnescapesBraces) {
  EXPECT_EQ(*Eval("format('{0}-{1}-{0}', 'a', 2.5)"), Value("a-2.5-a"));
  EXPECT_EQ(*Eval("format('{{0}} }}{{', 'x')"), Value("{0} }{"));
  EXPECT_EQ(*Eval("format('{0}{1}', null, fromJSON('{}'))"), Value("Object"));
  EXPECT_EQ(*Eval("format('{000}', 'leading zeros')"), Value("leading zeros"));
}

TEST(FunctionsTest, FormatErrorsAreWordedAsGitHub) {
  EXPECT_EQ(ErrorOf("format('{0')"), "The following format string is invalid: {0");
  EXPECT_EQ(ErrorOf("format('}', 1)"), "The following format string is invalid: }");
  EXPECT_EQ(ErrorOf("format('{1}', 'a')"),
            "The following format string references more arguments than were supplied: {1}");
  EXPECT_EQ(ErrorOf("format('{0x}', 'a')"), "The following format string is invalid: {0x}");
  EXPECT_EQ(ErrorOf("format('{0:D2}', 1)"),
            "The format specifiers 'D2' are not valid for objects of type 'Number'");
}

TEST(FunctionsTest, JoinUsesACommaByDefaultAndCoercesItems) {
  const char* ctx = R"({"a": ["x", 1, null, true, []]})";
  EXPECT_EQ(*Eval("join(a)", ctx), Value("x,1,,true,Array"));
  EXPECT_EQ(*Eval("join(a, ' | ')", ctx), Value("x | 1 |  | true | Array"));
  EXPECT_EQ(*Eval("join('single')"), Value("single"));
  EXPECT_EQ(*Eval("join(fromJSON('{}'))"), Value(""));
}

TEST(FunctionsTest, ToJsonAndFromJsonRoundTrip) {
  EXPECT_EQ(*Eval("toJSON(fromJSON('{\"b\":[1,2.5],\"a\":null}'))"),
            Value("{\n  \"b\": [\n    1,\n    2.5\n  ],\n  \"a\": null\n}"));
  EXPECT_EQ(*Eval("fromJSON(' 42 ')"), Value(42));
  EXPECT_EQ(ErrorOf("fromJSON('  ')"), "empty input");
  EXPECT_EQ(ErrorOf("fromJSON('{')"), "Error parsing JSON when evaluating fromJson");
}

TEST(FunctionsTest, CaseReturnsTheValueOfTheFirstTruePredicate) {
  EXPECT_EQ(*Eval("case(false, 'a', 1 == 1, 'b', 'default')"), Value("b"));
  EXPECT_EQ(*Eval("case(false, 'a', 'default')"), Value("default"));
  EXPECT_EQ(ErrorOf("case('yes', 'a', 'b')"), "case predicate must evaluate to a boolean value");
}

TEST(FunctionsTest, StatusFunctionsReadTheJobStatus) {
  using S = EvalContext::JobStatus;
  EXPECT_EQ(*Eval("success()", "{}", S::kSuccess), Value(true));
  EXPECT_EQ(*Eval("success()", "{}", S::kFailure), Value(false));
  EXPECT_EQ(*Eval("failure()", "{}", S::kFailure), Value(true));
  EXPECT_EQ(*Eval("cancelled()", "{}", S::kCancelled), Value(true));
  EXPECT_EQ(*Eval("failure()", "{}", S::kCancelled), Value(false));
  EXPECT_EQ(*Eval("always()", "{}", S::kCancelled), Value(true));
}

class HashFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ =
        fs::temp_directory_path() /
        ("gantry_hashfiles_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    Write("a.txt", "alpha");
    Write("b.lock", "bravo");
    Write("src/c.txt", "charlie");
    Write("src/deep/d.txt", "delta");
    Write("src-x/e.txt", "echo");
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& rel, const std::string& content) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << content;
  }

  // GitHub's hash: SHA-256 over the concatenated SHA-256 digests of the files, in order.
  static std::string Expected(const std::vector<std::string>& contents) {
    core::Sha256 total;
    for (const auto& c : contents) {
      core::Sha256 file;
      file.Update(c);
      auto d = file.Finish();
      total.Update(d.data(), d.size());
    }
    return core::Sha256::Hex(total.Finish());
  }

  std::string Hash(std::vector<std::string> patterns) {
    auto r = HashFiles(root_.string(), patterns);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : "";
  }

  fs::path root_;
};

TEST_F(HashFilesTest, HashesTheDigestsOfMatchingFiles) {
  EXPECT_EQ(Hash({"a.txt"}), Expected({"alpha"}));
  EXPECT_EQ(Hash({"./a.txt"}), Expected({"alpha"}));
  EXPECT_EQ(Hash({"**/*.txt"}), Expected({"alpha", "charlie", "delta", "echo"}));
}

TEST_F(HashFilesTest, VisitsDirectoriesDepthFirstWithEntriesInByteOrder) {
  // "src" is visited (with everything below it) before "src-x".
  EXPECT_EQ(Hash({"src*/**"}), Expected({"charlie", "delta", "echo"}));
}

TEST_F(HashFilesTest, NamingADirectoryMatchesEverythingBelowIt) {
  EXPECT_EQ(Hash({"src"}), Expected({"charlie", "delta"}));
}

TEST_F(HashFilesTest, NegatedPatternsExcludeLaterMatches) {
  EXPECT_EQ(Hash({"**/*.txt", "!src/**"}), Expected({"alpha", "echo"}));
  EXPECT_EQ(Hash({"**/*.txt\n!src/deep\n# comment"}), Expected({"alpha", "charlie", "echo"}));
}

TEST_F(HashFilesTest, ReturnsEmptyWhenNothingMatches) {
  EXPECT_EQ(Hash({"**/*.none"}), "");
  EXPECT_EQ(Hash({"missing-dir/**"}), "");
}

TEST_F(HashFilesTest, RejectsParentDirectorySegments) {
  EXPECT_FALSE(HashFiles(root_.string(), {"../x"}).ok());
}

TEST_F(HashFilesTest, IsAvailableAsAnExpressionFunction) {
  auto e = Expression::Parse("hashFiles('**/*.lock')");
  ASSERT_TRUE(e.ok());
  EvalContext ctx;
  ctx.workspace = root_.string();
  EXPECT_EQ(*e->Evaluate(ctx), Value(Expected({"bravo"})));
}

}  // namespace
}  // namespace gantry::expr
