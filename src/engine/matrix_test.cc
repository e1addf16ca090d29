// Matrix expansion against GitHub's documented examples ("Using a matrix for your jobs") and
// the behaviour of its MatrixBuilder: order, exclude, include, expressions, errors, limits.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/plan.h"
#include "workflow/loader.h"

namespace gantry::engine {
namespace {

using expr::EvalContext;
using expr::Value;

// A workflow whose job `test` has the given `strategy:` block (indented by 4).
std::shared_ptr<const workflow::Workflow> LoadJob(std::string_view strategy_yaml) {
  std::string text =
      "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n" +
      std::string(strategy_yaml);
  auto r = workflow::LoadWorkflow(text, "ci.yml");
  std::string diagnostics;
  for (const auto& d : r.diagnostics) diagnostics += d.ToString() + "\n";
  EXPECT_TRUE(r.ok()) << diagnostics;
  return r.workflow;
}

// The instances as compact JSON, one per line.
std::string Render(const std::vector<MatrixInstance>& instances) {
  std::string out;
  for (const auto& i : instances) out += i.values.ToJson().dump() + "\n";
  return out;
}

std::string Expand(std::string_view strategy_yaml, const EvalContext& ctx = {}) {
  auto wf = LoadJob(strategy_yaml);
  if (!wf || !wf->jobs[0].strategy) return "<no strategy>";
  auto r = ExpandMatrix(*wf->jobs[0].strategy, ctx);
  return r.ok() ? Render(*r) : "error: " + r.status().message();
}

EvalContext WithInput(const std::string& name, const std::string& value) {
  expr::Object inputs;
  inputs.Set(name, Value(value));
  expr::Object contexts;
  contexts.Set("inputs", Value(std::move(inputs)));
  EvalContext ctx;
  ctx.contexts = Value(std::move(contexts));
  return ctx;
}

TEST(MatrixTest, CrossProductVariesTheFirstVectorSlowest) {
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        version: [10, 12]\n"
                   "        os: [ubuntu-latest, windows-latest]\n"),
            "{\"version\":10,\"os\":\"ubuntu-latest\"}\n"
            "{\"version\":10,\"os\":\"windows-latest\"}\n"
            "{\"version\":12,\"os\":\"ubuntu-latest\"}\n"
            "{\"version\":12,\"os\":\"windows-latest\"}\n");
}

TEST(MatrixTest, ExcludeRemovesCombinationOnPartialMatch) {
  // GitHub's "Excluding matrix configurations" example: 12 combinations, 3 excluded.
  std::string out = Expand(
      "    strategy:\n      matrix:\n        os: [macos-latest, windows-latest]\n"
      "        version: [12, 14, 16]\n        environment: [staging, production]\n"
      "        exclude:\n          - os: macos-latest\n            version: 12\n"
      "            environment: production\n          - os: windows-latest\n"
      "            version: 16\n");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 9) << out;
  EXPECT_EQ(out.find("{\"os\":\"macos-latest\",\"version\":12,\"environment\":\"production\"}"),
            std::string::npos);
  EXPECT_EQ(out.find("\"os\":\"windows-latest\",\"version\":16"), std::string::npos);
}

TEST(MatrixTest, IncludeExtendsMatchingCombinationsAndAddsTheRest) {
  // GitHub's "Expanding or adding matrix configurations" example, with its documented result.
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        fruit: [apple, pear]\n"
                   "        animal: [cat, dog]\n        include:\n          - color: green\n"
                   "          - color: pink\n            animal: cat\n"
                   "          - fruit: apple\n            shape: circle\n"
                   "          - fruit: banana\n          - fruit: banana\n"
                   "            animal: cat\n"),
            "{\"fruit\":\"apple\",\"animal\":\"cat\",\"color\":\"pink\",\"shape\":\"circle\"}\n"
            "{\"fruit\":\"apple\",\"animal\":\"dog\",\"color\":\"green\",\"shape\":\"circle\"}\n"
            "{\"fruit\":\"pear\",\"animal\":\"cat\",\"color\":\"pink\"}\n"
            "{\"fruit\":\"pear\",\"animal\":\"dog\",\"color\":\"green\"}\n"
            "{\"fruit\":\"banana\"}\n"
            "{\"fruit\":\"banana\",\"animal\":\"cat\"}\n");
}

