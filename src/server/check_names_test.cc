#include "server/check_names.h"

#include <gtest/gtest.h>

namespace gantry::server {
namespace {

TEST(CheckNamesTest, JobContextIsWorkflowSlashJobAndEvent) {
  EXPECT_EQ(StatusContext("CI", "test", "push"), "CI / test (push)");
  EXPECT_EQ(StatusContext("CI", "test (linux, 20)", "pull_request"),
            "CI / test (linux, 20) (pull_request)");
  EXPECT_EQ(StatusContext("", "test", "push"), "test (push)");
}

TEST(CheckNamesTest, WorkflowContextIsNameAndEvent) {
  EXPECT_EQ(WorkflowContext("CI", "push"), "CI (push)");
}

TEST(CheckNamesTest, ContextWithoutEventDropsOnlyThatEvent) {
  EXPECT_EQ(ContextWithoutEvent("CI / test (push)", "push"), "CI / test");
  EXPECT_EQ(ContextWithoutEvent("CI / test (linux) (push)", "push"), "CI / test (linux)");
  EXPECT_EQ(ContextWithoutEvent("CI / test (linux)", "push"), "CI / test (linux)");
  EXPECT_EQ(ContextWithoutEvent(" (push)", "push"), " (push)");
}

}  // namespace
}  // namespace gantry::server
