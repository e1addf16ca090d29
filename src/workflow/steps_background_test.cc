// GitHub's background-step kinds (background, wait, wait-all, cancel, parallel) and `$/`
// references, read as @actions/workflow-parser 0.3.61 reads them (allowBackgroundSteps on).
#include <gtest/gtest.h>

#include "workflow/loader_test_util.h"
#include "workflow/steps.h"

namespace gantry::workflow {
namespace {

using testing::Load;
using testing::Render;
using testing::RenderErrors;
using testing::StepsWith;

std::string Experimental(std::string_view key) {
  return "'" + std::string(key) +
         "' is experimental on GitHub: its workflow parser accepts it only with the "
         "allowBackgroundSteps feature, so GitHub may reject this workflow";
}

TEST(StepsBackgroundTest, BackgroundWaitWaitAllAndCancelAreReadWithWarnings) {
  LoadResult r = Load(StepsWith(
      "      - id: server\n        run: npm start\n        background: true\n"
      "      - id: checkout\n        uses: actions/checkout@v4\n        background: true\n"
      "      - wait:\n          - server\n          - checkout\n"
      "      - wait-all:\n      - cancel: server\n        name: Stop\n"));
  ASSERT_TRUE(r.ok()) << Render(r);
  EXPECT_EQ(Render(r), "8:9: warning: " + Experimental("background") + "\n" +
                           "11:9: warning: " + Experimental("background") + "\n" +
                           "12:9: warning: " + Experimental("wait") + "\n" +
                           "15:9: warning: " + Experimental("wait-all") + "\n" +
                           "16:9: warning: " + Experimental("cancel") + "\n");
  const auto& steps = r.workflow->jobs[0].steps;
  ASSERT_EQ(steps.size(), 5u);
  EXPECT_EQ(steps[0].kind, StepKind::kRun);
  EXPECT_TRUE(steps[0].background);
  EXPECT_EQ(steps[1].kind, StepKind::kUses);
  EXPECT_TRUE(steps[1].background);
  EXPECT_EQ(steps[2].kind, StepKind::kWait);
  ASSERT_EQ(steps[2].targets.size(), 2u);
  EXPECT_EQ(steps[2].targets[1].value, "checkout");
  EXPECT_EQ(steps[2].targets[1].pos.line, 14);
  EXPECT_EQ(steps[2].targets[1].pos.column, 13);
  EXPECT_EQ(steps[3].kind, StepKind::kWaitAll);
  EXPECT_EQ(steps[4].kind, StepKind::kCancel);
  ASSERT_EQ(steps[4].targets.size(), 1u);
  EXPECT_EQ(steps[4].targets[0].value, "server");
  EXPECT_EQ(steps[4].name->value, "Stop");
}

TEST(StepsBackgroundTest, WaitTakesOneIdAsAString) {
  LoadResult r =
      Load(StepsWith("      - id: a\n        run: x\n        background: true\n"
                     "      - wait: a\n"));
  ASSERT_TRUE(r.ok()) << Render(r);
  EXPECT_EQ(r.workflow->jobs[0].steps[1].targets.size(), 1u);
}

TEST(StepsBackgroundTest, PlainStepsKeepTheirKindAndRunInTheForeground) {
  LoadResult r = Load(StepsWith("      - run: a\n      - uses: ./x\n"));
  ASSERT_TRUE(r.ok()) << Render(r);
  EXPECT_EQ(r.workflow->jobs[0].steps[0].kind, StepKind::kRun);
  EXPECT_FALSE(r.workflow->jobs[0].steps[0].background);
  EXPECT_EQ(r.workflow->jobs[0].steps[1].kind, StepKind::kUses);
  EXPECT_TRUE(r.diagnostics.empty());
}

TEST(StepsBackgroundTest, ParallelBlockIsAcceptedWithoutWarning) {
  LoadResult r =
      Load(StepsWith("      - parallel:\n          - id: a\n            run: x\n"
                     "          - uses: actions/checkout@v4\n      - id: a\n"
                     "        run: y\n"));
  ASSERT_TRUE(r.ok()) << Render(r);
  EXPECT_TRUE(r.diagnostics.empty()) << Render(r);
  const auto& steps = r.workflow->jobs[0].steps;
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].kind, StepKind::kParallel);
  ASSERT_EQ(steps[0].parallel.size(), 2u);
  EXPECT_EQ(steps[0].parallel[0].id, "a");
  EXPECT_EQ(steps[0].parallel[1].kind, StepKind::kUses);
}

TEST(StepsBackgroundTest, WaitTargetsMustBeEarlierStepsOfTheSameList) {
  LoadResult r =
      Load(StepsWith("      - wait: later\n      - id: later\n        run: x\n"
                     "      - wait: [later, Later, nowhere]\n"));
  EXPECT_EQ(RenderErrors(r),
            "6:15: Step references unknown step ID 'later'\n"
            "9:23: Step references unknown step ID 'Later'\n"
            "9:30: Step references unknown step ID 'nowhere'\n");
}

TEST(StepsBackgroundTest, TargetNamingItsOwnStepIsRejectedWhenIdComesFirst) {
  LoadResult r =
      Load(StepsWith("      - id: c\n        cancel: C\n"
                     "      - wait: w\n        id: w\n"));
  EXPECT_EQ(RenderErrors(r),
            "7:17: Step 'c' cannot reference itself\n"
            "8:15: Step references unknown step ID 'w'\n");
}