TEST(MatrixTest, IncludeAddsKeysToTheCombinationItMatches) {
  // GitHub's "Example: Expanding configurations": only windows/16 gets npm 6.
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        os: [windows-latest, ubuntu-latest]\n"
                   "        node: [14, 16]\n        include:\n          - os: windows-latest\n"
                   "            node: 16\n            npm: 6\n"),
            "{\"os\":\"windows-latest\",\"node\":14}\n"
            "{\"os\":\"windows-latest\",\"node\":16,\"npm\":6}\n"
            "{\"os\":\"ubuntu-latest\",\"node\":14}\n"
            "{\"os\":\"ubuntu-latest\",\"node\":16}\n");
}

TEST(MatrixTest, IncludeThatWouldOverwriteAnOriginalValueBecomesANewCombination) {
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        arch: [x64, x86]\n"
                   "        os: [linux, windows]\n        include:\n          - arch: x64\n"
                   "          - os: macos\n"),
            "{\"arch\":\"x64\",\"os\":\"linux\"}\n{\"arch\":\"x64\",\"os\":\"windows\"}\n"
            "{\"arch\":\"x86\",\"os\":\"linux\"}\n{\"arch\":\"x86\",\"os\":\"windows\"}\n"
            "{\"os\":\"macos\"}\n");
}

TEST(MatrixTest, MatrixWithOnlyIncludeExpandsToItsEntriesInOrder) {
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        include:\n          - a: 1\n"
                   "            b: 2\n          - a: 3\n            b: 4\n"),
            "{\"a\":1,\"b\":2}\n{\"a\":3,\"b\":4}\n");
}

TEST(MatrixTest, IncludeIsAppliedAfterExcludeSoItCanAddBackACombination) {
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        os: [a, b]\n        exclude:\n"
                   "          - os: b\n        include:\n          - os: b\n            x: 1\n"),
            "{\"os\":\"a\"}\n{\"os\":\"b\",\"x\":1}\n");
}

TEST(MatrixTest, FilterValuesCompareWithGitHubsLooseEquality) {
  // Strings ignore case; a number matches the same number written as a string.
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        os: [Linux, mac]\n"
                   "        node: [14, 16]\n        exclude:\n          - os: linux\n"
                   "            node: '14'\n"),
            "{\"os\":\"Linux\",\"node\":16}\n{\"os\":\"mac\",\"node\":14}\n"
            "{\"os\":\"mac\",\"node\":16}\n");
}

TEST(MatrixTest, ExcludeMatchesObjectValuesDeeplyAndPartially) {
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        cfg:\n          - {os: linux, cc: gcc}\n"
                   "          - {os: linux, cc: clang}\n        exclude:\n"
                   "          - cfg: {cc: clang}\n"),
            "{\"cfg\":{\"os\":\"linux\",\"cc\":\"gcc\"}}\n");
}

TEST(MatrixTest, IncludeMatchesObjectValuesDeeply) {
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        cfg:\n          - {os: linux}\n"
                   "          - {os: mac}\n        include:\n          - cfg: {os: mac}\n"
                   "            slow: true\n"),
            "{\"cfg\":{\"os\":\"linux\"}}\n{\"cfg\":{\"os\":\"mac\"},\"slow\":true}\n");
}

TEST(MatrixTest, AllCombinationsExcludedLeaveOneEmptyInstance) {
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        os: [a]\n        exclude:\n"
                   "          - os: a\n"),
            "{}\n");
}

