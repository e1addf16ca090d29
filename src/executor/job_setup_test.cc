#include "executor/job_setup.h"

#include <gtest/gtest.h>

#include <string>

namespace gantry::executor {
namespace {

JobSpec SpecWithSteps(const std::string& steps) {
  JobSpec spec;
  spec.workflow_file = ".github/workflows/ci.yml";
  spec.job_id = "build";
  spec.workflow_yaml =
      "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n" + steps;
  return spec;
}

TEST(JobSetupTest, DefaultCheckoutNeedsTheCommitAlone) {
  EXPECT_FALSE(
      JobNeedsHistory(SpecWithSteps("      - uses: actions/checkout@v4\n"
                                    "      - run: make\n")));
  EXPECT_FALSE(
      JobNeedsHistory(SpecWithSteps("      - uses: actions/checkout@v4\n"
                                    "        with:\n"
                                    "          fetch-depth: 1\n"
                                    "          path: src\n")));
}

TEST(JobSetupTest, CheckoutOfMoreThanTheCommitNeedsTheHistory) {
  for (const char* with : {"fetch-depth: 0", "fetch-depth: 50", "ref: release", "fetch-tags: true",
                           "fetch-depth: ${{ inputs.depth }}"}) {
    EXPECT_TRUE(JobNeedsHistory(SpecWithSteps(std::string("      - uses: actions/checkout@v4\n"
                                                          "        with:\n"
                                                          "          ") +
                                              with + "\n")))
        << with;
  }
}

TEST(JobSetupTest, AReusableWorkflowCallNeedsTheHistory) {
  JobSpec spec = SpecWithSteps("      - run: make\n");
  spec.workflow_yaml += "  call:\n    uses: ./.github/workflows/other.yml\n";
  EXPECT_TRUE(JobNeedsHistory(spec));
}

}  // namespace
}  // namespace gantry::executor
