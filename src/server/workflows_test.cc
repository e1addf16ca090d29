#include "server/workflows.h"

#include <gtest/gtest.h>

namespace gantry::server {
namespace {

TEST(WorkflowsTest, IdsAreStablePositiveAndJsonSafe) {
  int64_t ci = WorkflowId(7, ".github/workflows/ci.yml");
  EXPECT_EQ(ci, WorkflowId(7, ".github/workflows/ci.yml"));
  EXPECT_NE(ci, WorkflowId(8, ".github/workflows/ci.yml"));
  EXPECT_NE(ci, WorkflowId(7, ".github/workflows/release.yml"));
  for (int p = 1; p < 200; ++p) {
    int64_t id = WorkflowId(p, ".github/workflows/w" + std::to_string(p) + ".yaml");
    EXPECT_GT(id, 0);
    EXPECT_LT(id, int64_t{1} << 53);
  }
}

TEST(WorkflowsTest, NameComesFromTheYamlOrFallsBackToThePath) {
  EXPECT_EQ(WorkflowName("name: CI\non: push\n", "ci.yml"), "CI");
  EXPECT_EQ(WorkflowName("on: push\njobs: {}\n", ".github/workflows/ci.yml"),
            ".github/workflows/ci.yml");
  EXPECT_EQ(WorkflowName("name: [unclosed\n", "x.yml"), "x.yml");
  EXPECT_EQ(WorkflowName("", "x.yml"), "x.yml");
}

}  // namespace
}  // namespace gantry::server
