#include "cli/expr_command.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace gantry::cli {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome Expr(const std::string& expression, const std::string& context_file = "") {
  std::ostringstream out, err;
  int code = RunExprCommand(expression, context_file, out, err);
  return {code, out.str(), err.str()};
}

class ExprCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gantry_expr_cmd_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name) << content;
    return (dir_ / name).string();
  }

  fs::path dir_;
};

TEST_F(ExprCommandTest, PrintsTheResultAsPrettyJson) {
  std::string ctx = Write("ctx.json", R"({"github": {"ref": "refs/heads/main", "n": [1, 2]}})");
  EXPECT_EQ(Expr("github.ref", ctx).out, "\"refs/heads/main\"\n");
  EXPECT_EQ(Expr("github.n", ctx).out, "[\n  1,\n  2\n]\n");
  Outcome r = Expr("${{ startsWith(github.ref, 'refs/heads/') }}", ctx);
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "true\n");
}

TEST_F(ExprCommandTest, TextAroundExpressionsIsATemplate) {
  std::string ctx = Write("ctx.json", R"({"matrix": {"os": "linux"}})");
  EXPECT_EQ(Expr("build-${{ matrix.os }}-${{ 2 }}", ctx).out, "\"build-linux-2\"\n");
}

TEST_F(ExprCommandTest, WorksWithoutContexts) {
  EXPECT_EQ(Expr("format('{0}!', 'hi')").out, "\"hi!\"\n");
}

TEST_F(ExprCommandTest, ExpressionErrorsPrintGitHubsMessageAndReturnOne) {
  Outcome r = Expr("1 @ 2");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "Unexpected symbol: '@'. Located at position 3 within expression: 1 @ 2\n");
  Outcome unknown = Expr("github.ref");
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("Unrecognized named-value: 'github'"), std::string::npos);
  EXPECT_EQ(Expr("fromJSON('{')").code, 1);
}

TEST_F(ExprCommandTest, UnreadableOrInvalidContextFilesReturnTwo) {
  Outcome missing = Expr("1", (dir_ / "nope.json").string());
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("nope.json"), std::string::npos);
  EXPECT_NE(missing.err.find("No such file"), std::string::npos);

  Outcome bad = Expr("1", Write("bad.json", "{oops"));
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("bad.json' is not valid JSON"), std::string::npos);

  Outcome array = Expr("1", Write("array.json", "[1]"));
  EXPECT_EQ(array.code, 2);
  EXPECT_NE(array.err.find("must hold a JSON object"), std::string::npos);
}

TEST(ExprBatchCommandTest, AnswersOneJsonLinePerRequest) {
  std::istringstream in(R"({"expr": "github.a == 1", "contexts": {"github": {"a": 1}}})"
                        "\n\n"
                        R"({"expr": "NaN"})"
                        "\n"
                        R"j({"expr": "fromJSON('[1, \"x\"]')"})j"
                        "\n"
                        R"({"expr": "1 <"})"
                        "\n");
  std::ostringstream out;
  EXPECT_EQ(RunExprBatchCommand(in, out), 0);
  EXPECT_EQ(out.str(),
            "{\"ok\":true,\"kind\":\"Boolean\",\"value\":true}\n"
            "{\"ok\":true,\"kind\":\"Number\",\"value\":\"NaN\"}\n"
            "{\"ok\":true,\"kind\":\"Array\",\"value\":[1,\"x\"]}\n"
            "{\"ok\":false,\"error\":\"Unexpected end of expression: '<'. Located at position 3 "
            "within expression: 1 <\"}\n");
}

TEST(ExprBatchCommandTest, RejectsLinesThatAreNotJson) {
  std::istringstream in("not json\n");
  std::ostringstream out;
  EXPECT_EQ(RunExprBatchCommand(in, out), 2);
  EXPECT_NE(out.str().find("bad request"), std::string::npos);
}

}  // namespace
}  // namespace gantry::cli