TEST(StepsBackgroundTest, ReservedTargetIdsAreRejected) {
  LoadResult r = Load(StepsWith("      - cancel: __run\n"));
  EXPECT_EQ(RenderErrors(r),
            "6:17: The identifier '__run' is invalid. IDs starting with '__' are reserved.\n");
}

TEST(StepsBackgroundTest, ParallelStepsHaveTheirOwnIdScope) {
  LoadResult r =
      Load(StepsWith("      - id: outer\n        run: x\n"
                     "      - parallel:\n          - id: inner\n            run: y\n"
                     "      - wait: inner\n"));
  EXPECT_EQ(RenderErrors(r), "11:15: Step references unknown step ID 'inner'\n");
}

TEST(StepsBackgroundTest, WaitAllMustBeTrueOrOmitted) {
  LoadResult r =
      Load(StepsWith("      - wait-all: true\n      - wait-all: false\n"
                     "      - wait-all: ${{ true }}\n"));
  EXPECT_EQ(RenderErrors(r),
            "7:19: The value of 'wait-all' must be true or omitted\n"
            "8:19: A template expression is not allowed in this context\n");
}

TEST(StepsBackgroundTest, QuotedExpressionIsPlacedAfterTheQuoteAsGitHubDoes) {
  LoadResult r = Load(StepsWith("      - run: a\n        background: \"${{ true }}\"\n"));
  EXPECT_EQ(RenderErrors(r), "7:22: A template expression is not allowed in this context\n");
}

TEST(StepsBackgroundTest, BackgroundIsAPlainBoolean) {
  LoadResult r =
      Load(StepsWith("      - run: a\n        background: ${{ true }}\n"
                     "      - run: b\n        background: yes\n"));
  EXPECT_EQ(RenderErrors(r),
            "7:21: A template expression is not allowed in this context\n"
            "9:21: Unexpected value 'yes' (expected a boolean)\n");
}

TEST(StepsBackgroundTest, ControlStepsAllowOnlyNameIdAndContinueOnError) {
  LoadResult r =
      Load(StepsWith("      - id: a\n        run: x\n        background: true\n"
                     "      - wait: a\n        if: always()\n"
                     "      - cancel: a\n        env:\n          A: b\n"
                     "      - wait-all:\n        background: true\n"));
  EXPECT_EQ(RenderErrors(r),
            "10:9: Unexpected value 'if' (a step cannot have both 'wait' and 'if')\n"
            "12:9: Unexpected value 'env' (a step cannot have both 'cancel' and 'env')\n"
            "15:9: Unexpected value 'background' (a step cannot have both 'wait-all' and "
            "'background')\n");
}

TEST(StepsBackgroundTest, ParallelBlockAllowsOnlyForegroundRunAndUsesSteps) {
  LoadResult r =
      Load(StepsWith("      - id: s\n        run: a\n        background: true\n"
                     "      - parallel:\n          - run: x\n            background: false\n"
                     "          - wait: s\n          - wait-all:\n          - cancel: s\n"
                     "          - parallel: []\n"));
  EXPECT_EQ(RenderErrors(r),
            "9:9: 'background' is not allowed inside a parallel block. Steps in a parallel block "
            "are automatically run as background steps.\n"
            "9:9: 'wait' is not allowed inside a parallel block.\n"
            "9:9: 'wait-all' is not allowed inside a parallel block.\n"
            "9:9: 'cancel' is not allowed inside a parallel block.\n"
            "9:9: Nested 'parallel' blocks are not allowed.\n"
            "12:19: Step references unknown step ID 's'\n"
            "14:21: Step references unknown step ID 's'\n");
}

TEST(StepsBackgroundTest, ParallelStepTakesNoOtherKey) {
  LoadResult r = Load(StepsWith("      - parallel:\n          - run: x\n        name: group\n"));
  EXPECT_EQ(RenderErrors(r),
            "8:9: Unexpected value 'name' (a step cannot have both 'parallel' and 'name')\n");
}

TEST(StepsBackgroundTest, EmptyTargetsAreRejected) {
  LoadResult r = Load(StepsWith("      - wait: ''\n      - cancel: ''\n"));
  EXPECT_EQ(RenderErrors(r),
            "6:15: Unexpected value '' (expected a non-empty string)\n"
            "7:17: Unexpected value '' (expected a non-empty string)\n");
}

TEST(StepsBackgroundTest, NotEnoughInfoHintLeavesOutExperimentalKeys) {
  LoadResult r = Load(StepsWith("      - id: x\n"));
  EXPECT_EQ(Render(r),
            "6:9: There's not enough info to determine what you meant. Add one of these "
            "properties: run, shell, uses, with, working-directory\n");
}

TEST(StepsBackgroundTest, SelfRepositoryReferencesAreLocal) {
  LoadResult r = Load(StepsWith("      - uses: $/.github/actions/build\n"));
  ASSERT_TRUE(r.ok()) << Render(r);
  EXPECT_TRUE(IsLocalReference("$/.github/actions/build"));
  EXPECT_TRUE(IsLocalReference("./x"));
  EXPECT_FALSE(IsLocalReference("actions/checkout@v4"));
  EXPECT_EQ(LocalPath("$/.github/actions/build"), ".github/actions/build");
  EXPECT_EQ(LocalPath("./a"), "a");
  EXPECT_EQ(LocalPath("."), "");
}

}  // namespace
}  // namespace gantry::workflow
