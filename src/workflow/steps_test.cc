#include "workflow/steps.h"

#include <gtest/gtest.h>

#include "workflow/loader_test_util.h"

namespace gantry::workflow {
namespace {

using testing::Load;
using testing::Render;
using testing::StepsWith;

TEST(StepsTest, RunAndActionStepsAreRead) {
  LoadResult r = Load(StepsWith(
      "      - id: checkout\n        uses: actions/checkout@v4\n        with:\n"
      "          fetch-depth: 0\n          args: --verbose\n          entrypoint: /bin/sh\n"
      "      - name: Test ${{ matrix.os }}\n        if: ${{ success() && steps.checkout.outcome "
      "== 'success' }}\n        run: make test\n        shell: bash\n"
      "        working-directory: ${{ github.workspace }}/src\n        env:\n"
      "          KEY: ${{ hashFiles('**/go.sum') }}\n        continue-on-error: true\n"
      "        timeout-minutes: 5\n"));
  ASSERT_TRUE(r.ok()) << Render(r);
  const auto& steps = r.workflow->jobs[0].steps;
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].id, "checkout");
  EXPECT_EQ(steps[0].uses->value, "actions/checkout@v4");
  ASSERT_EQ(steps[0].with.size(), 3u);
  EXPECT_EQ(steps[0].with[1].first, "args");
  EXPECT_EQ(steps[0].with[2].second.value, "/bin/sh");
  EXPECT_EQ(steps[0].pos.line, 6);
  EXPECT_EQ(steps[1].run->value, "make test");
  EXPECT_EQ(steps[1].shell->value, "bash");
  EXPECT_EQ(steps[1].continue_on_error->value, "true");
  EXPECT_EQ(steps[1].timeout_minutes->value, "5");
  EXPECT_EQ(steps[1].env[0].second.pos.line, 18);
}

TEST(StepsTest, StepWithBothRunAndUsesIsRejected) {
  LoadResult r = Load(StepsWith("      - run: echo\n        uses: actions/checkout@v4\n"));
  EXPECT_EQ(Render(r), "7:9: Unexpected value 'uses' (a step cannot have both 'run' and 'uses')\n");
}

TEST(StepsTest, StepWithNeitherRunNorUsesIsRejected) {
  LoadResult r = Load(StepsWith("      - name: nothing\n"));
  EXPECT_EQ(Render(r),
            "6:9: There's not enough info to determine what you meant. Add one of these "
            "properties: run, shell, uses, with, working-directory\n");
}

TEST(StepsTest, ShellWithoutRunNeedsRun) {
  LoadResult r = Load(StepsWith("      - shell: bash\n"));
  EXPECT_EQ(Render(r), "6:9: Required property is missing: run\n");
}

TEST(StepsTest, WithWithoutUsesNeedsUses) {
  LoadResult r = Load(StepsWith("      - with:\n          a: b\n"));
  EXPECT_EQ(Render(r), "6:9: Required property is missing: uses\n");
}

// `parallel:` is known to GitHub's parser by default, so the hint lists it; wait, wait-all and
// cancel are behind its allowBackgroundSteps feature and are left out, as GitHub does.
TEST(StepsTest, TypoInRunIsReportedWithASuggestion) {
  LoadResult r = Load(StepsWith("      - runn: echo hi\n"));
  EXPECT_EQ(Render(r),
            "6:9: Unexpected value 'runn' (did you mean 'run'?)\n"
            "6:9: There's not enough info to determine what you meant. Add one of these "
            "properties: parallel, run, shell, uses, with, working-directory\n");
}

TEST(StepsTest, StepsMustBeASequence) {
  LoadResult r = Load(StepsWith("      not: a-sequence\n"));
  EXPECT_EQ(Render(r), "6:7: A mapping was not expected (expected a sequence of steps)\n");
}

TEST(StepsTest, StepIdsMustBeValidIdentifiers) {
  LoadResult r =
      Load(StepsWith("      - id: 1st\n        run: echo\n      - id: __x\n"
                     "        run: echo\n"));
  EXPECT_EQ(Render(r),
            "6:13: The identifier '1st' is invalid. IDs may only contain alphanumeric "
            "characters, '_', and '-'. IDs must start with a letter or '_' and and must be less "
            "than 100 characters.\n"
            "8:13: The identifier '__x' is invalid. IDs starting with '__' are reserved.\n");
}

TEST(StepsTest, StepIdsAreUniqueWithinAJobIgnoringCase) {
  LoadResult r =
      Load(StepsWith("      - id: build\n        run: echo\n      - id: Build\n"
                     "        run: echo\n"));
  EXPECT_EQ(Render(r),
            "8:13: The identifier 'Build' may not be used more than once within the same "
            "scope.\n");
}

TEST(StepsTest, SameStepIdInTwoJobsIsFine) {
  EXPECT_TRUE(Load("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - id: s\n"
                   "        run: echo\n  b:\n    runs-on: x\n    steps:\n      - id: s\n"
                   "        run: echo\n")
                  .ok());
}