TEST(MatrixTest, StrategyWithoutMatrixHasOneEmptyInstance) {
  EXPECT_EQ(Expand("    strategy:\n      fail-fast: false\n"), "{}\n");
}

TEST(MatrixTest, WholeMatrixExpressionIsEvaluated) {
  EvalContext ctx = WithInput("m", R"({"os": ["a", "b"], "include": [{"os": "a", "x": 1}]})");
  EXPECT_EQ(Expand("    strategy:\n      matrix: ${{ fromJSON(inputs.m) }}\n", ctx),
            "{\"os\":\"a\",\"x\":1}\n{\"os\":\"b\"}\n");
}

TEST(MatrixTest, VectorExpressionKeepsTheTypeOfItsValue) {
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        node: ${{ fromJSON('[18, 20]') }}\n"
                   "        os: [linux, 'v${{ 1 }}']\n"),
            "{\"node\":18,\"os\":\"linux\"}\n{\"node\":18,\"os\":\"v1\"}\n"
            "{\"node\":20,\"os\":\"linux\"}\n{\"node\":20,\"os\":\"v1\"}\n");
}

TEST(MatrixTest, InsertDirectiveMergesAWrittenOrEvaluatedMappingIntoMatrixValues) {
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        a:\n          - env:\n"
                   "              key1: val1\n              ${{insert}}:\n"
                   "                key2: ${{ 'val' }}2\n"
                   "              ${{ insert }}: ${{ fromJSON('{\"key3\":\"val3\"}') }}\n"),
            "{\"a\":{\"env\":{\"key1\":\"val1\",\"key2\":\"val2\",\"key3\":\"val3\"}}}\n");
}

TEST(MatrixTest, InsertDirectiveWorksInIncludeEntries) {
  EvalContext ctx = WithInput("extra", R"({"x": 1})");
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        os: [a]\n        include:\n"
                   "          - os: a\n            ${{ insert }}: ${{ fromJSON(inputs.extra) }}\n",
                   ctx),
            "{\"os\":\"a\",\"x\":1}\n");
}

TEST(MatrixTest, InsertedKeyThatIsAlreadyDefinedIsAnError) {
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        os: [a]\n"
                   "        ${{ insert }}: ${{ fromJSON('{\"OS\":[\"b\"]}') }}\n"),
            "error: 'OS' is already defined");
}

TEST(MatrixTest, InsertOfANonMappingIsAnError) {
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        os: [a]\n"
                   "        ${{ insert }}: ${{ fromJSON('[1]') }}\n"),
            "error: Unexpected type 'SequenceToken' encountered while reading 'matrix insert'. "
            "The type 'MappingToken' was expected.");
}

TEST(MatrixTest, SequenceItemExpressionYieldingAnArrayIsSplicedIntoTheVector) {
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        a:\n          - 1\n"
                   "          - ${{ fromJSON('[2, [3, 4]]') }}\n          - 5\n"),
            "{\"a\":1}\n{\"a\":2}\n{\"a\":[3,4]}\n{\"a\":5}\n");
}

TEST(MatrixTest, EmptyArrayFromASequenceItemAddsNothing) {
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        a:\n          - 1\n"
                   "          - ${{ fromJSON('[]') }}\n"),
            "{\"a\":1}\n");
}

TEST(MatrixTest, WholeStrategyExpressionYieldsMatrixAndSettings) {
  auto wf = LoadJob(
      "    strategy: ${{ fromJSON('{\"matrix\":{\"a\":[1,2]},\"fail-fast\":false,"
      "\"max-parallel\":3}') }}\n");
  ASSERT_TRUE(wf && wf->jobs[0].strategy);
  auto instances = ExpandMatrix(*wf->jobs[0].strategy, {});
  ASSERT_TRUE(instances.ok()) << instances.status().message();
  EXPECT_EQ(Render(*instances), "{\"a\":1}\n{\"a\":2}\n");
  auto settings = EvaluateStrategySettings(*wf->jobs[0].strategy, {});
  ASSERT_TRUE(settings.ok()) << settings.status().message();
  EXPECT_FALSE(settings->fail_fast);
  EXPECT_EQ(settings->max_parallel, 3);
}

