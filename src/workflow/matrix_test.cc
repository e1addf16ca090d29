#include "workflow/matrix.h"

#include <gtest/gtest.h>

#include "workflow/loader_test_util.h"

namespace gantry::workflow {
namespace {

using testing::JobWith;
using testing::Load;
using testing::Render;

TEST(MatrixTest, StrategyFieldsAreRead) {
  LoadResult r = Load(JobWith(
      "    strategy:\n      fail-fast: false\n      max-parallel: 2\n      matrix:\n"
      "        os: [linux, mac]\n        include:\n          - os: linux\n            arch: arm\n"
      "        exclude:\n          - os: mac\n"));
  ASSERT_TRUE(r.ok()) << Render(r);
  const Strategy& s = *r.workflow->jobs[0].strategy;
  EXPECT_EQ(s.fail_fast->value, "false");
  EXPECT_EQ(s.max_parallel->value, "2");
  ASSERT_NE(s.matrix, nullptr);
  EXPECT_TRUE(s.matrix->IsMapping());
  EXPECT_EQ(s.pos.line, 6);  // the mapping starts at its first key
}

TEST(MatrixTest, EmptyVectorIsRejected) {
  LoadResult r = Load(JobWith("    strategy:\n      matrix:\n        os: []\n        v: [1]\n"));
  EXPECT_EQ(Render(r), "7:13: Matrix vector 'os' does not contain any values\n");
}

TEST(MatrixTest, VectorMustBeASequence) {
  LoadResult r = Load(JobWith("    strategy:\n      matrix:\n        os: linux\n"));
  EXPECT_EQ(Render(r),
            "7:13: Unexpected value 'linux' (expected a sequence of values for matrix vector "
            "'os')\n");
}

TEST(MatrixTest, IncludeMustBeASequenceOfMappings) {
  LoadResult r =
      Load(JobWith("    strategy:\n      matrix:\n        os: [a]\n"
                   "        include:\n          - a\n        exclude: {os: a}\n"));
  EXPECT_EQ(Render(r),
            "9:13: Unexpected value 'a' (expected a mapping of matrix keys to values in "
            "'include')\n"
            "10:18: A mapping was not expected (expected a sequence of mappings for matrix "
            "'exclude')\n");
}

TEST(MatrixTest, ExcludeKeyMustNameAMatrixKey) {
  LoadResult r =
      Load(JobWith("    strategy:\n      matrix:\n        os: [a, b]\n"
                   "        include:\n          - os: a\n            gui: x\n"
                   "        exclude:\n          - gui: x\n          - platform: a\n"));
  EXPECT_EQ(Render(r),
            "13:13: Matrix exclude key 'platform' does not match any key within the matrix\n");
}

TEST(MatrixTest, ExcludeKeysAreNotCheckedWhenTheMatrixHasExpressions) {
  EXPECT_TRUE(
      Load(JobWith("    strategy:\n      matrix:\n        os: ${{ fromJSON(needs.a.outputs.os) }}\n"
                   "        exclude:\n          - platform: a\n"))
          .ok());
}

TEST(MatrixTest, WholeMatrixMayBeAnExpression) {
  LoadResult r =
      Load(JobWith("    strategy:\n      matrix: ${{ fromJSON(needs.setup.outputs.m) }}\n"));
  ASSERT_TRUE(r.ok()) << Render(r);
  EXPECT_TRUE(r.workflow->jobs[0].strategy->matrix->IsScalar());
}

TEST(MatrixTest, MatrixExpressionsCannotUseMatrixOrSteps) {
  LoadResult r = Load(JobWith("    strategy:\n      matrix:\n        os: ['${{ matrix.x }}']\n"));
  EXPECT_EQ(Render(r),
            "7:14: Unrecognized named-value: 'matrix'. Located at position 1 within expression: "
            "matrix.x\n");
}

TEST(MatrixTest, MatrixKeysAreUniqueIgnoringCase) {
  LoadResult r = Load(JobWith("    strategy:\n      matrix:\n        os: [a]\n        OS: [b]\n"));
  EXPECT_EQ(Render(r), "8:9: 'OS' is already defined\n");
}

TEST(MatrixTest, UnknownStrategyKeyIsRejected) {
  LoadResult r = Load(JobWith("    strategy:\n      bad-key:\n        os: [10]\n"));
  EXPECT_EQ(Render(r), "6:7: Unexpected value 'bad-key'\n");
}

TEST(MatrixTest, FailFastMustBeBooleanAndMaxParallelANumber) {
  LoadResult r = Load(JobWith("    strategy:\n      fail-fast: 'no'\n      max-parallel: many\n"));
  EXPECT_EQ(Render(r),
            "6:18: Unexpected value 'no' (expected a boolean or an expression)\n"
            "7:21: Unexpected value 'many' (expected a number or an expression)\n");
}

TEST(MatrixTest, InsertDirectiveMergesIntoMatrixValues) {
  EXPECT_TRUE(
      Load(JobWith("    strategy:\n      matrix:\n        a:\n          - env:\n"
                   "              k: v\n              ${{ insert }}: ${{ fromJSON('{}') }}\n"))
          .ok());
}

}  // namespace
}  // namespace gantry::workflow
