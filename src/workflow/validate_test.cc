#include "workflow/validate.h"

#include <gtest/gtest.h>

#include "workflow/loader_test_util.h"

namespace gantry::workflow {
namespace {

using testing::Load;
using testing::Render;

TEST(ValidateTest, NeedsAcceptsAStringOrAList) {
  LoadResult r = Load(
      "on: push\njobs:\n  a:\n    runs-on: x\n  b:\n    needs: a\n    runs-on: x\n"
      "  c:\n    needs: [a, b]\n    runs-on: x\n");
  ASSERT_TRUE(r.ok()) << Render(r);
  ASSERT_EQ(r.workflow->jobs[2].needs.size(), 2u);
  EXPECT_EQ(r.workflow->jobs[2].needs[1].value, "b");
  EXPECT_EQ(r.workflow->jobs[2].needs[1].pos.line, 9);
}

TEST(ValidateTest, NeedsMatchJobIdsIgnoringCase) {
  EXPECT_TRUE(Load("on: push\njobs:\n  Build:\n    runs-on: x\n  b:\n    needs: build\n"
                   "    runs-on: x\n")
                  .ok());
}

TEST(ValidateTest, UnknownNeedIsReportedAtTheName) {
  LoadResult r = Load(
      "on: push\njobs:\n  a:\n    runs-on: x\n  b:\n    needs:\n      - a\n"
      "      - c\n    runs-on: x\n");
  EXPECT_EQ(Render(r), "8:9: Job 'b' depends on unknown job 'c'.\n");
}

TEST(ValidateTest, UnknownNeedSuggestsACloseJobId) {
  LoadResult r = Load(
      "on: push\njobs:\n  build:\n    runs-on: x\n  test:\n    needs: biuld\n"
      "    runs-on: x\n");
  EXPECT_EQ(Render(r), "6:12: Job 'test' depends on unknown job 'biuld'. Did you mean 'build'?\n");
}

TEST(ValidateTest, CycleIsReportedOnEachEdgeAndNamed) {
  LoadResult r = Load(
      "on: push\njobs:\n  one:\n    runs-on: x\n  two:\n    needs: [one, three]\n"
      "    runs-on: x\n  three:\n    needs: two\n    runs-on: x\n");
  EXPECT_EQ(Render(r),
            "6:18: Job 'two' depends on job 'three' which creates a cycle in the dependency "
            "graph. Cycle: two -> three -> two\n"
            "9:12: Job 'three' depends on job 'two' which creates a cycle in the dependency "
            "graph. Cycle: three -> two -> three\n");
}

TEST(ValidateTest, JobWaitingOnACycleNamesThatCycle) {
  LoadResult r = Load(
      "on: push\njobs:\n  s:\n    runs-on: x\n  a:\n    needs: [s, b]\n"
      "    runs-on: x\n  b:\n    needs: a\n    runs-on: x\n  c:\n    needs: a\n"
      "    runs-on: x\n");
  EXPECT_EQ(Render(r),
            "6:16: Job 'a' depends on job 'b' which creates a cycle in the dependency graph. "
            "Cycle: a -> b -> a\n"
            "9:12: Job 'b' depends on job 'a' which creates a cycle in the dependency graph. "
            "Cycle: b -> a -> b\n"
            "12:12: Job 'c' depends on job 'a' which creates a cycle in the dependency graph. "
            "Cycle: a -> b -> a\n");
}

TEST(ValidateTest, SelfDependencyIsACycle) {
  LoadResult r =
      Load("on: push\njobs:\n  s:\n    runs-on: x\n  a:\n    needs: a\n    runs-on: x\n");
  EXPECT_EQ(Render(r),
            "6:12: Job 'a' depends on job 'a' which creates a cycle in the dependency graph. "
            "Cycle: a -> a\n");
}

TEST(ValidateTest, WorkflowWhereEveryJobHasNeedsNamesACycle) {
  LoadResult r = Load(
      "on: push\njobs:\n  from:\n    needs: to\n    runs-on: x\n  to:\n"
      "    needs: from\n    runs-on: x\n");
  EXPECT_EQ(Render(r),
            "3:3: The workflow must contain at least one job with no dependencies. Cycle: from "
            "-> to -> from\n");
}

TEST(ValidateTest, EmptyNeedIsRejected) {
  LoadResult r = Load(
      "on: push\njobs:\n  a:\n    runs-on: x\n  b:\n    needs: ['']\n"
      "    runs-on: x\n");
  EXPECT_EQ(Render(r), "6:13: Unexpected value '' (expected a non-empty string)\n");
}

TEST(ValidateTest, ExpressionInNeedsIsNotAllowed) {
  LoadResult r = Load(
      "on: push\njobs:\n  a:\n    runs-on: x\n  b:\n    needs: ${{ 'a' }}x\n"
      "    runs-on: x\n");
  EXPECT_EQ(Render(r), "6:12: A template expression is not allowed in this context\n");
}

}  // namespace
}  // namespace gantry::workflow