TEST(MatrixTest, EmptyVectorFromExpressionIsAnErrorInGitHubsWords) {
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        os: ${{ fromJSON('[]') }}\n"),
            "error: Matrix vector 'os' does not contain any values");
}

TEST(MatrixTest, ExcludeKeyOutsideTheMatrixIsAnError) {
  EvalContext ctx = WithInput("m", R"({"os": ["a"], "exclude": [{"arch": "x"}]})");
  EXPECT_EQ(Expand("    strategy:\n      matrix: ${{ fromJSON(inputs.m) }}\n", ctx),
            "error: Matrix exclude key 'arch' does not match any key within the matrix");
}

TEST(MatrixTest, MatrixWithoutVectorOrIncludeIsAnError) {
  EvalContext ctx = WithInput("m", R"({"include": []})");
  EXPECT_EQ(Expand("    strategy:\n      matrix: ${{ fromJSON(inputs.m) }}\n", ctx),
            "error: Matrix must define at least one vector");
}

TEST(MatrixTest, WrongShapesAreReportedWithGitHubsTokenNames) {
  EXPECT_EQ(Expand("    strategy:\n      matrix: ${{ inputs.m }}\n", WithInput("m", "x")),
            "error: Unexpected type 'StringToken' encountered while reading 'matrix'. The type "
            "'MappingToken' was expected.");
  EXPECT_EQ(Expand("    strategy:\n      matrix: ${{ fromJSON(inputs.m) }}\n",
                   WithInput("m", R"({"os": "linux"})")),
            "error: Unexpected type 'StringToken' encountered while reading 'matrix vector "
            "value'. The type 'SequenceToken' was expected.");
  EXPECT_EQ(Expand("    strategy:\n      matrix: ${{ fromJSON(inputs.m) }}\n",
                   WithInput("m", R"({"os": ["a"], "include": [{}]})")),
            "error: Matrix include mapping does not contain any values");
}

TEST(MatrixTest, AtMost256CombinationsAreAllowed) {
  std::string sixteen = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]";
  std::string ok = Expand("    strategy:\n      matrix:\n        a: " + sixteen +
                          "\n        b: " + sixteen + "\n");
  EXPECT_EQ(std::count(ok.begin(), ok.end(), '\n'), 256);
  EXPECT_EQ(Expand("    strategy:\n      matrix:\n        a: " + sixteen +
                   "\n        b: " + sixteen + "\n        include:\n          - a: 99\n"),
            "error: Strategy expansion exceeded 256 results");
}

TEST(MatrixTest, SettingsDefaultToFailFastWithoutLimit) {
  auto wf = LoadJob("    strategy:\n      matrix:\n        a: [1]\n");
  auto settings = EvaluateStrategySettings(*wf->jobs[0].strategy, {});
  ASSERT_TRUE(settings.ok());
  EXPECT_TRUE(settings->fail_fast);
  EXPECT_EQ(settings->max_parallel, 0);
}

TEST(MatrixTest, SettingsAreReadFromLiteralsAndExpressions) {
  auto wf = LoadJob("    strategy:\n      fail-fast: ${{ inputs.ff }}\n      max-parallel: 2\n");
  auto settings = EvaluateStrategySettings(*wf->jobs[0].strategy, WithInput("ff", "false"));
  ASSERT_TRUE(settings.ok()) << settings.status().message();
  EXPECT_FALSE(settings->fail_fast);
  EXPECT_EQ(settings->max_parallel, 2);
  auto bad = EvaluateStrategySettings(*wf->jobs[0].strategy, WithInput("ff", "maybe"));
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace gantry::engine