TEST(StepsTest, ActionReferenceMustHaveOwnerRepoAndRef) {
  LoadResult r =
      Load(StepsWith("      - uses: actions/checkout\n      - uses: checkout@v2\n"
                     "      - uses: docker://alpine:3\n      - uses: ./local/action\n"
                     "      - uses: o/r/path/to@main\n"));
  EXPECT_EQ(Render(r),
            "6:15: Expected format {org}/{repo}[/path]@ref. Actual 'actions/checkout'\n"
            "7:15: Expected format {org}/{repo}[/path]@ref. Actual 'checkout@v2'\n");
}

TEST(StepsTest, ExpressionInStepUsesIsNotAllowed) {
  LoadResult r = Load(StepsWith("      - uses: ${{ matrix.action }}\n"));
  EXPECT_EQ(Render(r), "6:15: A template expression is not allowed in this context\n");
}

TEST(StepsTest, StepIfAllowsHashFilesAndStatusButNotSecrets) {
  EXPECT_TRUE(
      Load(StepsWith("      - if: failure() && hashFiles('a') != ''\n        run: echo\n")).ok());
  LoadResult r = Load(StepsWith("      - if: secrets.TOKEN != ''\n        run: echo\n"));
  EXPECT_EQ(Render(r),
            "6:13: Unrecognized named-value: 'secrets'. Located at position 1 within "
            "expression: secrets.TOKEN != ''\n");
}

TEST(StepsTest, StepIfParseErrorUsesGitHubsMessage) {
  LoadResult r = Load(StepsWith("      - if: (a == 'x) && success()\n        run: echo\n"));
  ASSERT_EQ(r.diagnostics.size(), 1u) << Render(r);
  EXPECT_EQ(r.diagnostics[0].pos.line, 6);
  EXPECT_EQ(r.diagnostics[0].pos.column, 13);
  EXPECT_EQ(r.diagnostics[0].message.rfind("Unexpected symbol", 0), 0u) << Render(r);
}

TEST(StepsTest, StepRunReportsEveryBadExpression) {
  LoadResult r = Load(StepsWith("      - run: echo ${{ foo.bar }} ${{ always() }}\n"));
  EXPECT_EQ(Render(r),
            "6:14: Unrecognized named-value: 'foo'. Located at position 1 within expression: "
            "foo.bar\n"
            "6:14: Unrecognized function: 'always'. Located at position 1 within expression: "
            "always()\n");
}

TEST(StepsTest, StatusFunctionsAreNotAvailableInStepEnv) {
  LoadResult r =
      Load(StepsWith("      - run: echo\n        env:\n          A: ${{ success() }}\n"));
  EXPECT_EQ(Render(r),
            "8:14: Unrecognized function: 'success'. Located at position 1 within expression: "
            "success()\n");
}

TEST(StepsTest, UnclosedExpressionIsReported) {
  LoadResult r = Load(StepsWith("      - run: echo ${{ github.event_name\n"));
  ASSERT_EQ(r.diagnostics.size(), 1u) << Render(r);
  EXPECT_EQ(r.diagnostics[0].pos.column, 14);
  EXPECT_EQ(r.diagnostics[0].rule, "expression");
}

TEST(StepsTest, StepShellAllowsNoContexts) {
  LoadResult r = Load(StepsWith("      - run: echo\n        shell: ${{ env.SHELL }}\n"));
  EXPECT_EQ(Render(r),
            "7:16: Unrecognized named-value: 'env'. Located at position 1 within expression: "
            "env.SHELL\n");
}

TEST(StepsTest, EmptyStepIsRejected) {
  LoadResult r = Load(StepsWith("      - null\n"));
  EXPECT_EQ(Render(r), "6:9: Unexpected value '' (expected a step with 'run' or 'uses')\n");
}

TEST(StepsTest, CheckIdentifierAcceptsGitHubsIdShapes) {
  EXPECT_EQ(CheckIdentifier("_"), "");
  EXPECT_EQ(CheckIdentifier("a__b-c"), "");
  EXPECT_NE(CheckIdentifier(""), "");
  EXPECT_NE(CheckIdentifier("-a"), "");
  EXPECT_NE(CheckIdentifier(std::string(100, 'a')), "");
  EXPECT_EQ(CheckIdentifier(std::string(99, 'a')), "");
}

TEST(StepsTest, IsValidActionReferenceFollowsGitHubsFormat) {
  EXPECT_TRUE(IsValidActionReference("actions/aws/ec2@main"));
  EXPECT_TRUE(IsValidActionReference("docker://alpine"));
  EXPECT_TRUE(IsValidActionReference(".\\win\\action"));
  EXPECT_FALSE(IsValidActionReference("$$docker://alpine:3.8"));
  EXPECT_FALSE(IsValidActionReference("...docker://alpine:3.8"));
  EXPECT_FALSE(IsValidActionReference("badrepo@invalid"));
  EXPECT_FALSE(IsValidActionReference("a/b@"));
}

}  // namespace
}  // namespace gantry::workflow
